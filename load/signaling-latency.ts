// Join and control latency at scale: R rooms of 10 (1 facilitator, 9 clients through the waiting room), every
// participant producing audio and consuming everyone else's, over real Socket.IO against a real server process.
// It measures signaling and SFU control, not forwarding: the bots send no RTP (see load/README.md).
//
//   npm run load:signaling -- --rooms 50
import { parseArgs } from 'node:util';
import { startServerProcess } from '../harness/process.js';
import { connect, devToken, produceAudio, type TestClient } from '../harness/signaling.js';
import { machine, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    rooms: { type: 'string', default: '50' },
    size: { type: 'string', default: '10' },
    workers: { type: 'string', default: '0' },
    rounds: { type: 'string', default: '5' },
  },
});
const ROOMS = Number(values.rooms);
const SIZE = Number(values.size);
const ROUNDS = Number(values.rounds);

interface Bot {
  client: TestClient;
  participantId: string;
}

const now = () => performance.now();
const samples = { joinAck: [] as number[], seated: [] as number[], admit: [] as number[] };
const control = { muteApplied: [] as number[], muteNotified: [] as number[], grantApplied: [] as number[], grantNotified: [] as number[] };

/** Resolves when every bot has received `event` matching `match` after this call. */
function allReceive(bots: Bot[], event: string, match: (payload: unknown) => boolean): Promise<void> {
  return Promise.all(
    bots.map(
      (bot) =>
        new Promise<void>((resolve) => {
          const listener = (payload: unknown) => {
            if (!match(payload)) return;
            bot.client.socket.off(event, listener);
            resolve();
          };
          bot.client.socket.on(event, listener);
        }),
    ),
  ).then(() => undefined);
}

async function join(url: string, room: string, name: string, role: string): Promise<Bot & { started: number; result: { admitted?: unknown } }> {
  const started = now();
  const { token, participantId } = await devToken(url, { room, name, role });
  const client = await connect(url);
  const result = await client.ok<{ admitted?: unknown }>('join', { token });
  samples.joinAck.push(now() - started);
  return { client, participantId, started, result };
}

/** Capabilities, transports, a microphone, and a consumer (resumed) for every producer already in the room. */
async function setUpMedia(bot: Bot, capabilities: unknown, producerIds: string[]): Promise<string> {
  await bot.client.ok('setRtpCapabilities', { rtpCapabilities: capabilities });
  const producerId = await produceAudio(bot.client);
  await bot.client.ok('createTransport', { direction: 'recv' });
  for (const id of producerIds) {
    const { consumerId } = await bot.client.ok<{ consumerId: string }>('consume', { producerId: id });
    await bot.client.ok('resumeConsumer', { consumerId });
  }
  return producerId;
}

async function runRoom(url: string, index: number): Promise<Bot[]> {
  const room = `load-${index}`;
  const facilitator = await join(url, room, `Facilitator ${index}`, 'facilitator');
  const capabilities = (facilitator.result.admitted as { routerRtpCapabilities: unknown }).routerRtpCapabilities;
  const producerIds = [await setUpMedia(facilitator, capabilities, [])];
  samples.seated.push(now() - facilitator.started);

  const clients: Bot[] = [];
  for (let i = 1; i < SIZE; i += 1) {
    const client = await join(url, room, `Client ${index}.${i}`, 'client');
    const admitted = client.client.next('admitted', 10_000);
    const asked = now();
    await facilitator.client.ok('admit', { participantId: client.participantId });
    await admitted;
    samples.admit.push(now() - asked);
    producerIds.push(await setUpMedia(client, capabilities, producerIds));
    samples.seated.push(now() - client.started);
    clients.push(client);
  }
  return [facilitator, ...clients];
}

/** Times one control action: until its acknowledgement (applied at the SFU) and until everyone is told. */
async function timeAction(applied: number[], notified: number[], act: () => Promise<unknown>, told: Promise<void>) {
  const started = now();
  await act();
  applied.push(now() - started);
  await told;
  notified.push(now() - started);
}

