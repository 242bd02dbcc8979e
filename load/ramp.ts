// Capacity of one worker core: rooms of 10 (1 facilitator, 9 clients) with real RTP, added one at a time until
// forwarded packets are lost, signaling p99 exceeds 100 ms, or the worker's core is full. Each step reports the
// forwarded streams, worker and Node CPU, loss, signaling p99, and the join latency of a late joiner (socket
// connect to the first forwarded audio packet, admission by the facilitator included).
//
//   npm run load:ramp -- --video-layers 3      (browser-like simulcast)
//   npm run load:ramp -- --video-layers 0      (audio only: the per-stream audio cost)
//   npm run load:ramp -- --video-layers 0 --speakers 1 --max-rooms 50
//                                              (a group as it sounds: one speaker, the others silent with DTX)
//   ... --measure-from 35 --window-seconds 30  (fill to 35 rooms unmeasured, then long steady windows)
//   ... --profile                              (perf on the workers in each window: system calls and CPU
//                                               samples per forwarded packet; root and linux-perf needed)
//   ... --no-talk-balance                      (speaking time not counted: its cost, side by side)
//   ... --tile 213x160 [--no-adaptive]         (every bot declares every video drawn in a tile of that size, as the
//                                               web app's grid does; --no-adaptive: the server ignores it)
import { parseArgs } from 'node:util';
import { startServerProcess } from '../harness/process.js';
import { sample } from '../harness/circle.js';
import { connect, devToken } from '../harness/signaling.js';
import { MediaBot, MediaClock } from './lib/media-bot.js';
import { machine, writeResult } from './lib/report.js';
import { ServerProbe } from './lib/server-probe.js';
import { summarize } from './lib/stats.js';
import { profileWorkers, type WorkerProfile } from './lib/worker-profiler.js';

