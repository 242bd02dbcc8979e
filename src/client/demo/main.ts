import type { MediaKind } from '../../protocol/events.js';
import type { Role } from '../../protocol/roles.js';
import { CircleClient } from '../sdk.js';
import { mountBreak } from './break-view.js';
import { mountCheckIn } from './check-in-form.js';
import { mountEncryption } from './encryption-view.js';
import { mountFloorPanel } from './floor-panel.js';
import { mountMessagesPanel } from './messages-panel.js';
import { mountSideRooms } from './side-rooms-view.js';
import { mountStaffPanel } from './staff-panel.js';
import { AUDIO_ONLY_TEXT, clockText, dialInText, END_TEXT, STATE_TEXT } from './texts.js';
import { mountTiles } from './tiles.js';
import { mountLayout } from './layout.js';
import { noiseSuppressionWanted, rememberNoiseSuppression, suppressNoise, type SuppressedMicrophone } from './noise-suppression.js';
import { $, perform, showNotice } from './ui.js';

const form = $<HTMLFormElement>('#join-form');
const controls = $<HTMLElement>('#controls');
const statusLine = $<HTMLElement>('#status');
const dialInLine = $<HTMLElement>('#dial-in');

const params = new URLSearchParams(location.search);
// `?relay=1`: media only through the TURN relay (support staff ask for it when a network blocks the direct path).
const client = new CircleClient({ iceTransportPolicy: params.has('relay') ? 'relay' : 'all' });
const messages = mountMessagesPanel(client);
const sideRooms = mountSideRooms(client);
const staff = mountStaffPanel(client, sideRooms.actions);
const tiles = mountTiles(client, $('#tiles'), staff.actionsFor, sideRooms.whereabouts);
const layout = mountLayout(client, $('#tiles'), $<HTMLButtonElement>('#toggle-layout'), { read: readPreference, write: writePreference });
const floorPanel = mountFloorPanel(client, nameOf);
const checkIn = mountCheckIn(client);
const breakView = mountBreak(client);
mountEncryption(client);
let localStream: MediaStream | undefined;
/** The microphone as sent, through RNNoise while that is on. */
let microphone: SuppressedMicrophone | undefined;
const SELF_VIEW_KEY = 'circle.selfViewHidden';
let selfViewHidden = readPreference(SELF_VIEW_KEY) === 'yes';

const inSession = () => ['joined', 'rejoining', 'waiting'].includes(client.state);

client.on('state', (state) => {
  statusLine.textContent = STATE_TEXT[state];
  controls.hidden = !inSession();
  form.hidden = state !== 'idle' && state !== 'left';
  $('#reconnecting-banner').hidden = state !== 'rejoining';
  if (state === 'ended' && client.endReason) showNotice(END_TEXT[client.endReason]);
  dialInLine.textContent = client.dialIn ? dialInText(client.dialIn) : '';
  dialInLine.hidden = !client.dialIn || !inSession();
  render();
});
client.on('ended', (reason) => showNotice(END_TEXT[reason]));
client.on('error', (error) => console.warn('circle:', error.message));
client.on('self', (self) => {
  if (self.locks.audio) showNotice('A facilitator muted your microphone.');
  $<HTMLElement>('#voice-on-phone').hidden = !self.voiceOnPhone;
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
      return client.setAudioOnly(true);
    },
  });
});
client.on('unmuteRequested', (kind: MediaKind) => {
  const what = kind === 'audio' ? 'unmute your microphone' : 'turn your camera on';
  showNotice(`A facilitator invites you to ${what}.`, {
    label: kind === 'audio' ? 'Unmute' : 'Turn camera on',
    run: () => {
      showNotice(undefined);
      return (kind === 'audio' ? client.setMicrophoneEnabled(true) : client.setCameraEnabled(true)).then(render);
    },
  });
});
client.on('phoneJoinRequested', (expiresInMs: number) => {
  const answer = (accept: boolean) => () => {
    showNotice(undefined);
    return client.answerPhoneJoin(accept);
  };
  const minutes = Math.round(expiresInMs / 1000);
  showNotice(
    `A phone is joining as you — is this you? If it is not, say no: the call ends (it ends anyway in ${minutes} s).`,
    { label: 'Yes, it is me', run: answer(true) },
    { label: 'No', run: answer(false), tone: 'secondary' },
  );
});
client.on('dialInAttempts', ({ wrongPins, withinMinutes }) => {
  showNotice(`${wrongPins} wrong dial-in PINs for this group in the last ${withinMinutes} minutes. Calls that are not someone's own still wait for you in the waiting room.`);
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
for (const event of ['lobby', 'peerJoined', 'peerUpdated', 'floor', 'activeSpeaker', 'talk'] as const) client.on(event, () => render());
client.on('peerLeft', ({ participantId }) => {
  tiles.remove(participantId);
  render();
});
client.on('trackAdded', tiles.attach);
client.on('trackRemoved', tiles.detach);

function nameOf(participantId: string): string {
  if (participantId === client.self?.participantId) return 'You';
  return client.peers.get(participantId)?.displayName ?? 'Someone';
}

/** How long the session has run, as the room says it started (the same clock on every screen). */
function renderClock(): void {
  const startedAt = client.room?.startedAt;
  const line = $<HTMLElement>('#session-clock');
  line.hidden = !startedAt || client.state !== 'joined';
  if (line.hidden) return;
  const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(startedAt!)) / 1000));
  const time = $<HTMLTimeElement>('#session-time');
  time.textContent = clockText(seconds);
  time.dateTime = `PT${seconds}S`;
}
setInterval(renderClock, 1000);

