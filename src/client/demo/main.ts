import type { Role } from '../../protocol/roles.js';
import { CircleClient, type RemoteTrack } from '../sdk.js';

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;
const form = $<HTMLFormElement>('#join-form');
const controls = $<HTMLElement>('#controls');
const statusLine = $<HTMLElement>('#status');
const tiles = $<HTMLElement>('#tiles');

const client = new CircleClient();
let localStream: MediaStream | undefined;

const STATE_TEXT = {
  idle: 'Not connected',
  joining: 'Joining…',
  joined: 'In the session',
  rejoining: 'Reconnecting…',
  left: 'You left the session',
  ended: 'The session ended for this window',
} as const;

client.on('state', (state) => {
  statusLine.textContent = STATE_TEXT[state];
  controls.hidden = state !== 'joined' && state !== 'rejoining';
  form.hidden = state === 'joined' || state === 'rejoining' || state === 'joining';
});
client.on('error', (error) => console.warn('circle:', error.message));

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

function attach(remote: RemoteTrack): void {
  const element = tileFor(remote.participantId).querySelector(remote.kind) as HTMLMediaElement;
  element.srcObject = new MediaStream([remote.track]);
  void element.play().catch(() => undefined);
}

client.on('peerJoined', (peer) => tileFor(peer.participantId));
client.on('peerLeft', ({ participantId }) => document.getElementById(`peer-${participantId}`)?.remove());
client.on('trackAdded', attach);

async function join(room: string, name: string, role: Role): Promise<void> {
  const response = await fetch('/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ room, name, role }),
  });
  const body = (await response.json()) as { token?: string; error?: { message: string } };
  if (!body.token) throw new Error(body.error?.message ?? 'could not get a token');
  await client.join(body.token);
  if (role !== 'observer') {
    localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
    $<HTMLVideoElement>('#local-video').srcObject = localStream;
    $<HTMLElement>('#self-tile').hidden = false;
    await client.publish(localStream);
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const data = new FormData(form);
  join(String(data.get('room')), String(data.get('name')), String(data.get('role')) as Role).catch((error: Error) => {
    statusLine.textContent = `Could not join: ${error.message}`;
  });
});

function toggle(button: HTMLButtonElement, on: string, off: string, apply: (enabled: boolean) => Promise<void>) {
  button.addEventListener('click', () => {
    const enabled = button.getAttribute('aria-pressed') !== 'true';
    void apply(enabled).then(() => {
      button.setAttribute('aria-pressed', String(enabled));
      button.textContent = enabled ? on : off;
    });
  });
}
toggle($('#toggle-mic'), 'Mute microphone', 'Unmute microphone', (on) => client.setMicrophoneEnabled(on));
toggle($('#toggle-camera'), 'Turn camera off', 'Turn camera on', (on) => client.setCameraEnabled(on));

$<HTMLButtonElement>('#leave').addEventListener('click', () => {
  void client.leave().then(() => {
    localStream?.getTracks().forEach((track) => track.stop());
    for (const tile of tiles.querySelectorAll('.tile:not(.self)')) tile.remove();
    $<HTMLElement>('#self-tile').hidden = true;
  });
});

const params = new URLSearchParams(location.search);
for (const field of ['room', 'name', 'role'] as const) {
  const value = params.get(field);
  if (value) (form.elements.namedItem(field) as HTMLInputElement).value = value;
}

// Handles for automation (the end-to-end tests drive the page through these).
Object.assign(window, { circle: { client, join } });