async function measureControl(bots: Bot[]): Promise<void> {
  const [facilitator, ...clients] = bots as [Bot, ...Bot[]];
  for (let round = 0; round < ROUNDS; round += 1) {
    const target = clients[round % clients.length]!;
    const others = bots.filter((b) => b !== target);
    const told = allReceive(others, 'producerPaused', (p) => (p as { participantId: string }).participantId === target.participantId);
    await timeAction(control.muteApplied, control.muteNotified, () => facilitator.client.ok('mute', { participantId: target.participantId }), told);
    await facilitator.client.ok('askToUnmute', { participantId: target.participantId });
  }
  await facilitator.client.ok('setFloorMode', { mode: 'queue' });
  for (let round = 0; round < ROUNDS; round += 1) {
    const target = clients[(round * 3) % clients.length]!;
    const told = allReceive(bots, 'floorUpdated', (p) => (p as { holder: string }).holder === target.participantId);
    await timeAction(control.grantApplied, control.grantNotified, () => facilitator.client.ok('grantFloor', { participantId: target.participantId }), told);
  }
}

async function rssMiB(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^process_resident_memory_bytes (\S+)/m.exec(text)?.[1]) / 2 ** 20;
}

const server = await startServerProcess({
  CIRCLE_MEDIASOUP_NUM_WORKERS: values.workers!,
  CIRCLE_ROOMS_MAX_PARTICIPANTS_PER_ROOM: String(Math.max(SIZE, 2)),
});
try {
  const idleRss = await rssMiB(server.adminUrl);
  const started = now();
  const rooms = await Promise.all(Array.from({ length: ROOMS }, (_, i) => runRoom(server.url, i)));
  const rampSeconds = (now() - started) / 1000;
  const loadedRss = await rssMiB(server.adminUrl);
  await Promise.all(rooms.map(measureControl));

  const participants = ROOMS * SIZE;
  const result = {
    scenario: 'signaling-latency',
    machine: machine(),
    rooms: ROOMS,
    participantsPerRoom: SIZE,
    participants,
    producers: participants,
    consumers: participants * (SIZE - 1),
    rampSeconds: Math.round(rampSeconds * 10) / 10,
    latencyMs: {
      joinAck: summarize(samples.joinAck),
      admitToAdmittedEvent: summarize(samples.admit),
      joinToMediaReady: summarize(samples.seated),
      muteAppliedAtSfu: summarize(control.muteApplied),
      muteAllNotified: summarize(control.muteNotified),
      floorGrantAppliedAtSfu: summarize(control.grantApplied),
      floorGrantAllNotified: summarize(control.grantNotified),
    },
    serverRssMiB: { idle: Math.round(idleRss), loaded: Math.round(loadedRss), perParticipantKiB: Math.round(((loadedRss - idleRss) * 1024) / participants) },
  };
  const rows = Object.entries(result.latencyMs)
    .map(([name, s]) => `| ${name} | ${s.n} | ${s.median} | ${s.p99} | ${s.max} |`)
    .join('\n');
  const summary = `# signaling-latency: ${ROOMS} rooms of ${SIZE}

${participants} participants, ${result.producers} producers, ${result.consumers} consumers; ramp ${result.rampSeconds} s.
Server RSS ${result.serverRssMiB.idle} MiB idle, ${result.serverRssMiB.loaded} MiB loaded (${result.serverRssMiB.perParticipantKiB} KiB per participant, Node side).

| latency (ms) | n | median | p99 | max |
| --- | --- | --- | --- | --- |
${rows}
`;
  console.log(writeResult('signaling-latency', result, summary));
  for (const bot of rooms.flat()) bot.client.close();
} finally {
  server.child.kill('SIGTERM');
  await server.exited;
}
