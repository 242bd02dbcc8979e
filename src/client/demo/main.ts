import type { MediaKind, PeerInfo } from '../../protocol/events.js';
import { isModerator, type Role } from '../../protocol/roles.js';
import { CircleClient, type RemoteTrack } from '../sdk.js';
import { mountMessagesPanel } from './messages-panel.js';
import { mountSideRooms } from './side-rooms-view.js';
import { AUDIO_ONLY_TEXT, dialInText, END_TEXT, PATH_TEXT, QUALITY_TEXT, STATE_TEXT, VERDICT_TEXT } from './texts.js';

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;
const form = $<HTMLFormElement>('#join-form');
const controls = $<HTMLElement>('#controls');
const statusLine = $<HTMLElement>('#status');
const dialInLine = $<HTMLElement>('#dial-in');
const notice = $<HTMLElement>('#notice');
const tiles = $<HTMLElement>('#tiles');
const panel = $<HTMLElement>('#moderator-panel');

const params = new URLSearchParams(location.search);
// `?relay=1`: media only through the TURN relay (support staff ask for it when a network blocks the direct path).
const client = new CircleClient({ iceTransportPolicy: params.has('relay') ? 'relay' : 'all' });
const messages = mountMessagesPanel(client);
const sideRooms = mountSideRooms(client, button);
let localStream: MediaStream | undefined;

function showNotice(text: string | undefined, action?: { label: string; run: () => void }): void {
  notice.hidden = !text;
  notice.replaceChildren(text ?? '');
  if (action) notice.append(button(action.label, action.run));
}

function button(label: string, run: () => void, className = ''): HTMLButtonElement {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = label;
  element.className = className;
  element.addEventListener('click', () => {
    try {
      void Promise.resolve(run()).catch((error: Error) => showNotice(error.message));
    } catch (error) {
      showNotice((error as Error).message);
    }
  });
  return element;
}

client.on('state', (state) => {
  statusLine.textContent = STATE_TEXT[state];
  controls.hidden = !['joined', 'rejoining', 'waiting'].includes(state);
  form.hidden = state !== 'idle' && state !== 'left';
  if (state === 'ended' && client.endReason) showNotice(END_TEXT[client.endReason]);
  dialInLine.textContent = client.dialIn ? dialInText(client.dialIn) : '';
  dialInLine.hidden = !client.dialIn || !['joined', 'rejoining', 'waiting'].includes(state);
  render();
});
client.on('ended', (reason) => showNotice(END_TEXT[reason]));
client.on('error', (error) => console.warn('circle:', error.message));
client.on('self', (self) => {
  if (self.locks.audio) showNotice('A facilitator muted your microphone.');
  const linkStatus = $<HTMLElement>('#link-status');
  linkStatus.hidden = !self.link.audioOnly;
  linkStatus.textContent = self.link.audioOnly ? AUDIO_ONLY_TEXT[self.link.audioOnly] : '';
  render();
});
client.on('audioOnlySuggested', () => {
  showNotice('A facilitator suggests switching to audio only: your connection looks weak.', {
    label: 'Switch to audio only',
    run: () => {
      showNotice(undefined);
      void client.setAudioOnly(true);
    },
  });
});
client.on('unmuteRequested', (kind: MediaKind) => {
  const what = kind === 'audio' ? 'unmute your microphone' : 'turn your camera on';
  showNotice(`A facilitator invites you to ${what}.`, {
    label: kind === 'audio' ? 'Unmute' : 'Turn camera on',
    run: () => {
      showNotice(undefined);
      void (kind === 'audio' ? client.setMicrophoneEnabled(true) : client.setCameraEnabled(true)).then(render);
    },
  });
});
client.on('room', (room) => {
  if (room.onHold) showNotice('The facilitator has stepped away; the session is on hold.');
  render();
});
client.on('turnWarning', ({ holder, endsAt }) => {
  const seconds = Math.max(0, Math.round((Date.parse(endsAt) - Date.now()) / 1000));
  const whose = holder === client.self?.participantId ? 'Your turn' : `${nameOf(holder)}'s turn`;
  showNotice(`${whose} ends in ${seconds} s.`);
});
for (const event of ['lobby', 'peerJoined', 'peerLeft', 'peerUpdated', 'floor'] as const) client.on(event, () => render());
// The turn countdown.
setInterval(() => client.floor?.turnEndsAt && renderFloor(), 1000);

