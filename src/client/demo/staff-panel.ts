import type { CheckIn } from '../../protocol/check-in.js';
import type { PeerInfo } from '../../protocol/events.js';
import type { TalkEntry } from '../../protocol/talk.js';
import { isModerator } from '../../protocol/roles.js';
import type { CircleClient } from '../sdk.js';
import { actionMenu } from './action-menu.js';
import { checkInText, PATH_TEXT, QUALITY_TEXT, VERDICT_TEXT } from './texts.js';
import { $, button, chime, showNotice, type Action } from './ui.js';

function mediaState(peer: PeerInfo, kind: 'audio' | 'video'): string {
  const producer = peer.producers.find((p) => p.kind === kind);
  const name = kind === 'audio' ? 'mic' : 'cam';
  if (peer.locks?.[kind]) return `${name} off (facilitator)`;
  return producer && !producer.paused ? `${name} on` : `${name} off`;
}

/**
 * What only facilitators and co-facilitators see: the waiting room (with each waiting client's readiness, a chime and
 * a badge when someone arrives), the roster with each person's connection and one menu of actions, and the room's
 * own controls. Every action is offered only where the server would allow it; the server checks each one anyway.
 */
/** "(phone)", with the caller's number's last two digits where the trunk gave them: the staff can tell who calls. */
function phoneText(who: { phone: boolean; phoneDigits?: string }): string {
  if (!who.phone) return '';
  return who.phoneDigits ? ` (phone ··${who.phoneDigits})` : ' (phone)';
}

/** A client's safety check-in as the staff read it, on its own line: where, private, headphones, or why there is none. */
function checkInLine(who: { phone: boolean; checkIn?: CheckIn | null }): HTMLElement {
  const line = document.createElement('span');
  line.className = 'check-in';
  line.textContent = checkInText(who);
  return line;
}

/**
 * How much someone has spoken, quietly: a bar against whoever has spoken most, minutes and turns in words for a
 * screen reader and a glance, and "has not spoken yet" until they do.
 */
function talkLine(entry: TalkEntry | undefined, mostSpoken: number): HTMLElement {
  const line = document.createElement('span');
  line.className = 'talk';
  const spoken = entry?.spokenSeconds ?? 0;
  if (spoken === 0) {
    line.classList.add('not-yet');
    line.textContent = 'has not spoken yet';
    return line;
  }
  const bar = document.createElement('span');
  bar.className = 'talk-bar';
  bar.setAttribute('aria-hidden', 'true');
  bar.style.setProperty('--share', `${Math.round((spoken / Math.max(mostSpoken, 1)) * 100)}%`);
  const minutes = spoken < 60 ? `${spoken} s` : `${Math.floor(spoken / 60)} min ${spoken % 60} s`;
  line.append(bar, `spoken ${minutes} · ${entry!.turns} ${entry!.turns === 1 ? 'turn' : 'turns'}`);
  return line;
}

