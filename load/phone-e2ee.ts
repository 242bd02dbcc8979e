// What end-to-end encryption costs the phone bridge, per caller: rooms of a speaking facilitator bot and eleven sipp
// callers (every caller speaking at once, so each hears eleven voices: the worst case), once on a server without encryption
// and once on one whose sessions are encrypted and take calls, rounds alternating between the two. Encrypted, the bot is an MLS
// member sealing its Opus frames as a page does, and the bridge is a member for each caller's seat: it opens every
// voice its callers' space takes once per space (the mix), and seals each caller's frames. Measured over a window
// once the group lists all twelve: the server's CPU (Node and its mediasoup worker, an idle server's subtracted)
// divided by the callers.
//
//   npm run load:phone-e2ee -- [--rounds 3] [--window 10]
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { KeyMember } from '../harness/key-member.js';
import type { TestClient } from '../harness/signaling.js';
import { MediaBot, MediaClock } from './lib/media-bot.js';
import { opusFrames, PhoneNode, sippCalls, sleep, stopAfter } from './lib/phone-load.js';
import { machine, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, window: { type: 'string', default: '10' } } });
const ROUNDS = Number(values.rounds);
const WINDOW_S = Number(values.window);
const CALLERS = 11;
type Mode = 'plain' | 'encrypted';
/** A round's calls end soon after their sipp is stopped (their RTP stops), before the next round is measured. */
const QUICK_HANG_UP = { CIRCLE_PHONE_RTP_TIMEOUT_MS: '3000' };

const nodes: Record<Mode, PhoneNode> = {
  plain: await PhoneNode.start(QUICK_HANG_UP),
  encrypted: await PhoneNode.start({ ...QUICK_HANG_UP, CIRCLE_E2EE_MODE: 'required', CIRCLE_E2EE_DIAL_IN: 'allowed' }),
};
stopAfter(20, 'phone e2ee benchmark', Object.values(nodes));
const clock = new MediaClock();

async function measure(mode: Mode, round: number, idle: { node: number; workers: number }) {
  const node = nodes[mode];
  const room = `calls-${mode}-${round}`;
  let member: KeyMember | undefined;
  const encrypting = mode === 'encrypted' ? (client: TestClient, participantId: string) => (member = new KeyMember({ participantId, role: 'facilitator', displayName: 'Fran' }, client)) : undefined;
  const bot = await MediaBot.join(node.url, room, 'Fran', 'facilitator', `${room}-f`, encrypting);
  let sipp: ChildProcess | undefined;
  try {
    bot.admitEveryone();
    await bot.startMedia({ audio: true, videoLayers: 0, opusFrames: opusFrames(440), ...(member ? { seal: member.seal } : {}) });
    clock.add(bot);
    const pins = [];
    for (let c = 0; c < CALLERS; c += 1) pins.push(await node.pinFor(room, `${room}-c${c}`));
    sipp = await sippCalls(node.sipPort, pins);
    await node.awaitCalls(CALLERS);
    // Encrypted: every caller's phone in the group before the window (they hear nothing until then).
    const deadline = Date.now() + 30_000;
    while (member && (member.latest()?.members.length ?? 0) < CALLERS + 1 && Date.now() < deadline) await sleep(250);
    const members = member?.latest()?.members.length ?? 0;
    const measured = await node.measure(WINDOW_S);
    const callers = await node.activeCalls();
    const perCaller = (measured.node - idle.node + measured.workers - idle.workers) / callers;
    console.log(
      `${mode} round ${round}: ${callers} callers${member ? `, ${members} in the group` : ''}: node ${(measured.node * 100).toFixed(1)}% workers ${(measured.workers * 100).toFixed(1)}% ` +
        `(${(perCaller * 100).toFixed(2)}% of a core per caller), late frames ${measured.lateFrames}, ${(measured.packetsPerSecond / callers).toFixed(1)} packets/s from each caller`,
    );
    return { mode, round, callers, members, ...measured, perCaller };
  } finally {
    sipp?.kill('SIGKILL');
    clock.remove(bot);
    bot.close();
    const deadline = Date.now() + 30_000;
    while ((await node.activeCalls()) > 0 && Date.now() < deadline) await sleep(500);
    await sleep(2000);
  }
}

try {
  // Each server's own idle CPU, subtracted from its rounds.
  const idle = { plain: await nodes.plain.measure(WINDOW_S), encrypted: await nodes.encrypted.measure(WINDOW_S) };
  const rounds: Awaited<ReturnType<typeof measure>>[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    // Alternating which goes first, so a machine warming up or slowing down does not favour one.
    const order: Mode[] = round % 2 ? ['plain', 'encrypted'] : ['encrypted', 'plain'];
    for (const mode of order) rounds.push(await measure(mode, round, idle[mode]));
  }
  // Each server idle again after its rounds: what the calls and their keys left behind, if anything.
  const idleAfter = { plain: await nodes.plain.measure(WINDOW_S), encrypted: await nodes.encrypted.measure(WINDOW_S) };
  console.log(`idle before and after, plain: ${(idle.plain.node * 100).toFixed(1)}% → ${(idleAfter.plain.node * 100).toFixed(1)}%; encrypted: ${(idle.encrypted.node * 100).toFixed(1)}% → ${(idleAfter.encrypted.node * 100).toFixed(1)}% (Node)`);
  const of = (mode: Mode) => summarize(rounds.filter((r) => r.mode === mode).map((r) => r.perCaller * 100));
  const result = { machine: machine(), windowSeconds: WINDOW_S, callersPerRoom: CALLERS, idle, idleAfter, rounds, perCallerPercent: { plain: of('plain'), encrypted: of('encrypted') } };
  const summary = [
    `Phone bridge per caller, rooms of a facilitator bot and ${CALLERS} callers all speaking, ${ROUNDS} rounds of ${WINDOW_S} s, alternating:`,
    `- plain: median ${of('plain').median.toFixed(2)}% of a core per caller`,
    `- encrypted (the bridge a member for each caller, opening and sealing): median ${of('encrypted').median.toFixed(2)}%`,
    '',
  ].join('\n');
  console.log(writeResult('phone-e2ee', result, summary));
} finally {
  clock.stop();
  for (const node of Object.values(nodes)) await node.stop();
}
