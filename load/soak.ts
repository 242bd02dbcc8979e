// Soak: steady rooms of 10 with real RTP for an hour, with churn every few seconds (a client leaves and comes
// back through the lobby, or drops its connection and resumes its seat), and Chromium participants riding along.
// Reports the server's and workers' memory over time (flat within 10% after warm-up means no leak), seats lost
// (a resume refused), crashes (server exit or worker deaths) and what the ride-along pages heard.
//
//   npm run load:soak -- --minutes 60 --rooms 6
import { parseArgs } from 'node:util';
import { audioFrom, joinFromDemo, launchBrowser, participantIdOf, sdk } from '../harness/browser.js';
import { sample } from '../harness/circle.js';
import { startServerProcess } from '../harness/process.js';
import { MediaBot, MediaClock } from './lib/media-bot.js';
import { machine, writeResult } from './lib/report.js';
import { ServerProbe } from './lib/server-probe.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    rooms: { type: 'string', default: '6' },
    'video-layers': { type: 'string', default: '1' },
    'churn-seconds': { type: 'string', default: '5' },
    'warmup-minutes': { type: 'string', default: '10' },
    'sample-seconds': { type: 'string', default: '30' },
  },
});
const DURATION_MS = Number(values.minutes) * 60_000;
const ROOMS = Number(values.rooms);
const MEDIA = { audio: true, videoLayers: Number(values['video-layers']) };
const CHURN_MS = Number(values['churn-seconds']) * 1000;
const WARMUP_MS = Number(values['warmup-minutes']) * 60_000;
const SAMPLE_MS = Number(values['sample-seconds']) * 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const server = await startServerProcess({
  CIRCLE_LOAD_BOT_TRANSPORTS: 'true',
  CIRCLE_MEDIASOUP_NUM_WORKERS: '0',
  CIRCLE_SESSIONS_RESUME_GRACE_MS: '30000',
});
const probe = new ServerProbe(server.adminUrl, server.child.pid!);
const clock = new MediaClock();
const rooms: MediaBot[][] = [];
const counts = { leaveRejoin: 0, dropResume: 0, seatsLost: 0, churnErrors: 0, rideAlongChecks: 0, rideAlongSilent: 0 };
const errors: string[] = [];

async function seat(bot: MediaBot): Promise<MediaBot> {
  await bot.startMedia(MEDIA);
  clock.add(bot);
  return bot;
}

for (let index = 0; index < ROOMS; index += 1) {
  const room = `soak-${index}`;
  const facilitator = await MediaBot.join(server.url, room, 'facilitator', 'facilitator');
  // A therapist who admits everyone at once (returning clients knock again after leaving).
  facilitator.admitEveryone();
  const clients = await Promise.all(Array.from({ length: 9 }, (_, i) => MediaBot.join(server.url, room, `client-${i}`, 'client', `${room}-client-${i}`)));
  rooms.push(await Promise.all([facilitator, ...clients].map(seat)));
}

// Chromium riding along in its own room: is the experience still right under this load, hour after hour?
const chromium = await launchBrowser();
const ridePages = [
  await joinFromDemo(chromium.browser, server.url, 'soak-ride', 'Facilitator', 'facilitator', { video: false }),
  await joinFromDemo(chromium.browser, server.url, 'soak-ride', 'Client', 'client', { video: false }),
];
const rideIds = await Promise.all(ridePages.map(participantIdOf));
await sdk(ridePages[0]!, 'admit', rideIds[1]!);

/** One churn event: a random client leaves and rejoins through the lobby, or drops and resumes its seat. */
async function churn(turn: number): Promise<void> {
  const bots = rooms[turn % rooms.length]!;
  const index = 1 + Math.floor(Math.random() * (bots.length - 1));
  const bot = bots[index]!;
  clock.remove(bot);
  if (turn % 2 === 0) {
    await bot.leave();
    const room = `soak-${turn % rooms.length}`;
    bots[index] = await seat(await MediaBot.join(server.url, room, bot.participantId, 'client', bot.participantId));
    counts.leaveRejoin += 1;
  } else {
    bot.close(); // a dropped connection: no leave
    await sleep(200 + Math.random() * 2000);
    try {
      bots[index] = await seat(await MediaBot.resume(server.url, bot));
      counts.dropResume += 1;
    } catch (error) {
      counts.seatsLost += 1;
      errors.push(`resume refused: ${(error as Error).message}`);
      bots[index] = await seat(await MediaBot.join(server.url, `soak-${turn % rooms.length}`, bot.participantId, 'client', bot.participantId));
    }
  }
}

const started = performance.now();
const samples: { minute: number; nodeRss: number; workersRss: number; participants: number; loss: number }[] = [];
let turn = 0;
const churnTimer = setInterval(() => {
  void churn(turn++).catch((error: Error) => {
    counts.churnErrors += 1;
    errors.push(`churn: ${error.message}`);
  });
}, CHURN_MS);

