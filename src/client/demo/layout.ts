import type { CircleClient } from '../sdk.js';

const LAYOUT_KEY = 'circle.layout';
/** Below this a face is no longer read: the grid scrolls instead (a phone). */
const SMALLEST_TILE_PX = 120;
/** The tiles' `aspect-ratio` and `gap` (style.css). */
const TILE_ASPECT = 3 / 4;
const GAP_PX = 10;
type Layout = 'grid' | 'speaker';

/**
 * Grid or speaker view, chosen by the person and remembered on this device. In speaker view one person is large —
 * the spotlight, else whoever speaks (staying on the last one while the room is quiet or while this person speaks),
 * else a facilitator — and the others are a strip of thumbnails. Tile sizes drive what the SFU sends: the large one
 * gets a large layer, the strip the smallest.
 */
export function mountLayout(
  client: CircleClient,
  grid: HTMLElement,
  button: HTMLButtonElement,
  preference: { read(key: string): string | null; write(key: string, value: string): void },
) {
  let layout: Layout = preference.read(LAYOUT_KEY) === 'speaker' ? 'speaker' : 'grid';
  let featured: string | null = null;

  function featuredNow(): string | null {
    const present = (id: string | null | undefined) => (id && client.peers.has(id) ? id : null);
    const staff = [...client.peers.values()].find((peer) => peer.role === 'facilitator' || peer.role === 'cofacilitator');
    return present(client.room?.spotlight) ?? present(client.activeSpeaker) ?? present(featured) ?? staff?.participantId ?? client.peers.keys().next().value ?? null;
  }

  /**
   * Every tile on screen at once: a therapist needs every face, and a tile scrolled out of view is sent no video. In
   * the grid, columns are added, beyond what the tiles' minimum width gives, until the rows fit above the control
   * bar, as long as a tile stays wide enough to read a face; in speaker view the large tile is only as tall as leaves
   * room for the strip.
   */
  function fit(): void {
    grid.style.removeProperty('grid-template-columns');
    grid.style.removeProperty('--featured-max-height');
    const tiles = [...grid.querySelectorAll<HTMLElement>('.tile')].filter((tile) => !tile.hidden);
    // A spotlit tile takes two columns and two rows.
    const cells = tiles.length + (tiles.some((tile) => tile.classList.contains('spotlit')) ? 3 : 0);
    const bar = document.querySelector('#controls')?.getBoundingClientRect().height ?? 0;
    const available = window.innerHeight - (grid.getBoundingClientRect().top + window.scrollY) - bar - GAP_PX;
    const height = (columns: number) => {
      const tileHeight = ((grid.clientWidth - (columns - 1) * GAP_PX) / columns) * TILE_ASPECT;
      const rows = Math.ceil(cells / columns);
      return rows * tileHeight + (rows - 1) * GAP_PX;
    };
    const tileWidth = (columns: number) => (grid.clientWidth - (columns - 1) * GAP_PX) / columns;
    let columns = getComputedStyle(grid).gridTemplateColumns.split(' ').length;
    if (layout === 'speaker') {
      // The large tile gives up height so the strip of thumbnails below it stays on screen.
      const stripRows = Math.ceil((tiles.length - 1) / columns);
      const strip = stripRows * tileWidth(columns) * TILE_ASPECT + stripRows * GAP_PX;
      if (available > 0) grid.style.setProperty('--featured-max-height', `${Math.max(160, Math.floor(available - strip))}px`);
      return;
    }
    if (available <= 0 || height(columns) <= available) return;
    while (columns < cells && height(columns) > available && tileWidth(columns + 1) >= SMALLEST_TILE_PX) columns += 1;
    grid.style.setProperty('grid-template-columns', `repeat(${columns}, minmax(0, 1fr))`);
  }

  function render(): void {
    grid.classList.toggle('speaker-view', layout === 'speaker');
    button.textContent = layout === 'speaker' ? 'Grid view' : 'Speaker view';
    button.setAttribute('aria-pressed', String(layout === 'speaker'));
    featured = featuredNow();
    for (const tile of grid.querySelectorAll<HTMLElement>('.tile')) {
      tile.classList.toggle('featured', layout === 'speaker' && tile.id === `peer-${featured}`);
    }
    fit();
  }

  window.addEventListener('resize', render);
  button.addEventListener('click', () => {
    layout = layout === 'speaker' ? 'grid' : 'speaker';
    preference.write(LAYOUT_KEY, layout);
    render();
  });
  return { render };
}