function render(): void {
  const mic = $<HTMLButtonElement>('#toggle-mic');
  mic.textContent = client.microphoneEnabled ? 'Mute microphone' : 'Unmute microphone';
  mic.setAttribute('aria-pressed', String(!client.microphoneEnabled));
  const camera = $<HTMLButtonElement>('#toggle-camera');
  camera.textContent = client.cameraEnabled ? 'Turn camera off' : 'Turn camera on';
  camera.hidden = !localStream?.getVideoTracks().length;
  $<HTMLButtonElement>('#toggle-audio-only').textContent = client.audioOnly === 'manual' ? 'Video on' : 'Audio only';
  tiles.render();
  layout.render();
  floorPanel.render();
  messages.render();
  sideRooms.render();
  staff.render();
  renderClock();
  renderFocus();
  checkIn.render();
  breakView.render();
  $('#self-view-hidden').hidden = !selfViewHidden || !localStream || !client.cameraEnabled;
}

/** Focus mode, said on every page: a client knows why the others' faces are gone, and that they are not gone for good. */
function renderFocus(): void {
  const status = $('#focus-status');
  status.hidden = !client.room?.focus;
  status.textContent = client.self?.role === 'client' ? 'Focus mode: you see the facilitators. Everyone still hears everyone.' : 'Focus mode is on: clients see only the staff.';
}

$('#admit-all').addEventListener('click', () => perform(() => client.admitAll()));
$('#deny-all').addEventListener('click', () => perform(() => client.denyAll()));
$('#mute-all').addEventListener('click', () => perform(() => client.muteAllClients()));
$('#clear-spotlight').addEventListener('click', () => perform(() => client.spotlight(null)));
$('#toggle-lock').addEventListener('click', () => perform(() => (client.room?.locked ? client.unlock() : client.lock())));
$<HTMLInputElement>('#phone-into-held-seats').addEventListener('change', (event) => perform(() => client.setPhoneEntry((event.target as HTMLInputElement).checked)));
$<HTMLInputElement>('#ask-check-in').addEventListener('change', (event) => perform(() => client.setCheckIn((event.target as HTMLInputElement).checked)));
$<HTMLInputElement>('#focus-mode').addEventListener('change', (event) => perform(() => client.setFocus((event.target as HTMLInputElement).checked)));
$('#end-session').addEventListener('click', () => {
  if (confirm('End the session for everyone?')) perform(() => client.end());
});

/**
 * The camera as sent: 720p at 15 frames a second, in three simulcast layers (320×180, 640×360, 1280×720). Faces large
 * (speaker view, a spotlight) are sharp, and each page receives only the layer its tile needs. Browsers send three
 * layers only from about 960×540 up; a 640×480 camera would give a large tile nothing better than 320×240.
 */
const CAMERA: MediaTrackConstraints = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 15 } };

