// The phone door under attack, beside an honest room, on a real server process: a room of 12 (a speaking facilitator
// bot and 11 sipp callers speaking, let in from the waiting room by the facilitator) runs a quiet window, then the same
// window while, from other loopback addresses, an attacker sends malformed and oversized SIP as fast as it can, guesses
// PINs (the honest session's code with random seat codes, the worst case of an insider, and random PINs), and sends
// INVITEs whose media points at a victim outside the trunk's media networks, and blind INVITEs it never acknowledges.
// Measured: seats the attacker took, packets the victims received, the mixing clock's late frames, and the honest
// room's signaling p99 (a request every 100 ms from its facilitator), quiet against attacked.
//
//   npm run load:phone-attack -- --window 20
import dgram from 'node:dgram';
import type { ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sample } from '../harness/circle.js';
import { MediaBot, MediaClock } from './lib/media-bot.js';
import { opusFrames, PhoneNode, sippCalls, sleep, stopAfter } from './lib/phone-load.js';
import { machine, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { window: { type: 'string', default: '20' }, 'flood-rate': { type: 'string', default: '2000' } } });
const WINDOW_S = Number(values.window);
/** The attacker's SIP messages a second: ten times a trunk's allowed rate; 0: as fast as the socket takes them. */
const FLOOD_RATE = Number(values['flood-rate']);
const ROOM = 'attacked';

const node = await PhoneNode.start({
  // The trunk's signalling may come from anywhere in 127/8 (so the attacker's forged sources are allowed); its media
  // gateways are in 127.0.0.0/29; the victims are outside it. The guessing limits are the shipped defaults.
  CIRCLE_PHONE_ALLOWED_SOURCES: '127.0.0.0/8',
  CIRCLE_PHONE_ALLOWED_MEDIA_NETWORKS: '127.0.0.0/29',
  CIRCLE_PHONE_PIN_FAILURES_PER_MINUTE: '5',
  // A trunk's rate: enough for eleven callers keying their PINs at once (about 170 messages a second), not the
  // load harness's unlimited one. Every source, the attacker's too, gets it.
  CIRCLE_PHONE_MESSAGES_PER_SECOND_PER_SOURCE: '200',
  CIRCLE_PHONE_MESSAGES_BURST_PER_SOURCE: '400',
  CIRCLE_PHONE_DIGIT_TIMEOUT_MS: '15000',
});
stopAfter(15, 'phone attack benchmark', [node]);

const clock = new MediaClock();
const facilitator = await MediaBot.join(node.url, ROOM, 'attacked-f', 'facilitator', 'attacked-f');
facilitator.admitEveryone();
await facilitator.startMedia({ audio: true, videoLayers: 0, opusFrames: opusFrames(440) });
clock.add(facilitator);
const pins: string[] = [];
for (let c = 0; c < 11; c += 1) pins.push(await node.pinFor(ROOM, `attacked-c${c}`));
const honest = await sippCalls(node.sipPort, pins);
await node.awaitCalls(11);

/** The honest room's signaling: its facilitator asks for the audit log every 100 ms; the answer's time. */
async function probe(seconds: number): Promise<number[]> {
  const times: number[] = [];
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    const started = performance.now();
    await facilitator.client.call('getAuditLog', {});
    times.push(performance.now() - started);
    await sleep(100);
  }
  return times;
}

async function metrics(): Promise<string> {
  return (await fetch(`${node.server.adminUrl}/metrics`)).text();
}

async function window(): Promise<{ lateFrames: number; node: number; signaling: ReturnType<typeof summarize> }> {
  const [measured, times] = await Promise.all([node.measure(WINDOW_S), probe(WINDOW_S)]);
  return { lateFrames: measured.lateFrames, node: measured.node, signaling: summarize(times) };
}

const quiet = await window();
console.log(`quiet: late frames ${quiet.lateFrames}, node ${(quiet.node * 100).toFixed(1)}%, signaling p99 ${quiet.signaling.p99} ms`);

// Victims: where forged INVITEs point their media; nothing may ever arrive there.
const victim = dgram.createSocket('udp4');
const unacknowledged = dgram.createSocket('udp4');
let victimPackets = 0;
let unacknowledgedPackets = 0;
await new Promise<void>((resolve) => victim.bind(0, '127.0.0.9', resolve));
await new Promise<void>((resolve) => unacknowledged.bind(0, '127.0.0.3', resolve));
victim.on('message', () => (victimPackets += 1));
unacknowledged.on('message', () => (unacknowledgedPackets += 1));