export function mountStaffPanel(client: CircleClient, sideRoomActions: (peer: PeerInfo) => Action[]) {
  const panel = $<HTMLElement>('#moderator-panel');
  const lobbyBadge = $<HTMLButtonElement>('#lobby-badge');
  let seenWaiting = new Set<string>();

  lobbyBadge.addEventListener('click', () => $<HTMLElement>('#lobby-heading').focus());

  /** A participant's actions for this member of staff: one list for their tile's menu and their roster row's. */
  function actionsFor(peer: PeerInfo): Action[] {
    const self = client.self;
    if (!self || !isModerator(self.role) || client.state !== 'joined') return [];
    const id = peer.participantId;
    const actions = [...sideRoomActions(peer)];
    if (peer.role === 'observer') return actions;
    actions.push(
      { label: 'Give floor', run: () => client.grantFloor(id) },
      { label: 'Mute', run: () => client.mute(id) },
      { label: 'Ask to unmute', run: () => client.askToUnmute(id) },
      { label: 'Stop video', run: () => client.stopVideo(id) },
      { label: 'Ask for video', run: () => client.askToStartVideo(id) },
      { label: 'Spotlight', run: () => client.spotlight(id) },
    );
    if (peer.quality === 'poor') actions.push({ label: 'Suggest audio only', run: () => client.suggestAudioOnly(id) });
    const leads = self.role === 'facilitator';
    if (leads && peer.role === 'client') actions.push({ label: 'Make co-facilitator', run: () => client.promote(id) });
    if (leads && peer.role === 'cofacilitator') {
      actions.push({ label: 'Make client', run: () => client.demote(id) }, { label: 'Hand over lead', run: () => client.handOver(id) });
    }
    // Their safety check-in, in the person's own menu too: the whole answer, read out as a notice.
    if (peer.role === 'client') actions.push({ label: 'Check-in…', run: () => showNotice(`${peer.displayName}. ${checkInText(peer)}`) });
    actions.push({ label: 'Remove', tone: 'danger', run: () => (confirm(`Remove ${peer.displayName} from this session?`) ? client.remove(id) : undefined) });
    return actions;
  }

  function renderLobby(): void {
    const waiting = client.lobby;
    const arrived = waiting.some((entry) => !seenWaiting.has(entry.participantId));
    seenWaiting = new Set(waiting.map((entry) => entry.participantId));
    if (arrived) chime();
    lobbyBadge.hidden = waiting.length === 0;
    lobbyBadge.textContent = `${waiting.length} waiting`;
    document.title = waiting.length ? `(${waiting.length}) Circle` : 'Circle';
    $('#lobby-count').textContent = String(waiting.length);
    $('#lobby-list').replaceChildren(
      ...waiting.map((entry) => {
        const item = document.createElement('li');
        const who = document.createElement('span');
        who.className = 'who';
        who.textContent = `${entry.displayName}${phoneText(entry)}`;
        // Muted earlier this session: the lock holds after admission, and the facilitator should know before.
        const locked = (['audio', 'video'] as const).filter((kind) => entry.locks[kind]).map((kind) => (kind === 'audio' ? 'muted' : 'camera off'));
        if (locked.length) who.textContent += ` (${locked.join(', ')} by a facilitator)`;
        // Their browser's check while waiting: who may struggle, before admitting them.
        const { readiness } = entry;
        if (readiness) who.textContent += ` · ${VERDICT_TEXT[readiness.verdict]}${readiness.path ? `, ${PATH_TEXT[readiness.path]}` : ''}`;
        item.append(who, button('Admit', () => client.admit(entry.participantId)), button('Deny', () => client.deny(entry.participantId), 'secondary'), checkInLine(entry));
        return item;
      }),
    );
  }

  function renderRoster(): void {
    const mostSpoken = Math.max(0, ...[...client.talk.values()].map((entry) => entry.spokenSeconds));
    $('#people-list').replaceChildren(
      ...[...client.peers.values()].map((peer) => {
        const item = document.createElement('li');
        const who = document.createElement('span');
        who.className = 'who';
        const path = peer.path ? ` ${PATH_TEXT[peer.path]}` : '';
        who.textContent = `${peer.displayName}${phoneText(peer)} · ${peer.role} · ${QUALITY_TEXT[peer.quality ?? 'good']}${path}`;
        const badges = (['audio', 'video'] as const).map((kind) => {
          const badge = document.createElement('span');
          badge.className = `badge${peer.locks?.[kind] ? ' locked' : ''}`;
          badge.textContent = mediaState(peer, kind);
          return badge;
        });
        item.append(who, ...badges);
        if (peer.role !== 'observer') item.append(talkLine(client.talk.get(peer.participantId), mostSpoken));
        if (peer.role === 'client') item.append(checkInLine(peer));
        const actions = actionsFor(peer);
        if (actions.length) item.append(actionMenu(`row:${peer.participantId}`, `Actions for ${peer.displayName}`, actions, 'Actions'));
        return item;
      }),
    );
  }

  return {
    actionsFor,
    render(): void {
      const self = client.self;
      panel.hidden = !(self && isModerator(self.role) && client.state === 'joined');
      if (panel.hidden) {
        lobbyBadge.hidden = true;
        return;
      }
      renderLobby();
      renderRoster();
      $('#toggle-lock').textContent = client.room?.locked ? 'Unlock room' : 'Lock room';
      $<HTMLInputElement>('#phone-into-held-seats').checked = client.room?.phoneIntoHeldSeats ?? true;
      $<HTMLInputElement>('#focus-mode').checked = client.room?.focus ?? false;
      $<HTMLInputElement>('#ask-check-in').checked = client.room?.askCheckIn ?? true;
      $<HTMLButtonElement>('#end-session').hidden = self?.role !== 'facilitator';
    },
  };
}