const { values } = parseArgs({
  options: {
    'max-rooms': { type: 'string', default: '40' },
    'video-layers': { type: 'string', default: '3' },
    /** Participants per room who speak (full-rate audio); the rest are silent (DTX). Default: everyone. */
    speakers: { type: 'string', default: '10' },
    'settle-seconds': { type: 'string', default: '6' },
    'window-seconds': { type: 'string', default: '6' },
    /** Rooms below this are added without settling or measuring: a long steady window at a known size. */
    'measure-from': { type: 'string', default: '1' },
    profile: { type: 'boolean', default: false },
    /** Speaking time and turns counted (`rooms.talkBalance`, on by default): `--no-talk-balance` turns it off. */
    'talk-balance': { type: 'boolean', default: true },
    /** Each bot declares every video it receives as drawn at this size (device pixels), e.g. `213x160`. */
    tile: { type: 'string' },
    /** Whether the server follows declared tiles (`quality.adaptiveVideo`): `--no-adaptive` for the comparison. */
    adaptive: { type: 'boolean', default: true },
  },
  allowNegative: true,
});
const MEASURE_FROM = Number(values['measure-from']);
const MAX_ROOMS = Number(values['max-rooms']);
const TILE = values.tile ? (([width, height]) => ({ width: width!, height: height! }))(values.tile.split('x').map(Number)) : undefined;
const MEDIA = { audio: true, videoLayers: Number(values['video-layers']), tile: TILE };
const SPEAKERS = Number(values.speakers);
/** The facilitator and the first clients speak; the others are silent. */
const mediaFor = (index: number) => ({ ...MEDIA, silent: index >= SPEAKERS });
const SETTLE_MS = Number(values['settle-seconds']) * 1000;
const WINDOW_MS = Number(values['window-seconds']) * 1000;
const LIMITS = { loss: 0.01, signalingP99Ms: 100, workerCpu: 0.95 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const server = await startServerProcess({
  CIRCLE_LOAD_BOT_TRANSPORTS: 'true',
  CIRCLE_ROOMS_TALK_BALANCE: String(values['talk-balance']),
  CIRCLE_QUALITY_ADAPTIVE_VIDEO: String(values.adaptive),
});
const probe = new ServerProbe(server.adminUrl, server.child.pid!);
const clock = new MediaClock();
const bots: MediaBot[] = [];

/** A co-facilitator alone in a room, raising and lowering a hand every 100 ms: the signaling latency probe. */
async function startSignalingProbe(): Promise<{ take(): number[]; stop(): void }> {
  const { token } = await devToken(server.url, { room: 'probe', name: 'probe', role: 'cofacilitator' });
  const client = await connect(server.url);
  await client.ok('join', { token });
  let latencies: number[] = [];
  let up = false;
  const timer = setInterval(() => {
    const started = performance.now();
    void client.call(up ? 'lowerHand' : 'raiseHand', {}).then(() => latencies.push(performance.now() - started));
    up = !up;
  }, 100);
  return {
    take: () => [latencies, (latencies = [])][0]!,
    stop: () => (clearInterval(timer), client.close()),
  };
}

/** A room of 10: the facilitator admits the 9 clients from the lobby as they knock; everyone sends and receives. */
async function addRoom(index: number): Promise<number | undefined> {
  const room = `ramp-${index}`;
  const facilitator = await MediaBot.join(server.url, room, 'facilitator', 'facilitator');
  facilitator.admitEveryone();
  await facilitator.startMedia(mediaFor(0));
  const joined = [facilitator];
  joined.push(...(await Promise.all(Array.from({ length: 8 }, (_, i) => MediaBot.join(server.url, room, `client-${i}`, 'client')))));
  await Promise.all(joined.slice(1).map((bot, i) => bot.startMedia(mediaFor(i + 1))));
  for (const bot of joined) clock.add(bot);
  await sleep(1000);
  // The late joiner: connect, knock, be admitted, set up media, hear the room.
  const late = await MediaBot.join(server.url, room, 'late', 'client');
  await late.startMedia(mediaFor(9));
  clock.add(late);
  joined.push(late);
  bots.push(...joined);
  const deadline = performance.now() + 10_000;
  while (late.sink.firstAudioAt === undefined && performance.now() < deadline) await sleep(5);
  return late.sink.firstAudioAt === undefined ? undefined : late.sink.firstAudioAt - late.joinStartedAt;
}

function sinkTotals() {
  let expected = 0;
  let received = 0;
  for (const bot of bots) {
    const counts = bot.sink.counts();
    expected += counts.expected;
    received += counts.received;
  }
  return { expected, received };
}

/** A window's profile as costs per forwarded packet: worker CPU, each system call, and each area's share. */
function perPacket(profile: WorkerProfile, packets: number, step: { rooms: number; workerCpu: number }) {
  const perPacketUs = (step.workerCpu * (WINDOW_MS / 1000) * 1e6) / packets;
  const syscallsPerPacket = Object.fromEntries(Object.entries(profile.syscalls).map(([name, count]) => [name, Math.round((count / packets) * 1000) / 1000]));
  const areasUs = Object.fromEntries(Object.entries(profile.areas).map(([area, share]) => [area, Math.round(share * perPacketUs * 100) / 100]));
  return { rooms: step.rooms, packets, perPacketUs: Math.round(perPacketUs * 100) / 100, syscallsPerPacket, areasUs, top: profile.top.slice(0, 15) };
}
const profiles: ReturnType<typeof perPacket>[] = [];

const signaling = await startSignalingProbe();
const steps: Record<string, unknown>[] = [];
const joinLatencies: number[] = [];
let stopReason = `reached --max-rooms ${MAX_ROOMS}`;
try {
  for (let rooms = 1; rooms <= MAX_ROOMS; rooms += 1) {
    const joinMs = await addRoom(rooms - 1);
    if (joinMs !== undefined) joinLatencies.push(joinMs);
    if (rooms < MEASURE_FROM) continue;
    await sleep(SETTLE_MS);
    signaling.take();
    const before = { cpu: await probe.cpuSeconds(), sinks: sinkTotals(), at: performance.now(), harness: process.cpuUsage() };
    const profiling = values.profile ? profileWorkers(probe.workerPids(), WINDOW_MS / 1000) : undefined;
    await sleep(WINDOW_MS);
    const profile = await profiling;
    const after = { cpu: await probe.cpuSeconds(), sinks: sinkTotals(), at: performance.now(), harness: process.cpuUsage(before.harness) };
    const seconds = (after.at - before.at) / 1000;
    const text = await probe.metrics();
    const forwarded = { audio: sample(text, 'circle_consumers', { kind: 'audio' }) ?? 0, video: sample(text, 'circle_consumers', { kind: 'video' }) ?? 0 };
    const expected = after.sinks.expected - before.sinks.expected;
    const loss = expected > 0 ? 1 - (after.sinks.received - before.sinks.received) / expected : 0;
    const latency = summarize(signaling.take());
    const step = {
      rooms,
      participants: rooms * 10,
      forwardedAudio: forwarded.audio,
      forwardedVideo: forwarded.video,
      workerCpu: Math.round(((after.cpu.workers - before.cpu.workers) / seconds) * 1000) / 1000,
      nodeCpu: Math.round(((after.cpu.node - before.cpu.node) / seconds) * 1000) / 1000,
      harnessCpu: Math.round(((after.harness.user + after.harness.system) / 1e6 / seconds) * 1000) / 1000,
      packetsPerSecond: Math.round((after.sinks.received - before.sinks.received) / seconds),
      loss: Math.round(loss * 100_000) / 100_000,
      signalingP99Ms: latency.p99,
      signalingMedianMs: latency.median,
      lateJoinToFirstAudioMs: joinMs === undefined ? null : Math.round(joinMs),
    };
    steps.push(step);
    console.log(JSON.stringify(step));
    if (profile) profiles.push(perPacket(profile, after.sinks.received - before.sinks.received, step));
    if (step.loss > LIMITS.loss) stopReason = `forwarded-packet loss ${(step.loss * 100).toFixed(2)}% > 1%`;
    else if (step.signalingP99Ms > LIMITS.signalingP99Ms) stopReason = `signaling p99 ${step.signalingP99Ms} ms > 100 ms`;
    else if (step.workerCpu > LIMITS.workerCpu) stopReason = `worker core ${Math.round(step.workerCpu * 100)}% busy`;
    else continue;
    break;
  }
} finally {
  signaling.stop();
  clock.stop();
  for (const bot of bots) bot.close();
  server.child.kill('SIGKILL');
}

const ok = steps.filter((s) => s.loss as number <= LIMITS.loss && (s.signalingP99Ms as number) <= LIMITS.signalingP99Ms);
const last = ok.at(-1) ?? steps[0]!;
const streams = (last.forwardedAudio as number) + (last.forwardedVideo as number);
const perStreamUs = Math.round(((last.workerCpu as number) / streams) * 1e6);
const name = (MEDIA.videoLayers ? `ramp-video-${MEDIA.videoLayers}` : 'ramp-audio') + (SPEAKERS < 10 ? `-${SPEAKERS}-speaking` : '') + (values['talk-balance'] ? '' : '-no-talk-balance') + (TILE ? `-tiles-${values.tile}` : '') + (values.adaptive ? '' : '-adaptive-off');
const result = { scenario: name, machine: machine(), media: MEDIA, adaptiveVideo: values.adaptive, speakersPerRoom: Math.min(SPEAKERS, 10), talkBalance: values['talk-balance'], limits: LIMITS, stopReason, steps, joinToFirstAudioMs: summarize(joinLatencies), profiles };
const lastProfile = profiles.at(-1);
const profileSummary = lastProfile
  ? `
Worker profile at ${lastProfile.rooms} rooms (perf, ${lastProfile.packets} forwarded packets): ${lastProfile.perPacketUs} µs of worker CPU per forwarded packet.
System calls per forwarded packet: ${Object.entries(lastProfile.syscallsPerPacket).map(([name, n]) => `${name} ${n}`).join(', ')}.
Where a packet's time goes (µs): ${Object.entries(lastProfile.areasUs).map(([area, us]) => `${area} ${us}`).join('; ')}.

| share | library | symbol |
| --- | --- | --- |
${lastProfile.top.map((row) => `| ${(row.share * 100).toFixed(1)}% | ${row.dso} | \`${row.symbol.replace(/\|/g, '\\|')}\` |`).join('\n')}
`
  : '';
console.log(
  writeResult(
    name,
    result,
    `# ${name}: rooms of 10 on one worker core until a limit