const attacker = dgram.createSocket('udp4');
await new Promise<void>((resolve) => attacker.bind(0, '127.0.0.5', resolve));
let sent = 0;
const invite = (callId: string, media: dgram.Socket) => {
  const { address, port } = media.address();
  const sdp = `v=0\r\no=x 1 1 IN IP4 ${address}\r\ns=-\r\nc=IN IP4 ${address}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n`;
  return `INVITE sip:circle@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.5:5099;branch=z9hG4bK${callId}\r\nFrom: <sip:m@127.0.0.5>;tag=${callId}\r\nTo: <sip:circle@127.0.0.1>\r\nCall-ID: ${callId}\r\nCSeq: 1 INVITE\r\nContact: <sip:m@127.0.0.5:5099>\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`;
};
const garbage = [
  Buffer.alloc(16_384, ' '),
  Buffer.alloc(20_000, 'A'),
  Buffer.from(`INVITE sip:x SIP/2.0\r\n${'X-Filler: y\r\n'.repeat(1300)}\r\n`),
  Buffer.from(`INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=${';'.repeat(16_000)}\r\n\r\n`),
  Buffer.from('OPTIONS sip:x SIP/2.0\r\nContent-Length: lots\r\n\r\n'),
];
// The flood, at FLOOD_RATE for the window (in bursts each millisecond or so); every 10th message an INVITE at a
// victim or a blind one.
const flooding = (async () => {
  const started = Date.now();
  const until = started + WINDOW_S * 1000;
  while (Date.now() < until) {
    const due = FLOOD_RATE ? Math.floor(((Date.now() - started) / 1000) * FLOOD_RATE) : sent + 50;
    while (sent < due) {
      const n = sent++;
      const message = n % 10 === 0 ? Buffer.from(invite(`reflect-${n}`, n % 20 === 0 ? victim : unacknowledged)) : garbage[n % garbage.length]!;
      await new Promise((resolve) => attacker.send(message, node.sipPort, '127.0.0.1', resolve));
    }
    await sleep(1);
  }
})();
// PIN guesses: the honest session's code with random seat codes, and random PINs, from 127.0.0.6, 10 calls a second.
const session = pins[0]!.slice(0, 4);
const guesses = Array.from({ length: WINDOW_S * 10 }, (_, i) => (i % 2 ? session : String(randomInt(0, 10_000)).padStart(4, '0')) + String(randomInt(0, 10 ** 10)).padStart(10, '0'));
const guessers: ChildProcess = await sippCalls(node.sipPort, guesses, { from: '127.0.0.6', perSecond: 10 });
const attacked = await window();
await flooding;
guessers.kill('SIGKILL');
await sleep(2000);
console.log(`attacked: late frames ${attacked.lateFrames}, node ${(attacked.node * 100).toFixed(1)}%, signaling p99 ${attacked.signaling.p99} ms`);

const text = await metrics();
const count = (name: string, labels: Record<string, string> = {}) => sample(text, name, labels) ?? 0;
// Everyone the facilitator ever saw in the room or its waiting room, less the honest twelve: the attacker's seats.
const honestIds = new Set(['attacked-f', ...pins.map((_, c) => `attacked-c${c}`)]);
const seen = new Set<string>([
  ...(facilitator.client.events('peerJoined') as { participantId: string }[]).map((peer) => peer.participantId),
  ...(facilitator.client.events('lobbyUpdated') as { waiting: { participantId: string }[] }[]).flatMap((lobby) => lobby.waiting.map((entry) => entry.participantId)),
]);
const attackerSeats = [...seen].filter((id) => !honestIds.has(id)).length;
const result = {
  machine: machine(),
  windowSeconds: WINDOW_S,
  floodRate: FLOOD_RATE,
  quiet,
  attacked,
  attack: {
    messagesSent: sent,
    pinGuessCalls: guesses.length,
    dropped: Object.fromEntries(['source-not-allowed', 'rate-limited', 'too-large', 'unparsable', 'media-not-allowed', 'unauthenticated'].map((reason) => [reason, count('circle_phone_sip_dropped_total', { reason })])),
    pinFailures: Object.fromEntries(['wrong', 'unknown-session', 'limited'].map((kind) => [kind, count('circle_phone_pin_failures_total', { kind })])),
  },
  seatsTakenByAttacker: attackerSeats,
  packetsToVictimOutsideMediaNetworks: victimPackets,
  packetsToUnacknowledgedInvites: unacknowledgedPackets,
  signalingP99Ratio: attacked.signaling.p99 / quiet.signaling.p99,
};
const summary = [
  `Phone door under attack beside a room of 12 (11 callers speaking), ${WINDOW_S} s windows (${result.machine.cpus}, Node ${process.version})`,
  '',
  '| | quiet | attacked |',
  '| --- | --- | --- |',
  `| mixing clock late frames | ${quiet.lateFrames} | ${attacked.lateFrames} |`,
  `| Node CPU | ${(quiet.node * 100).toFixed(1)}% | ${(attacked.node * 100).toFixed(1)}% |`,
  `| signaling median / p99 ms | ${quiet.signaling.median} / ${quiet.signaling.p99} | ${attacked.signaling.median} / ${attacked.signaling.p99} |`,
  '',
  `attacker: ${sent} SIP messages (${FLOOD_RATE || 'as fast as it goes'} a second: malformed, oversized, INVITEs at victims and never acknowledged), ${guesses.length} PIN-guessing calls`,
  `dropped: ${JSON.stringify(result.attack.dropped)}; PIN failures: ${JSON.stringify(result.attack.pinFailures)}`,
  `seats taken by the attacker: ${result.seatsTakenByAttacker}; packets to the victim outside the media networks: ${victimPackets}; to unacknowledged INVITEs: ${unacknowledgedPackets}`,
  `signaling p99 attacked / quiet: ${result.signalingP99Ratio.toFixed(2)}`,
  '',
].join('\n');
console.log(writeResult('phone-attack', result, summary));
for (const socket of [victim, unacknowledged, attacker]) socket.close();
honest.kill('SIGKILL');
clock.remove(facilitator);
facilitator.close();
await node.stop();
process.exit(0);
