import type { CircleClient } from '../sdk.js';

const LAYOUT_KEY = 'circle.layout';
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

  function render(): void {
    grid.classList.toggle('speaker-view', layout === 'speaker');
    button.textContent = layout === 'speaker' ? 'Grid view' : 'Speaker view';
    button.setAttribute('aria-pressed', String(layout === 'speaker'));
    featured = featuredNow();
    for (const tile of grid.querySelectorAll<HTMLElement>('.tile')) {
      tile.classList.toggle('featured', layout === 'speaker' && tile.id === `peer-${featured}`);
    }
  }

  button.addEventListener('click', () => {
    layout = layout === 'speaker' ? 'grid' : 'speaker';
    preference.write(LAYOUT_KEY, layout);
    render();
  });
  return { render };
}