Stopped: ${stopReason}.
Last step within the limits: ${last.rooms} rooms (${last.participants} participants), ${last.forwardedAudio} audio + ${last.forwardedVideo} video streams forwarded, worker ${Math.round((last.workerCpu as number) * 100)}% of a core, Node ${Math.round((last.nodeCpu as number) * 100)}% of a core, loss ${((last.loss as number) * 100).toFixed(3)}%, signaling p99 ${last.signalingP99Ms} ms.
Worker CPU per forwarded stream at that step: ${perStreamUs} µs per second (${(perStreamUs / 10_000).toFixed(3)}% of a core).
Late joiner, socket connect to first forwarded audio packet (admission included): median ${result.joinToFirstAudioMs.median} ms, p99 ${result.joinToFirstAudioMs.p99} ms.

| rooms | audio fwd | video fwd | worker CPU | Node CPU | harness CPU | pkts/s | loss | sig. p99 ms | late join ms |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${steps.map((s) => `| ${s.rooms} | ${s.forwardedAudio} | ${s.forwardedVideo} | ${s.workerCpu} | ${s.nodeCpu} | ${s.harnessCpu} | ${s.packetsPerSecond} | ${((s.loss as number) * 100).toFixed(3)}% | ${s.signalingP99Ms} | ${s.lateJoinToFirstAudioMs} |`).join('\n')}
${profileSummary}`,
  ),
);
process.exit(0);
