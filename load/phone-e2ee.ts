// What end-to-end encryption costs the phone bridge, per caller: rooms of a speaking facilitator bot and eleven sipp
// callers (every caller speaking at once, so each hears eleven voices: the worst case), once in a plain session and
// once in an encrypted one that allows calls, rounds alternating on one server process. Encrypted, the bot is an MLS
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

const node = await PhoneNode.start();
stopAfter(20, 'phone e2ee benchmark', [node]);
const clock = new MediaClock();

async function measure(mode: Mode, round: number, idle: { node: number; workers: number }) {
  const room = `calls-${mode}-${round}`;
  if (mode === 'encrypted') await node.setUpSession(room, { e2ee: 'required', e2eeDialIn: 'allowed' });
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
    await sleep(3000);
  }
}

try {
  const idle = await node.measure(WINDOW_S);
  const rounds: Awaited<ReturnType<typeof measure>>[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    // Alternating which goes first, so a machine warming up or slowing down does not favour one.
    const order: Mode[] = round % 2 ? ['plain', 'encrypted'] : ['encrypted', 'plain'];
    for (const mode of order) rounds.push(await measure(mode, round, idle));
  }
  const of = (mode: Mode) => summarize(rounds.filter((r) => r.mode === mode).map((r) => r.perCaller * 100));
  const result = { machine: machine(), windowSeconds: WINDOW_S, callersPerRoom: CALLERS, idle, rounds, perCallerPercent: { plain: of('plain'), encrypted: of('encrypted') } };
  const summary = [
    `Phone bridge per caller, rooms of a facilitator bot and ${CALLERS} callers all speaking, ${ROUNDS} rounds of ${WINDOW_S} s, alternating:`,
    `- plain: median ${of('plain').median.toFixed(2)}% of a core per caller`,
    `- encrypted (the bridge a member for each caller, opening and sealing): median ${of('encrypted').median.toFixed(2)}%`,
    '',
  ].join('\n');
  console.log(writeResult('phone-e2ee', result, summary));
} finally {
  clock.stop();
  await node.stop();
}
