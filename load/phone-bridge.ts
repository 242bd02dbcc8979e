// The phone bridge under load, on a real server process with real SIP calls from Debian's sipp (G.711 A-law in
// 30 ms packets from sipp's own recording, PINs keyed by SIP INFO) and bots sending real Opus:
// 1. CPU per caller in a room of 12 (target ≤ 2% of a core): rooms of a speaking facilitator bot and 11 callers,
//    every caller speaking at once (each hears 11 voices: the worst case), the server process's CPU (Node and its
//    mediasoup worker, an idle server's subtracted) divided by the callers.
// 2. The most concurrent callers one core carries: such rooms added one at a time until the bridge's 20 ms clock
//    slips (circle_phone_frames_late_total) or the Node process's thread is saturated.
// 3. The bridge's added delay, tone in to tone out: caller A's tone onset to the first frame of it caller B hears
//    (A's leg in, the SFU, B's decoding, mix and leg out: two passes through the bridge), 10 times.
//
//   npm run load:phone -- --window 10 --max-rooms 14
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { SipCaller } from '../harness/sip-caller.js';
import { MediaBot, MediaClock } from './lib/media-bot.js';
import { opusFrames, PhoneNode, sippCalls, sleep, stopAfter, toneDelays } from './lib/phone-load.js';
import { machine, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { window: { type: 'string', default: '10' }, 'max-rooms': { type: 'string', default: '10' } } });
const WINDOW_S = Number(values.window);
const MAX_ROOMS = Number(values['max-rooms']);

const node = await PhoneNode.start();
stopAfter(30, 'phone benchmark', [node]);

const clock = new MediaClock();
const bots: MediaBot[] = [];
async function bot(room: string, participantId: string, role: string, frames: Buffer[]): Promise<MediaBot> {
  const joined = await MediaBot.join(node.url, room, participantId, role, participantId);
  // Calls wait in the waiting room until the staff let them in: the facilitator admits each as it knocks.
  if (role === 'facilitator') joined.admitEveryone();
  await joined.startMedia({ audio: true, videoLayers: 0, opusFrames: frames });
  clock.add(joined);
  bots.push(joined);
  return joined;
}

const sipps: ChildProcess[] = [];
try {
  // An idle server's own CPU, subtracted from each step below.
  const idle = await node.measure(WINDOW_S);

  // 1 and 2. Rooms of 12 (a speaking facilitator bot and 11 speaking callers) added until the clock slips.
  const steps: { callers: number; node: number; workers: number; lateFrames: number; packetsPerSecond: number; perCaller: number }[] = [];
  for (let room = 0; room < MAX_ROOMS; room += 1) {
    await bot(`ramp-${room}`, `ramp-${room}-f`, 'facilitator', opusFrames(440));
    const pins = [];
    for (let c = 0; c < 11; c += 1) pins.push(await node.pinFor(`ramp-${room}`, `ramp-${room}-c${c}`));
    sipps.push(await sippCalls(node.sipPort, pins));
    await node.awaitCalls((room + 1) * 11);
    const measured = await node.measure(WINDOW_S);
    const callers = await node.activeCalls();
    const perCaller = (measured.node - idle.node + measured.workers - idle.workers) / callers;
    steps.push({ callers, ...measured, perCaller });
    console.log(`callers ${callers}: node ${(measured.node * 100).toFixed(1)}% workers ${(measured.workers * 100).toFixed(1)}% (${(perCaller * 100).toFixed(2)}% per caller) late frames ${measured.lateFrames}, ${(measured.packetsPerSecond / callers).toFixed(1)} packets/s from each caller`);
    if (measured.lateFrames > WINDOW_S * 50 * 0.005 || measured.node > 0.9) break;
  }
  for (const child of sipps.splice(0)) child.kill('SIGKILL');
  for (const b of bots.splice(0)) {
    clock.remove(b);
    b.close();
  }
  await sleep(3000);

  // 3. Tone in to tone out, phone to phone through the room.
  await bot('delay', 'delay-f', 'facilitator', opusFrames(0, true));
  const a = await SipCaller.call(node.sipPort, [{ keys: `${await node.pinFor('delay', 'delay-a')}#` }, { awaitBye: true }]);
  const b = await SipCaller.call(node.sipPort, [{ keys: `${await node.pinFor('delay', 'delay-b')}#` }, { awaitBye: true }]);
  a.speak(0);
  b.speak(0);
  await node.awaitCalls(2);
  const delays = await toneDelays(a, b);
  a.close();
  b.close();

  const delay = summarize(delays);
  const result = { machine: machine(), windowSeconds: WINDOW_S, idle, ramp: steps, delayMs: delay };
  const lastGood = [...steps].reverse().find((s) => s.lateFrames <= WINDOW_S * 50 * 0.005 && s.node <= 0.9);
  console.log(
    writeResult(
      'phone-bridge',
      result,
      [
        `# Phone bridge (${result.machine.cpus})`,
        `- CPU per caller in rooms of 12, everyone speaking at once (Node and workers, idle server subtracted): ${steps.map((s) => `${(s.perCaller * 100).toFixed(2)}% at ${s.callers} callers`).join(', ')}`,
        `- Ramp (callers: Node% / workers% / late frames in ${WINDOW_S} s / packets per second from each caller): ${steps.map((s) => `${s.callers}: ${(s.node * 100).toFixed(0)}% / ${(s.workers * 100).toFixed(0)}% / ${s.lateFrames} / ${(s.packetsPerSecond / s.callers).toFixed(1)}`).join('; ')}`,
        `- Most callers with the clock on time: ${lastGood?.callers ?? 0}`,
        `- Tone in to tone out, phone to phone (ms): median ${delay.median.toFixed(1)}, p99 ${delay.p99.toFixed(1)}, max ${delay.max.toFixed(1)} (n=${delays.length})`,
        '',
      ].join('\n'),
    ),
  );
} finally {
  for (const child of sipps) child.kill('SIGKILL');
  for (const b of bots) b.close();
  clock.stop();
  await node.stop();
}
