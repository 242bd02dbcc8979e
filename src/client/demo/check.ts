// The pre-session check page (/check): camera preview, a microphone level meter, a test sound, and the SDK's
// connection check with its verdict in plain words. Nothing leaves the browser but the test media, which the SFU
// sends straight back.
import { canEncrypt, CircleClient, type CheckResult } from '../index.js';
import { PATH_TEXT, VERDICT_TEXT } from './texts.js';

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;
const params = new URLSearchParams(location.search);
const client = new CircleClient({ iceTransportPolicy: params.has('relay') ? 'relay' : 'all' });
let stream: MediaStream | undefined;
let result: CheckResult | undefined;

/** The camera and microphone, asked for once; without a camera, the microphone alone. */
async function devices(): Promise<MediaStream> {
  if (stream) return stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  } catch {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    $('#device-status').textContent = 'No camera found: the session will be audio only for you.';
  }
  $<HTMLVideoElement>('#preview').srcObject = stream;
  showLevel(stream);
  return stream;
}

/** The microphone's loudness, ten times a second, on the meter. */
function showLevel(media: MediaStream): void {
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  context.createMediaStreamSource(media).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    const rms = Math.sqrt(samples.reduce((sum, s) => sum + s * s, 0) / samples.length);
    $<HTMLMeterElement>('#mic-level').value = Math.min(1, rms * 4);
  }, 100);
}

function playTone(): void {
  const context = new AudioContext();
  const tone = context.createOscillator();
  tone.frequency.value = 440;
  tone.connect(context.destination);
  tone.start();
  tone.stop(context.currentTime + 1);
  $('#device-status').textContent = 'Did you hear a one-second tone? If not, check your speakers or headphones.';
}

const percent = (share: number | null) => (share === null ? '—' : `${Math.round(share * 1000) / 10}%`);
const kbps = (bps: number | null) => (bps === null ? '—' : `${Math.round(bps / 1000)} kbit/s`);

async function run(): Promise<CheckResult> {
  $<HTMLButtonElement>('#run-check').disabled = true;
  $('#check-status').textContent = 'Testing your connection for a few seconds…';
  try {
    result = await client.check(await devices());
    const { verdict, advice, dialInNumber, path, roundTripMs, loss, uplinkBps, downlinkBps } = result;
    $('#verdict').textContent = verdict === 'phone' && dialInNumber ? `${VERDICT_TEXT.phone}: call ${dialInNumber}` : VERDICT_TEXT[verdict];
    $('#advice').replaceChildren(...advice.map((line) => Object.assign(document.createElement('li'), { textContent: line })));
    const details: [string, string][] = [
      ['Path', path ? PATH_TEXT[path] : '—'],
      ['Round trip', roundTripMs === null ? '—' : `${Math.round(roundTripMs)} ms`],
      ['Lost on the way there and back', percent(loss)],
      ['Upload', kbps(uplinkBps)],
      ['Download', kbps(downlinkBps)],
      ['End-to-end encryption', canEncrypt() ? 'this browser can encrypt' : 'this browser cannot encrypt: a session that requires it will not let it in'],
    ];
    $('#details').replaceChildren(...details.flatMap(([term, value]) => [Object.assign(document.createElement('dt'), { textContent: term }), Object.assign(document.createElement('dd'), { textContent: value })]));
    $('#check-status').textContent = 'Done.';
    return result;
  } catch (error) {
    $('#check-status').textContent = `The check could not run: ${(error as Error).message}`;
    throw error;
  } finally {
    $<HTMLButtonElement>('#run-check').disabled = false;
  }
}

$('#start-devices').addEventListener('click', () => void devices());
$('#play-tone').addEventListener('click', playTone);
$('#run-check').addEventListener('click', () => void run().catch(() => undefined));

// Handles for automation (the end-to-end tests drive the page through these).
Object.assign(window, { circleCheck: { run, client, get result() { return result; } } });
