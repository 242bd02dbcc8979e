import type { PeerInfo } from '../../protocol/events.js';
import type { CircleClient, RemoteTrack } from '../sdk.js';
import { actionMenu } from './action-menu.js';
import { ordinal } from './texts.js';
import type { Action } from './ui.js';

const initials = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => [...word][0]!.toUpperCase())
    .join('');

/**
 * The video grid: a tile per person, with what matters at a glance on it — who is speaking now (mediasoup's
 * active-speaker observer), who has the floor, a raised hand and its place in line, a muted microphone, a camera
 * that is off (their initials instead of a black square), someone reconnecting or stepped out — and for staff each
 * tile's own actions in one menu.
 */
export function mountTiles(
  client: CircleClient,
  grid: HTMLElement,
  actionsFor: (peer: PeerInfo) => Action[],
  whereabouts: (peer: PeerInfo) => string,
) {
  const selfTile = grid.querySelector<HTMLElement>('#self-tile')!;

  function tileFor(participantId: string): HTMLElement {
    let tile = document.getElementById(`peer-${participantId}`);
    if (!tile) {
      tile = document.createElement('figure');
      tile.id = `peer-${participantId}`;
      tile.className = 'tile';
      const video = document.createElement('video');
      video.autoplay = true;
      video.playsInline = true;
      const avatar = document.createElement('span');
      avatar.className = 'avatar';
      avatar.setAttribute('aria-hidden', 'true');
      const caption = document.createElement('figcaption');
      tile.append(video, avatar, caption);
      grid.append(tile);
    }
    return tile;
  }

  /** The caption's pieces: the name line (its words are what tests and screen readers read), then the badges. */
  function caption(tile: HTMLElement, name: string, badges: HTMLElement[]): void {
    const line = document.createElement('span');
    line.className = 'name';
    line.textContent = name;
    tile.querySelector('figcaption')!.replaceChildren(line, ...badges);
  }

  /**
   * A badge shows a word (and a number) and says in full what it means, for a screen reader. Words, not emoji:
   * a clinic's old laptop may have no emoji font, and a box where a hand should be helps no one.
   */
  function badge(className: string, shown: string, spoken: string): HTMLElement {
    const element = document.createElement('span');
    element.className = `tile-badge ${className}`;
    const visible = document.createElement('span');
    visible.setAttribute('aria-hidden', 'true');
    visible.textContent = shown;
    const words = document.createElement('span');
    words.className = 'sr-only';
    words.textContent = spoken;
    element.append(visible, words);
    return element;
  }

  /** What every tile shows, for someone's id: hand, speaking, floor, spotlight. */
  function common(tile: HTMLElement, participantId: string): HTMLElement[] {
    const floor = client.floor;
    const place = (floor?.queue.indexOf(participantId) ?? -1) + 1;
    tile.classList.toggle('active-speaker', client.activeSpeaker === participantId);
    tile.classList.toggle('has-floor', floor?.mode === 'queue' && floor.holder === participantId);
    tile.classList.toggle('spotlit', client.room?.spotlight === participantId);
    const badges: HTMLElement[] = [];
    if (place) badges.push(badge('hand', `Hand ${place}`, `Hand raised, ${ordinal(place)} in line`));
    if (floor?.mode === 'queue' && floor.holder === participantId) badges.push(badge('floor', 'Floor', 'Has the floor'));
    return badges;
  }

  function renderPeer(peer: PeerInfo): void {
    const tile = tileFor(peer.participantId);
    // A seat on the phone sends two voices: its browser's microphone (paused meanwhile) and the call's.
    const heard = peer.producers.some((p) => p.kind === 'audio' && !p.paused);
    const camera = peer.producers.find((p) => p.kind === 'video');
    tile.classList.toggle('away', peer.away);
    tile.classList.toggle('no-video', !camera || camera.paused);
    tile.setAttribute('aria-label', peer.displayName);
    tile.querySelector('.avatar')!.textContent = initials(peer.displayName);
    const badges = common(tile, peer.participantId);
    if (!heard) badges.push(badge('muted', 'Muted', peer.locks?.audio ? 'Muted by a facilitator' : 'Microphone off'));
    const reconnecting = peer.connection === 'reconnecting' ? ' · reconnecting…' : '';
    caption(tile, `${peer.displayName}${peer.phone ? ' (phone)' : ''}${reconnecting}${whereabouts(peer)}`, badges);
    // The new menu is made while the old one is still there, so it can take over its focus.
    const actions = actionsFor(peer);
    const menu = actions.length ? actionMenu(`tile:${peer.participantId}`, `Actions for ${peer.displayName}`, actions) : undefined;
    tile.querySelector('.menu')?.remove();
    if (menu) tile.append(menu);
  }

  function renderSelf(): void {
    const self = client.self;
    if (!self) return;
    const badges = common(selfTile, self.participantId);
    if (!client.microphoneEnabled) badges.push(badge('muted', 'Muted', self.locks.audio ? 'Muted by a facilitator' : 'Microphone off'));
    selfTile.classList.toggle('no-video', !client.cameraEnabled);
    caption(selfTile, 'You', badges);
  }

  return {
    render(): void {
      for (const peer of client.peers.values()) renderPeer(peer);
      renderSelf();
      grid.dataset.count = String(client.peers.size + (selfTile.hidden ? 0 : 1));
    },
    attach(remote: RemoteTrack): void {
      const tile = tileFor(remote.participantId);
      // One audio element per voice: a seat on the phone sends two (its browser's, paused, and the call's).
      const element = remote.kind === 'video' ? tile.querySelector('video')! : tile.appendChild(document.createElement('audio'));
      element.dataset.consumer = remote.consumerId;
      element.autoplay = true;
      element.srcObject = new MediaStream([remote.track]);
      // The tile's size and visibility decide the layer the SFU sends it.
      if (remote.kind === 'video') client.watchVideo(remote.consumerId, element);
      void element.play().catch(() => undefined);
    },
    detach(remote: RemoteTrack): void {
      if (remote.kind === 'audio') document.querySelector(`audio[data-consumer="${remote.consumerId}"]`)?.remove();
    },
    remove(participantId: string): void {
      document.getElementById(`peer-${participantId}`)?.remove();
    },
    clear(): void {
      for (const tile of grid.querySelectorAll('.tile:not(.self)')) tile.remove();
    },
    /** This person's own name, for their tile's initials while their camera is off. */
    setSelfName(name: string): void {
      selfTile.querySelector('.avatar')!.textContent = initials(name);
    },
  };
}