let lastSinks = { expected: 0, received: 0 };
let heard = await Promise.all(ridePages.map((page, i) => audioFrom(page, rideIds[1 - i]!)));
try {
  while (performance.now() - started < DURATION_MS) {
    await sleep(SAMPLE_MS);
    if (server.child.exitCode !== null) throw new Error('the server exited');
    const sinks = { expected: 0, received: 0 };
    for (const bot of rooms.flat()) {
      const c = bot.sink.counts();
      sinks.expected += c.expected;
      sinks.received += c.received;
    }
    // Bots replaced by churn restart their counters; compare only what the same bots saw.
    const expected = sinks.expected - lastSinks.expected;
    const loss = expected > 0 ? Math.max(0, 1 - (sinks.received - lastSinks.received) / expected) : 0;
    lastSinks = sinks;
    const text = await probe.metrics();
    const rss = probe.rss();
    const participants = ['facilitator', 'client'].reduce((n, role) => n + (sample(text, 'circle_participants', { role }) ?? 0), 0);
    samples.push({ minute: Math.round((performance.now() - started) / 600) / 100, nodeRss: rss.node, workersRss: rss.workers, participants, loss: Math.round(loss * 1e5) / 1e5 });
    const now = await Promise.all(ridePages.map((page, i) => audioFrom(page, rideIds[1 - i]!)));
    counts.rideAlongChecks += 1;
    if (now.some((bytes, i) => bytes <= heard[i]!)) counts.rideAlongSilent += 1;
    heard = now;
    console.log(JSON.stringify({ ...samples.at(-1), ...counts }));
  }
} finally {
  clearInterval(churnTimer);
}

const text = await probe.metrics();
const workerDeaths = sample(text, 'circle_worker_deaths_total') ?? NaN;
const serverAlive = server.child.exitCode === null;
const afterWarmup = samples.filter((s) => s.minute * 60_000 >= WARMUP_MS);
// Node's resident memory saws up and down with garbage collection; a leak is a trend. So: the mean of the first
// and of the last fifth of the samples after warm-up (at least 10 minutes each when the soak is long enough).
const fifth = Math.max(1, Math.min(afterWarmup.length, Math.max(Math.round(afterWarmup.length / 5), Math.round(600_000 / SAMPLE_MS))));
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const trend = (key: 'nodeRss' | 'workersRss') => {
  if (!afterWarmup.length) return { first: NaN, last: NaN, changePercent: NaN, min: NaN, max: NaN };
  const values = afterWarmup.map((s) => s[key]);
  const first = mean(values.slice(0, fifth));
  const last = mean(values.slice(-fifth));
  return { first, last, changePercent: Math.round(((last - first) / first) * 1000) / 10, min: Math.min(...values), max: Math.max(...values) };
};
const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
const memory = { node: trend('nodeRss'), workers: trend('workersRss') };
const result = {
  scenario: 'soak',
  machine: machine(),
  minutes: DURATION_MS / 60_000,
  rooms: ROOMS,
  media: MEDIA,
  churnSeconds: CHURN_MS / 1000,
  counts,
  crashes: { serverAlive, workerDeaths },
  memoryAfterWarmup: memory,
  samples,
  errors: errors.slice(0, 50),
};
for (const page of ridePages) await page.close();
await chromium.close();
clock.stop();
for (const bot of rooms.flat()) bot.close();
server.child.kill('SIGTERM');
console.log(
  writeResult(
    'soak',
    result,
    `# soak: ${result.minutes} min, ${ROOMS} rooms of 10 with RTP (audio + ${MEDIA.videoLayers} video layer(s)), churn every ${CHURN_MS / 1000} s

Churn: ${counts.leaveRejoin} leave-and-rejoin, ${counts.dropResume} drop-and-resume; seats lost ${counts.seatsLost}; churn errors ${counts.churnErrors}.
Crashes: server ${serverAlive ? 'alive' : 'EXITED'}, worker deaths ${workerDeaths}.
Resident memory after ${WARMUP_MS / 60_000} min warm-up, mean of the first and of the last ${fifth} samples: Node ${mib(memory.node.first)} → ${mib(memory.node.last)} MiB (${memory.node.changePercent}%; it ranged ${mib(memory.node.min)}–${mib(memory.node.max)} MiB with garbage collection), workers ${mib(memory.workers.first)} → ${mib(memory.workers.last)} MiB (${memory.workers.changePercent}%).
Ride-along Chromium pages: audio grew at ${counts.rideAlongChecks - counts.rideAlongSilent} of ${counts.rideAlongChecks} checks.
`,
  ),
);
process.exit(0);
