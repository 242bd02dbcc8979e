// How fast a break takes hold in a room of 15 (a facilitator and 14 clients, each sending a microphone and a camera
// as real RTP, 50 audio packets a second): from the facilitator's "start break" to every client's microphone and
// camera paused at the SFU, seen two ways — the request's acknowledgement (sent once the SFU holds them all) and the
// client packets that still reached the facilitator after it was sent — and from "end break" to every client heard
// again.
//
//   npm run load:break -- --rounds 10
import { parseArgs } from 'node:util';
import { startServerProcess } from '../harness/process.js';
import { MediaBot, MediaClock } from './lib/media-bot.js';
import { machine, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '10' }, clients: { type: 'string', default: '14' } } });
const ROUNDS = Number(values.rounds);
const CLIENTS = Number(values.clients);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

// Bots take a room of 15 at once, two requests for each of 28 streams: past a person's burst (a page arrives more slowly).
const server = await startServerProcess({ CIRCLE_LOAD_BOT_TRANSPORTS: 'true', CIRCLE_SIGNALING_RATE_LIMIT_BURST: '500' });
const clock = new MediaClock();
const bots: MediaBot[] = [];
const rounds: { ackMs: number; packetsAfter: number; endAckMs: number; allHeardAgainMs: number }[] = [];
try {
  const fran = await MediaBot.join(server.url, 'break', 'Fran', 'facilitator', 'fran');
  fran.admitEveryone();
  await fran.startMedia({ audio: true, videoLayers: 1 });
  clock.add(fran);
  bots.push(fran);
  const clients = Array.from({ length: CLIENTS }, (_, i) => `client-${i + 1}`);
  for (const id of clients) {
    const bot = await MediaBot.join(server.url, 'break', id, 'client', id);
    await bot.startMedia({ audio: true, videoLayers: 1 });
    clock.add(bot);
    bots.push(bot);
  }
  await until(() => clients.every((id) => fran.sink.audioFrom(id).received > 0 && fran.sink.videoFrom(id).received > 0), 'every client at the facilitator');
  /** Packets of every client the facilitator has received so far. */
  const fromClients = () => clients.reduce((sum, id) => sum + fran.sink.audioFrom(id).received + fran.sink.videoFrom(id).received, 0);

  for (let round = 0; round < ROUNDS; round += 1) {
    await sleep(2000);
    const receivedBefore = fromClients();
    const started = performance.now();
    await fran.client.ok('startBreak', { minutes: 5 });
    const ackMs = performance.now() - started;
    await sleep(1500); // anything still in flight has arrived
    const packetsAfter = fromClients() - receivedBefore;
    const heardBefore = new Map(clients.map((id) => [id, fran.sink.audioFrom(id).received]));
    const ending = performance.now();
    await fran.client.ok('endBreak', {});
    const endAckMs = performance.now() - ending;
    await until(() => clients.every((id) => fran.sink.audioFrom(id).received > heardBefore.get(id)!), 'every client heard again');
    rounds.push({ ackMs, packetsAfter, endAckMs, allHeardAgainMs: performance.now() - ending });
    console.log(`round ${round + 1}: paused (ack) ${ackMs.toFixed(1)} ms, client packets after the request ${packetsAfter}; ended (ack) ${endAckMs.toFixed(1)} ms, all heard again ${rounds.at(-1)!.allHeardAgainMs.toFixed(1)} ms`);
  }
} finally {
  clock.stop();
  for (const bot of bots) bot.close();
  server.child.kill('SIGKILL');
}

const of = (key: keyof (typeof rounds)[number]) => summarize(rounds.map((r) => r[key]));
const result = { scenario: 'break-latency', machine: machine(), clients: CLIENTS, rounds, ack: of('ackMs'), packetsAfter: of('packetsAfter'), endAck: of('endAckMs'), allHeardAgain: of('allHeardAgainMs') };
const summary = [
  `Break in a room of ${CLIENTS + 1} (${CLIENTS} clients with a microphone and a camera), ${ROUNDS} rounds:`,
  `- start break → acknowledged (every client's producers paused at the SFU): median ${result.ack.median} ms, max ${result.ack.max} ms`,
  `- client packets reaching the facilitator after "start break" was sent (14 clients send ~700 audio and ~210 video packets a second): median ${result.packetsAfter.median}, max ${result.packetsAfter.max}`,
  `- end break → acknowledged: median ${result.endAck.median} ms, max ${result.endAck.max} ms; → every client heard again: median ${result.allHeardAgain.median} ms, max ${result.allHeardAgain.max} ms`,
].join('\n');
console.log(writeResult('break-latency', result, summary + '\n'));
