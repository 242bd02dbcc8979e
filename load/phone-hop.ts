// The forwarded path, on two real server processes sharing one real redis-server: a call answered by the node that
// does not run its room is carried to the node that does (a SIP call of the node's own, the PIN sealed in it, and a
// plain G.711 leg relaying audio and keys). Calls are sipp's (A-law, 30 ms packets), as in load/phone-bridge.ts.
// 1. Tone in to tone out, 10 runs each: between two callers on the room's node (the direct path, for comparison),
//    from a direct caller to a forwarded one, and from a forwarded caller to a direct one.
// 2. CPU per forwarded caller: a room of 12 on node A (a speaking facilitator bot) whose 11 callers all reach node B
//    and are forwarded, everyone speaking at once; each node's Node process and worker, its idle CPU subtracted.
//
//   npm run load:phone-hop -- --window 10
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { RedisServer } from '../harness/redis-server.js';
import { SipCaller } from '../harness/sip-caller.js';
import { MediaBot, MediaClock } from './lib/media-bot.js';
import { opusFrames, PhoneNode, sippCalls, sleep, stopAfter, toneDelays, type Measured } from './lib/phone-load.js';
import { machine, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { window: { type: 'string', default: '10' } } });
const WINDOW_S = Number(values.window);

const redis = await RedisServer.start();
const cluster = { CIRCLE_STORE_REDIS_URL: redis.url, CIRCLE_STORE_SNAPSHOT_INTERVAL_MS: '100' };
const nodeA = await PhoneNode.start(cluster);
const nodeB = await PhoneNode.start(cluster);
stopAfter(15, 'phone hop benchmark', [nodeA, nodeB]);

const clock = new MediaClock();
const bots: MediaBot[] = [];
const callers: SipCaller[] = [];
const sipps: ChildProcess[] = [];
/** A facilitator bot on node A: the room runs there from then on. */
async function roomOnA(room: string, frames: Buffer[]): Promise<void> {
  const bot = await MediaBot.join(nodeA.url, room, `${room}-f`, 'facilitator', `${room}-f`);
  bot.admitEveryone(); // calls wait in the waiting room until the staff let them in
  await bot.startMedia({ audio: true, videoLayers: 0, opusFrames: frames });
  clock.add(bot);
  bots.push(bot);
}
async function caller(node: PhoneNode, room: string, participantId: string): Promise<SipCaller> {
  const placed = await SipCaller.call(node.sipPort, [{ keys: `${await nodeA.pinFor(room, participantId)}#` }, { awaitBye: true }]);
  placed.speak(0);
  callers.push(placed);
  return placed;
}
const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

try {
  const idle = await Promise.all([nodeA.measure(WINDOW_S), nodeB.measure(WINDOW_S)]);

  // 1. Delays.
  await roomOnA('hop-delay', opusFrames(0, true));
  const direct = await caller(nodeA, 'hop-delay', 'direct');
  const other = await caller(nodeA, 'hop-delay', 'other');
  const forwarded = await caller(nodeB, 'hop-delay', 'forwarded');
  await nodeB.awaitCalls(1);
  await nodeA.awaitCalls(3); // the two direct calls and the hop
  const delays = {
    direct: summarize(await toneDelays(direct, other)),
    toForwarded: summarize(await toneDelays(direct, forwarded)),
    fromForwarded: summarize(await toneDelays(forwarded, direct)),
  };
  for (const placed of callers.splice(0)) placed.close();
  console.log(`delays (median ms): direct ${delays.direct.median.toFixed(1)}, to the forwarded caller ${delays.toForwarded.median.toFixed(1)}, from it ${delays.fromForwarded.median.toFixed(1)}`);
  await sleep(3000);

  // 2. CPU per forwarded caller.
  await roomOnA('hop-load', opusFrames(440));
  const pins = [];
  for (let c = 0; c < 11; c += 1) pins.push(await nodeA.pinFor('hop-load', `hop-load-c${c}`));
  sipps.push(await sippCalls(nodeB.sipPort, pins));
  await nodeB.awaitCalls(11);
  await nodeA.awaitCalls(11);
  const [onA, onB] = await Promise.all([nodeA.measure(WINDOW_S), nodeB.measure(WINDOW_S)]);
  const perCaller = (measured: Measured, before: Measured) => (measured.node - before.node + measured.workers - before.workers) / 11;
  const cost = { forwardingNode: { ...onB, perCaller: perCaller(onB, idle[1]) }, roomNode: { ...onA, perCaller: perCaller(onA, idle[0]) } };
  console.log(`forwarding node: Node ${percent(onB.node)} workers ${percent(onB.workers)} (${percent(cost.forwardingNode.perCaller)} per caller); room's node: Node ${percent(onA.node)} workers ${percent(onA.workers)} (${percent(cost.roomNode.perCaller)} per caller)`);

  const result = { machine: machine(), windowSeconds: WINDOW_S, idle, delaysMs: delays, cost };
  const line = (name: string, d: ReturnType<typeof summarize>) => `- ${name} (ms): median ${d.median.toFixed(1)}, p99 ${d.p99.toFixed(1)}, max ${d.max.toFixed(1)} (n=${d.n})`;
  console.log(
    writeResult(
      'phone-hop',
      result,
      [
        `# Phone bridge, forwarded between two nodes (${result.machine.cpus})`,
        line('Tone in to tone out, both callers on the room\'s node', delays.direct),
        line('Tone in to tone out, direct caller to forwarded caller', delays.toForwarded),
        line('Tone in to tone out, forwarded caller to direct caller', delays.fromForwarded),
        `- 11 forwarded callers speaking, a room of 12: the forwarding node ${percent(onB.node)} Node + ${percent(onB.workers)} workers (${percent(cost.forwardingNode.perCaller)} of a core per caller, ${(onB.packetsPerSecond / 11).toFixed(1)} packets/s from each), the room's node ${percent(onA.node)} + ${percent(onA.workers)} (${percent(cost.roomNode.perCaller)} per caller), late frames ${onB.lateFrames} and ${onA.lateFrames}`,
        '',
      ].join('\n'),
    ),
  );
} finally {
  for (const child of sipps) child.kill('SIGKILL');
  for (const placed of callers) placed.close();
  for (const bot of bots) bot.close();
  clock.stop();
  await nodeA.stop();
  await nodeB.stop();
  await redis.stop();
}
