// The phone bridge under load, on a real server process with real SIP calls from Debian's sipp (G.711 A-law in
// 30 ms packets from sipp's own recording, PINs keyed by SIP INFO) and bots sending real Opus:
// 1. CPU per caller in a room of 12 (target ≤ 2% of a core): rooms of a speaking facilitator bot and 11 callers,
//    every caller speaking at once (each hears and mixes 11 voices: the worst case), the server process's CPU (Node
//    and its mediasoup workers, an idle server's subtracted) divided by the callers.
// 2. The most concurrent callers one core carries: such rooms added one at a time until the bridge's 20 ms clock
//    slips (circle_phone_frames_late_total) or the Node process's thread is saturated.
// 3. The bridge's added delay, tone in to tone out: caller A's tone onset to the first frame of it caller B hears
//    (A's leg in, the SFU, B's decoding, mix and leg out: two passes through the bridge), 10 times.
//
//   npm run load:phone -- --window 10 --max-rooms 10
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Encoder } from '@evan/opus';
import { sample } from '../harness/circle.js';
import { startServerProcess } from '../harness/process.js';
import { SipCaller, toneShare } from '../harness/sip-caller.js';
import { freePort } from '../harness/free-port.js';
import { MediaBot, MediaClock } from './lib/media-bot.js';
import { machine, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { window: { type: 'string', default: '10' }, 'max-rooms': { type: 'string', default: '10' } } });
const WINDOW_S = Number(values.window);
const MAX_ROOMS = Number(values['max-rooms']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ADMIN_SECRET = 'circle-development-admin-secret-change-me';
const CLOCK_TICKS = 100; // USER_HZ on Linux

const sipPort = await freePort();
const server = await startServerProcess({
  CIRCLE_LOAD_BOT_TRANSPORTS: 'true',
  CIRCLE_PHONE_SIP_PORT: String(sipPort),
  CIRCLE_PHONE_MAX_CALLS: '2000',
  CIRCLE_PHONE_MESSAGES_PER_SECOND_PER_SOURCE: '10000',
  CIRCLE_PHONE_MESSAGES_BURST_PER_SOURCE: '100000',
  CIRCLE_PHONE_PIN_ATTEMPTS_PER_SOURCE_PER_MINUTE: '100000',
  CIRCLE_PHONE_RTP_TIMEOUT_MS: '60000',
  CIRCLE_PHONE_DIGIT_TIMEOUT_MS: '60000',
  CIRCLE_ROOMS_REQUIRE_ADMISSION: 'false',
  CIRCLE_ROOMS_MAX_PARTICIPANTS_PER_ROOM: '50',
});
const pid = server.child.pid!;
setTimeout(() => {
  console.error('phone benchmark: still running after 30 minutes; stopping');
  server.child.kill('SIGKILL');
  process.exit(1);
}, 30 * 60_000).unref();
void server.exited.then((code) => console.error(`server exited (${code}):`, JSON.stringify(server.logs.slice(-3))));

/** CPU seconds so far of the server's Node process and of its mediasoup workers (its children). */
function cpuSeconds(): { node: number; workers: number } {
  const of = (id: number | string) => {
    const fields = readFileSync(`/proc/${id}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  };
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return { node: of(pid), workers: children.reduce((sum, child) => sum + of(child), 0) };
}

/** The bridge's counters: late 20 ms ticks, and audio packets received from callers. */
async function bridgeCounters(): Promise<{ late: number; received: number }> {
  const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
  const count = (name: string) => sample(text, name) ?? 0;
  return { late: count('circle_phone_frames_late_total'), received: count('circle_phone_packets_received_total') };
}

/**
 * Share of a core used by the Node process and the workers over `seconds`, late ticks, and callers' packets received
 * per second (every caller speaking sends 33 a second: sipp's recording is in 30 ms packets).
 */
async function measure(seconds: number): Promise<{ node: number; workers: number; lateFrames: number; packetsPerSecond: number }> {
  const before = cpuSeconds();
  const countersBefore = await bridgeCounters();
  await sleep(seconds * 1000);
  const after = cpuSeconds();
  const countersAfter = await bridgeCounters();
  return {
    node: (after.node - before.node) / seconds,
    workers: (after.workers - before.workers) / seconds,
    lateFrames: countersAfter.late - countersBefore.late,
    packetsPerSecond: (countersAfter.received - countersBefore.received) / seconds,
  };
}

async function pinFor(room: string, participantId: string): Promise<string> {
  const response = await fetch(`${server.adminUrl}/admin/rooms/${room}/dial-in`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' },
    body: JSON.stringify({ participantId, name: participantId }),
  });
  return ((await response.json()) as { pin: string }).pin;
}

/** Real Opus (48 kHz stereo, 32 kbit/s) of a voice-band tone: a second of frames, sent in turn by the bots. */
function opusFrames(hz: number, silent = false): Buffer[] {
  const encoder = new Encoder({ channels: 2, sample_rate: 48000, application: 'voip' });
  encoder.bitrate = 32000;
  const frames: Buffer[] = [];
  let phase = 0;
  for (let f = 0; f < 50; f += 1) {
    const pcm = new Int16Array(960 * 2);
    for (let i = 0; i < 960; i += 1) {
      const value = silent ? 0 : Math.round(6000 * Math.sin(phase) + (Math.random() - 0.5) * 800);
      pcm[2 * i] = value;
      pcm[2 * i + 1] = value;
      phase += (2 * Math.PI * hz) / 48000;
    }
    frames.push(Buffer.from(encoder.encode(pcm)));
  }
  return frames;
}

const clock = new MediaClock();
const bots: MediaBot[] = [];
async function bot(room: string, participantId: string, role: string, frames: Buffer[]): Promise<MediaBot> {
  const joined = await MediaBot.join(server.url, room, participantId, role, participantId);
  await joined.startMedia({ audio: true, videoLayers: 0, opusFrames: frames });
  clock.add(joined);
  bots.push(joined);
  return joined;
}

/** One sipp process placing a call per PIN: INFO keys, then sipp's A-law recording (30 ms packets) in a loop. */
function sippCalls(pins: string[]): ChildProcess {
  const dir = mkdtempSync(path.join(tmpdir(), 'circle-load-sipp-'));
  const info = (body: string, cseq: number) => `<send retrans="500"><![CDATA[
INFO sip:circle@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:load@[local_ip]:[local_port]>;tag=[pid]L[call_number]
To: <sip:circle@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: ${cseq} INFO
Max-Forwards: 70
Content-Type: application/dtmf-relay
Content-Length: [len]

${body}
]]></send><recv response="200"/>`;
  const digitInfos = Array.from({ length: 8 }, (_, i) => info(`Signal=[field${i + 1}]\r\nDuration=160`, i + 2)).join('\n') + info('Signal=11\r\nDuration=160', 10);
  const xml = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="circle load caller">
<send retrans="500"><![CDATA[
INVITE sip:circle@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:load@[local_ip]:[local_port]>;tag=[pid]L[call_number]
To: <sip:circle@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:load@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=load 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=ptime:30
]]></send>
<recv response="100" optional="true"/>
<recv response="200" rrs="true"/>
<send><![CDATA[
ACK sip:circle@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:load@[local_ip]:[local_port]>;tag=[pid]L[call_number]
To: <sip:circle@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
<nop><action><exec play_pcap_audio="/usr/share/sip-tester/g711a.pcap"/></action></nop>
${digitInfos}
<label id="1"/>
<nop><action><exec play_pcap_audio="/usr/share/sip-tester/g711a.pcap"/></action></nop>
<pause milliseconds="7050" next="1"/>
</scenario>
`;
  writeFileSync(path.join(dir, 'load.xml'), xml);
  // The PIN's digits as separate fields, so each INFO carries one.
  writeFileSync(path.join(dir, 'pins.csv'), `SEQUENTIAL\n${pins.map((pin) => `${pin};${[...pin].join(';')}`).join('\n')}\n`);
  return spawn('sipp', [`127.0.0.1:${sipPort}`, '-sf', 'load.xml', '-inf', 'pins.csv', '-m', String(pins.length), '-l', String(pins.length), '-r', '10', '-i', '127.0.0.1', '-mp', String(30000 + Math.floor(Math.random() * 10000) * 2), '-nostdin', '-timeout', '3600s'], { cwd: dir, stdio: 'ignore' });
}

async function activeCalls(): Promise<number> {
  return sample(await (await fetch(`${server.adminUrl}/metrics`)).text(), 'circle_phone_calls_active') ?? 0;
}

const sipps: ChildProcess[] = [];
try {
  // An idle server's own CPU, subtracted from each step below.
  const idle = await measure(WINDOW_S);

  // 1 and 2. Rooms of 12 (a speaking facilitator bot and 11 speaking callers) added until the clock slips.
  const steps: { callers: number; node: number; workers: number; lateFrames: number; packetsPerSecond: number; perCaller: number }[] = [];
  for (let room = 0; room < MAX_ROOMS; room += 1) {
    await bot(`ramp-${room}`, `ramp-${room}-f`, 'facilitator', opusFrames(440));
    const pins = [];
    for (let c = 0; c < 11; c += 1) pins.push(await pinFor(`ramp-${room}`, `ramp-${room}-c${c}`));
    sipps.push(sippCalls(pins));
    const target = (room + 1) * 11;
    const deadline = Date.now() + 30_000;
    while ((await activeCalls()) < target && Date.now() < deadline) await sleep(250);
    await sleep(4000);
    const measured = await measure(WINDOW_S);
    const callers = await activeCalls();
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
  const a = await SipCaller.call(sipPort, [{ keys: `${await pinFor('delay', 'delay-a')}#` }, { awaitBye: true }]);
  const b = await SipCaller.call(sipPort, [{ keys: `${await pinFor('delay', 'delay-b')}#` }, { awaitBye: true }]);
  a.speak(0);
  b.speak(0);
  while ((await activeCalls()) < 2) await sleep(200);
  await sleep(4000);
  const delays: number[] = [];
  for (let run = 0; run < 10; run += 1) {
    const heardBefore = b.heard.length;
    const onset = performance.now();
    a.speak(1000);
    const found = await new Promise<number | undefined>((resolve) => {
      const poll = setInterval(() => {
        const index = b.heard.findIndex((frame, i) => i >= heardBefore && toneShare(frame, 1000) > 0.3);
        if (index >= 0) {
          clearInterval(poll);
          resolve(b.heardAt[index]! - onset);
        } else if (performance.now() - onset > 2000) {
          clearInterval(poll);
          resolve(undefined);
        }
      }, 5);
    });
    if (found !== undefined) delays.push(found);
    a.speak(0);
    await sleep(800);
  }
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
  server.child.kill('SIGTERM');
  await server.exited;
}