/** Joins with a token from wherever it came (the clinic's portal, or the demo's token endpoint), and publishes. */
async function enter(token: string, { video = true } = {}): Promise<void> {
  const { role, displayName, askCheckIn } = await client.join(token);
  checkIn.joined(askCheckIn);
  tiles.setSelfName(displayName);
  if (role !== 'observer') {
    localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: video && CAMERA });
    renderSelfView();
    microphone = await suppressNoise(localStream.getAudioTracks()[0]!, noiseSuppressionWanted(role, readPreference)).catch(() => undefined);
    renderNoiseSwitch();
    await client.publish(microphone ? new MediaStream([microphone.track, ...localStream.getVideoTracks()]) : localStream);
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

const toggleMicrophone = () => perform(() => client.setMicrophoneEnabled(!client.microphoneEnabled).then(render));
const toggleCamera = () => perform(() => client.setCameraEnabled(!client.cameraEnabled).then(render));
$('#toggle-mic').addEventListener('click', toggleMicrophone);
$('#toggle-camera').addEventListener('click', toggleCamera);
$('#toggle-audio-only').addEventListener('click', () => perform(() => client.setAudioOnly(client.audioOnly !== 'manual').then(render)));

// One key each for what a participant does most, never while typing (a message, a name) or with a modifier held.
document.addEventListener('keydown', (event) => {
  const typing = (event.target as HTMLElement).closest('input, textarea, select, [contenteditable]');
  if (typing || event.ctrlKey || event.metaKey || event.altKey || event.repeat || client.state !== 'joined') return;
  const key = event.key.toLowerCase();
  if (key === 'm' && localStream?.getAudioTracks().length) toggleMicrophone();
  else if (key === 'v' && !$('#toggle-camera').hidden) toggleCamera();
  else if (key === 'h' && !$('#toggle-hand').hidden) $('#toggle-hand').click();
  else return;
  event.preventDefault();
});

$<HTMLButtonElement>('#leave').addEventListener('click', () => {
  void client.leave().then(() => {
    localStream?.getTracks().forEach((track) => track.stop());
    localStream = undefined;
    microphone?.close();
    microphone = undefined;
    renderNoiseSwitch();
    tiles.clear();
    renderSelfView();
  });
});

/**
 * Hide self-view, remembered on this device: watching oneself all hour tires (one of the fatigue sources clinicians
 * name). The tile goes and the preview is no longer drawn; the camera is still sent, as the page says.
 */
function renderSelfView(): void {
  const tile = $<HTMLElement>('#self-tile');
  tile.hidden = !localStream || selfViewHidden;
  $<HTMLVideoElement>('#local-video').srcObject = tile.hidden ? null : (localStream ?? null);
  const button = $<HTMLButtonElement>('#toggle-self-view');
  button.hidden = !localStream?.getVideoTracks().length;
  button.textContent = selfViewHidden ? 'Show self-view' : 'Hide self-view';
  button.setAttribute('aria-pressed', String(selfViewHidden));
  render();
}
$('#toggle-self-view').addEventListener('click', () => {
  selfViewHidden = !selfViewHidden;
  writePreference(SELF_VIEW_KEY, selfViewHidden ? 'yes' : 'no');
  renderSelfView();
});

/** Noise suppression on the microphone (RNNoise): on by default for clients, a switch remembered on this device. */
function renderNoiseSwitch(): void {
  const button = $<HTMLButtonElement>('#toggle-noise');
  button.hidden = !microphone;
  button.textContent = microphone?.on ? 'Noise suppression: on' : 'Noise suppression: off';
  button.setAttribute('aria-pressed', String(Boolean(microphone?.on)));
}
$('#toggle-noise').addEventListener('click', () => {
  if (!microphone) return;
  microphone.set(!microphone.on);
  rememberNoiseSuppression(microphone.on, writePreference);
  renderNoiseSwitch();
});

/** A setting kept on this device; storage may be refused (a private window), and then nothing is remembered. */
function readPreference(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function writePreference(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // not remembered on this device
  }
}

for (const field of ['room', 'name', 'role'] as const) {
  const value = params.get(field);
  if (value) (form.elements.namedItem(field) as HTMLInputElement).value = value;
}

// Handles for automation (the end-to-end tests drive the page through these).
Object.assign(window, { circle: { client, join, enter } });