function nameOf(participantId: string): string {
  if (participantId === client.self?.participantId) return 'You';
  return client.peers.get(participantId)?.displayName ?? 'Someone';
}

function tileFor(participantId: string): HTMLElement {
  const id = `peer-${participantId}`;
  let tile = document.getElementById(id);
  if (!tile) {
    tile = document.createElement('figure');
    tile.id = id;
    tile.className = 'tile';
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    const audio = document.createElement('audio');
    audio.autoplay = true;
    const caption = document.createElement('figcaption');
    caption.textContent = client.peers.get(participantId)?.displayName ?? 'Participant';
    tile.append(video, audio, caption);
    tiles.append(tile);
  }
  return tile;
}

function updateCaption(participantId: string): void {
  const peer = client.peers.get(participantId);
  const tile = document.getElementById(`peer-${participantId}`);
  const caption = tile?.querySelector('figcaption');
  if (!peer || !caption) return;
  tile!.classList.toggle('away', peer.away);
  caption.textContent = `${peer.displayName}${peer.phone ? ' (phone)' : ''}${peer.connection === 'reconnecting' ? ' · reconnecting…' : ''}${sideRooms.whereabouts(peer)}`;
}

function attach(remote: RemoteTrack): void {
  const element = tileFor(remote.participantId).querySelector(remote.kind) as HTMLMediaElement;
  element.srcObject = new MediaStream([remote.track]);
  void element.play().catch(() => undefined);
}

client.on('peerJoined', (peer) => tileFor(peer.participantId));
client.on('peerUpdated', (peer) => updateCaption(peer.participantId));
client.on('peerLeft', ({ participantId }) => document.getElementById(`peer-${participantId}`)?.remove());
client.on('trackAdded', attach);

function mediaState(peer: PeerInfo, kind: MediaKind): string {
  const producer = peer.producers.find((p) => p.kind === kind);
  const name = kind === 'audio' ? 'mic' : 'cam';
  if (peer.locks?.[kind]) return `${name} off (facilitator)`;
  return producer && !producer.paused ? `${name} on` : `${name} off`;
}

