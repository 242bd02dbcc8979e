import type { PeerInfo } from '../../protocol/events.js';
import { isModerator } from '../../protocol/roles.js';
import type { CircleClient } from '../sdk.js';
import { button, type Action } from './ui.js';

/**
 * Side rooms in the web app. A client in one reads "You are in a private room with …"; the group sees only that
 * someone stepped out. Staff get "Talk privately" on each participant, each side room with its members and an
 * "End private room" button (everyone in it back to the group), "Send back to the group" on one person's menu (the
 * facilitator's; the room closes by itself when no client is left in it), and who leads the group meanwhile. One
 * label per action: the two used to share the words "Back to group".
 */
export function mountSideRooms(client: CircleClient) {
  const banner = document.querySelector('#side-room-banner') as HTMLElement;
  const names = (peers: PeerInfo[]) => peers.map((p) => p.displayName).join(', ');

  function render(): void {
    const self = client.self;
    const inSession = client.state === 'joined' && self;
    const here = self?.sideRoomId ?? null;
    document.body.classList.toggle('in-side-room', Boolean(inSession && here));
    banner.replaceChildren();
    banner.hidden = true;
    if (!inSession) return;
    const peers = [...client.peers.values()];
    if (here) {
      show(`You are in a private room with ${names(peers.filter((p) => !p.away)) || 'no one yet'}.`);
      if (isModerator(self.role)) banner.append(button('End private room', () => client.closeSideRoom(here)));
      return;
    }
    if (!isModerator(self.role)) return;
    const rooms = new Map<string, PeerInfo[]>();
    for (const peer of peers) if (peer.sideRoomId) rooms.set(peer.sideRoomId, [...(rooms.get(peer.sideRoomId) ?? []), peer]);
    if (!rooms.size) return;
    const leading = peers.filter((p) => isModerator(p.role) && !p.sideRoomId);
    show(`Leading the group: you${leading.length ? `, ${names(leading)}` : ''}.`);
    for (const [sideRoomId, members] of rooms) {
      const line = document.createElement('p');
      line.textContent = `In a private room: ${names(members)}`;
      line.append(button('End private room', () => client.closeSideRoom(sideRoomId), 'secondary'));
      banner.append(line);
    }
  }

  function show(text: string): void {
    banner.hidden = false;
    const line = document.createElement('p');
    line.textContent = text;
    banner.append(line);
  }

  /** A participant's side-room actions, for staff (in the participant's menu). */
  function actions(peer: PeerInfo): Action[] {
    const self = client.self;
    if (!self || !isModerator(self.role)) return [];
    if (peer.sideRoomId) {
      return self.role === 'facilitator' ? [{ label: 'Send back to the group', run: () => client.returnToGroup(peer.participantId) }] : [];
    }
    if (self.sideRoomId) return [];
    return [{ label: 'Talk privately', run: () => client.openSideRoom([peer.participantId]) }];
  }

  /** What a tile's caption adds for someone in another space than this participant. */
  const whereabouts = (peer: PeerInfo) => (!peer.away ? '' : client.self?.sideRoomId ? ' · in the group' : ' · stepped out');

  return { render, actions, whereabouts };
}
