// Side-room moves: a group of N bots (a facilitator, a co-facilitator, clients), each sending real Opus-shaped RTP
// through a real server process and receiving everyone. Each run the facilitator takes one client (a different one
// each time) into a side room, then closes it. Measured on one clock in this process:
// - open: the request to its acknowledgement; to the last audio packet that still crossed between the side room and
//   the group (the SFU stops forwarding), over every pair now apart;
// - close: the request to its acknowledgement; to the first packet of every pair together again (the bots consume
//   what each `peerUpdated` lists, as the SDK does, on the transports they have).
//
//   npm run load:side-rooms -- --size 10 --runs 10
import { parseArgs } from 'node:util';
import { startServerProcess } from '../harness/process.js';
import { MediaBot, MediaClock } from './lib/media-bot.js';
import { machine, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: '10' }, runs: { type: 'string', default: '10' } } });
const SIZE = Number(values.size);
const RUNS = Number(values.runs);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const server = await startServerProcess({ CIRCLE_LOAD_BOT_TRANSPORTS: 'true' });
const clock = new MediaClock();
const bots: MediaBot[] = [];
for (let i = 0; i < SIZE; i += 1) {
  const role = i === 0 ? 'facilitator' : i === 1 ? 'cofacilitator' : 'client';
  const bot = await MediaBot.join(server.url, 'side-rooms', `p${i}`, role);
  if (i === 0) bot.admitEveryone();
  await bot.startMedia({ audio: true, videoLayers: 0 });
  clock.add(bot);
  bots.push(bot);
}
await sleep(2000);
const [facilitator] = bots as [MediaBot];

const measures = { openAck: [] as number[], apart: [] as number[], closeAck: [] as number[], together: [] as number[] };
for (let run = 0; run < RUNS; run += 1) {
  const client = bots[2 + (run % (SIZE - 2))]!;
  const movers = [facilitator, client];
  const group = bots.filter((b) => !movers.includes(b));
  const apartPairs = movers.flatMap((m) => group.flatMap((g) => [[m, g], [g, m]] as const));

  const opened = performance.now();
  const { sideRoomId } = await facilitator.client.ok<{ sideRoomId: string }>('openSideRoom', { participantIds: [client.participantId] });
  measures.openAck.push(performance.now() - opened);
  await sleep(1000);
  // What still crossed after the request: the last packet of each pair now apart.
  measures.apart.push(Math.max(...apartPairs.map(([receiver, sender]) => receiver.sink.audioFrom(sender.participantId).lastAt)) - opened);

  const closed = performance.now();
  await facilitator.client.ok('closeSideRoom', { sideRoomId });
  measures.closeAck.push(performance.now() - closed);
  await sleep(1500);
  const restarts = apartPairs.map(([receiver, sender]) => receiver.sink.audioFrom(sender.participantId).newestStartedAt);
  if (restarts.some((at) => at < closed)) throw new Error(`run ${run}: a pair did not hear each other again`);
  measures.together.push(Math.max(...restarts) - closed);
  await sleep(500);
}
clock.stop();
for (const bot of bots) bot.close();
server.child.kill('SIGTERM');

const stats = Object.fromEntries(Object.entries(measures).map(([k, v]) => [k, summarize(v)])) as Record<keyof typeof measures, ReturnType<typeof summarize>>;
const line = (name: string, s: ReturnType<typeof summarize>) => `| ${name} | ${s.n} | ${s.median} | ${s.p99} | ${s.max} |`;
const pairs = 2 * 2 * (SIZE - 2);
console.log(
  writeResult(
    'side-room-moves',
    { scenario: 'side-room-moves', machine: machine(), size: SIZE, runs: RUNS, measures, stats },
    `# side-room moves in a group of ${SIZE}

| measure | runs | median ms | p99 ms | max ms |
| --- | --- | --- | --- | --- |
${line('open: request → acknowledgement', stats.openAck)}
${line(`open: request → last packet across, over ${pairs} pairs now apart`, stats.apart)}
${line('close: request → acknowledgement', stats.closeAck)}
${line(`close: request → first packet of the last of ${pairs} pairs together again`, stats.together)}
`,
  ),
);