function render(): void {
  const self = client.self;
  $<HTMLButtonElement>('#toggle-mic').textContent = client.microphoneEnabled ? 'Mute microphone' : 'Unmute microphone';
  $<HTMLButtonElement>('#toggle-camera').textContent = client.cameraEnabled ? 'Turn camera off' : 'Turn camera on';
  $('#toggle-camera').hidden = !localStream?.getVideoTracks().length;
  $<HTMLButtonElement>('#toggle-audio-only').textContent = client.audioOnly === 'manual' ? 'Video on' : 'Audio only';
  for (const tile of tiles.querySelectorAll('.tile')) {
    tile.classList.toggle('spotlit', tile.id === `peer-${client.room?.spotlight}`);
    tile.classList.toggle('speaking', tile.id === `peer-${client.floor?.holder}`);
  }
  for (const peer of client.peers.values()) updateCaption(peer.participantId);
  renderFloor();
  messages.render();
  sideRooms.render();
  panel.hidden = !(self && isModerator(self.role) && client.state === 'joined');
  if (panel.hidden || !self) return;

  $('#lobby-count').textContent = String(client.lobby.length);
  $('#lobby-list').replaceChildren(
    ...client.lobby.map((entry) => {
      const item = document.createElement('li');
      const who = document.createElement('span');
      who.className = 'who';
      who.textContent = entry.displayName;
      // Muted earlier this session: the lock holds after admission, and the facilitator should know before.
      const locked = (['audio', 'video'] as const).filter((kind) => entry.locks[kind]).map((kind) => (kind === 'audio' ? 'muted' : 'camera off'));
      if (locked.length) who.textContent += ` (${locked.join(', ')} by a facilitator)`;
      // Their browser's check while waiting: who may struggle, before admitting them.
      const { readiness } = entry;
      if (readiness) who.textContent += ` · ${VERDICT_TEXT[readiness.verdict]}${readiness.path ? `, ${PATH_TEXT[readiness.path]}` : ''}`;
      item.append(who, button('Admit', () => client.admit(entry.participantId)), button('Deny', () => client.deny(entry.participantId), 'secondary'));
      return item;
    }),
  );

  const leads = self.role === 'facilitator';
  $('#people-list').replaceChildren(
    ...[...client.peers.values()].map((peer) => {
      const item = document.createElement('li');
      const who = document.createElement('span');
      who.className = 'who';
      const path = peer.path ? ` ${PATH_TEXT[peer.path]}` : '';
      who.textContent = `${peer.displayName}${peer.phone ? ' (phone)' : ''} · ${peer.role} · ${QUALITY_TEXT[peer.quality ?? 'good']}${path}`;
      const badges = (['audio', 'video'] as const).map((kind) => {
        const badge = document.createElement('span');
        badge.className = `badge${peer.locks?.[kind] ? ' locked' : ''}`;
        badge.textContent = mediaState(peer, kind);
        return badge;
      });
      item.append(who, ...badges);
      const id = peer.participantId;
      item.append(...sideRooms.actions(peer));
      if (peer.role === 'observer') return item;
      item.append(
        button('Give floor', () => client.grantFloor(id)),
        button('Mute', () => client.mute(id)),
        button('Ask to unmute', () => client.askToUnmute(id)),
        button('Stop video', () => client.stopVideo(id)),
        button('Ask for video', () => client.askToStartVideo(id)),
        button('Spotlight', () => client.spotlight(id)),
      );
      if (peer.quality === 'poor') item.append(button('Suggest audio only', () => client.suggestAudioOnly(id)));
      if (leads && peer.role === 'client') item.append(button('Make co-facilitator', () => client.promote(id)));
      if (leads && peer.role === 'cofacilitator') {
        item.append(button('Make client', () => client.demote(id)), button('Hand over lead', () => client.handOver(id)));
      }
      item.append(
        button('Remove', () => (confirm(`Remove ${peer.displayName} from this session?`) ? client.remove(id) : undefined), 'danger'),
      );
      return item;
    }),
  );
  $('#toggle-lock').textContent = client.room?.locked ? 'Unlock room' : 'Lock room';
  $<HTMLButtonElement>('#end-session').hidden = !leads;
}

function renderFloor(): void {
  const floor = client.floor;
  const self = client.self;
  const inRoom = client.state === 'joined' && floor && self;
  $('#floor-panel').hidden = !inRoom;
  const hand = $<HTMLButtonElement>('#toggle-hand');
  hand.hidden = !inRoom || !['client', 'cofacilitator'].includes(self.role);
  if (!inRoom) return;
  const position = client.handPosition;
  hand.textContent = position ? `Lower hand (${position} in line)` : 'Raise hand';

  const holder = floor.holder ? `${nameOf(floor.holder)} ${floor.holder === self.participantId ? 'have' : 'has'} the floor` : 'No one has the floor';
  const left = floor.turnEndsAt ? Math.max(0, Math.round((Date.parse(floor.turnEndsAt) - Date.now()) / 1000)) : undefined;
  const timer = left === undefined ? '' : ` · ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} left`;
  const mode = floor.mode === 'queue' ? 'One speaker at a time' : 'Open conversation';
  const heard = client.mayBeHeard ? '' : ' · you will be heard when you have the floor';
  $('#floor-status').textContent = `${mode} · ${holder}${timer}${heard}`;

  const moderating = isModerator(self.role);
  $('#queue-list').replaceChildren(
    ...floor.queue.map((id, index) => {
      const item = document.createElement('li');
      item.textContent = nameOf(id);
      item.classList.toggle('me', id === self.participantId);
      if (moderating) {
        item.append(
          button('Give floor', () => client.grantFloor(id)),
          button('↑', () => client.moveInQueue(id, index)),
          button('↓', () => client.moveInQueue(id, index + 2)),
          button('✕', () => client.removeFromQueue(id), 'secondary'),
        );
      }
      return item;
    }),
  );
  $('#floor-controls').hidden = !moderating;
  $('#toggle-mode').textContent = floor.mode === 'queue' ? 'Open conversation' : 'One speaker at a time';
  $<HTMLSelectElement>('#turn-limit').value = floor.turnLimitSeconds ? String(floor.turnLimitSeconds) : '';
}

$('#toggle-hand').addEventListener('click', () => {
  void (client.handPosition ? client.lowerHand() : client.raiseHand()).catch((error: Error) => showNotice(error.message));
});
$('#grant-next').addEventListener('click', () => void client.grantFloor(null).catch((error: Error) => showNotice(error.message)));
$('#take-back').addEventListener('click', () => void client.takeBackFloor());
$('#toggle-mode').addEventListener('click', () => void client.setFloorMode(client.floor?.mode === 'queue' ? 'open' : 'queue'));
$('#turn-limit').addEventListener('change', (event) => {
  const value = (event.target as HTMLSelectElement).value;
  void client.setTurnLimit(value ? Number(value) : null);
});
$('#extend-turn').addEventListener('click', () => void client.extendTurn(60).catch((error: Error) => showNotice(error.message)));
$('#clear-queue').addEventListener('click', () => void client.clearQueue());

$('#admit-all').addEventListener('click', () => void client.admitAll());
$('#deny-all').addEventListener('click', () => void client.denyAll());
$('#mute-all').addEventListener('click', () => void client.muteAllClients());
$('#clear-spotlight').addEventListener('click', () => void client.spotlight(null));
$('#toggle-lock').addEventListener('click', () => void (client.room?.locked ? client.unlock() : client.lock()));
$('#end-session').addEventListener('click', () => {
  if (confirm('End the session for everyone?')) void client.end();
});

/** Joins with a token from wherever it came (the clinic's portal, or the demo's token endpoint), and publishes. */
async function enter(token: string, { video = true } = {}): Promise<void> {
  const { role } = await client.join(token);
  if (role !== 'observer') {
    localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: video && { width: 640, height: 480 } });
    $<HTMLVideoElement>('#local-video').srcObject = localStream;
    $<HTMLElement>('#self-tile').hidden = false;
    await client.publish(localStream);
  }
  render();
}

/** The demo's way in: a token for any name and role from `/dev/token` (only where the server enables it). */
async function join(room: string, name: string, role: Role, options: { video?: boolean } = {}): Promise<void> {
  const response = await fetch('/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ room, name, role }),
  });
  const body = (await response.json()) as { token?: string; error?: { message: string } };
  if (!body.token) throw new Error(body.error?.message ?? 'could not get a token');
  await enter(body.token, options);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const data = new FormData(form);
  join(String(data.get('room')), String(data.get('name')), String(data.get('role')) as Role).catch((error: Error) => {
    statusLine.textContent = `Could not join: ${error.message}`;
  });
});

$('#toggle-mic').addEventListener('click', () => {
  client.setMicrophoneEnabled(!client.microphoneEnabled).then(render, (error: Error) => showNotice(error.message));
});
$('#toggle-audio-only').addEventListener('click', () => {
  client.setAudioOnly(client.audioOnly !== 'manual').then(render, (error: Error) => showNotice(error.message));
});
$('#toggle-camera').addEventListener('click', () => {
  client.setCameraEnabled(!client.cameraEnabled).then(render, (error: Error) => showNotice(error.message));
});

$<HTMLButtonElement>('#leave').addEventListener('click', () => {
  void client.leave().then(() => {
    localStream?.getTracks().forEach((track) => track.stop());
    for (const tile of tiles.querySelectorAll('.tile:not(.self)')) tile.remove();
    $<HTMLElement>('#self-tile').hidden = true;
  });
});

for (const field of ['room', 'name', 'role'] as const) {
  const value = params.get(field);
  if (value) (form.elements.namedItem(field) as HTMLInputElement).value = value;
}

// Handles for automation (the end-to-end tests drive the page through these).
Object.assign(window, { circle: { client, join, enter } });
