// What the phone scenarios share: a server process taking calls (its CPU, the bridge's counters, PINs), sipp
// callers speaking a looped recording, real Opus for bots, and the tone-in to tone-out delay between two callers.
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Encoder } from '@evan/opus';
import { sample } from '../../harness/circle.js';
import { freePort, freeSippMediaPort } from '../../harness/free-port.js';
import { startServerProcess, type ServerProcess } from '../../harness/process.js';
import { toneShare, type SipCaller } from '../../harness/sip-caller.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ADMIN_SECRET = 'circle-development-admin-secret-change-me';
const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface Measured {
  /** Share of a core used by the Node process and by its mediasoup workers. */
  node: number;
  workers: number;
  /** Ticks of the 20 ms mixing clock that ran late. */
  lateFrames: number;
  /** Callers' audio packets received per second (a caller speaking sipp's recording sends 33). */
  packetsPerSecond: number;
}

/** A Circle server process taking calls, as the phone scenarios drive and read it. */
export class PhoneNode {
  private constructor(
    readonly server: ServerProcess,
    readonly sipPort: number,
  ) {}

  /** A server with the bridge's limits opened up for load (rates, call count, timeouts); `env` adds to it. */
  static async start(env: Record<string, string> = {}): Promise<PhoneNode> {
    const sipPort = await freePort();
    const server = await startServerProcess({
      CIRCLE_LOAD_BOT_TRANSPORTS: 'true',
      CIRCLE_PHONE_SIP_PORT: String(sipPort),
      CIRCLE_PHONE_MAX_CALLS: '2000',
      CIRCLE_PHONE_MESSAGES_PER_SECOND_PER_SOURCE: '10000',
      CIRCLE_PHONE_MESSAGES_BURST_PER_SOURCE: '100000',
      CIRCLE_PHONE_PIN_FAILURES_PER_MINUTE: '100000',
      CIRCLE_PHONE_RTP_TIMEOUT_MS: '60000',
      CIRCLE_PHONE_DIGIT_TIMEOUT_MS: '60000',
      CIRCLE_ROOMS_REQUIRE_ADMISSION: 'false',
      CIRCLE_ROOMS_MAX_PARTICIPANTS_PER_ROOM: '50',
      ...env,
    });
    let stderr = '';
    server.child.stderr!.on('data', (chunk) => (stderr = (stderr + String(chunk)).slice(-4000)));
    void server.exited.then((code) => code !== 0 && code !== null && console.error(`server exited (${code}):`, JSON.stringify(server.logs.slice(-3)), stderr));
    return new PhoneNode(server, sipPort);
  }

  get url(): string {
    return this.server.url;
  }

  /** CPU seconds so far of the server's Node process and of its mediasoup workers (its children). */
  cpuSeconds(): { node: number; workers: number } {
    const pid = this.server.child.pid!;
    const of = (id: number | string) => {
      const fields = readFileSync(`/proc/${id}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    };
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return { node: of(pid), workers: children.reduce((sum, child) => sum + of(child), 0) };
  }

  /** The bridge's counters: late 20 ms ticks, and audio packets received from callers. */
  async counters(): Promise<{ late: number; received: number; active: number }> {
    const text = await (await fetch(`${this.server.adminUrl}/metrics`)).text();
    const count = (name: string) => sample(text, name) ?? 0;
    return { late: count('circle_phone_frames_late_total'), received: count('circle_phone_packets_received_total'), active: count('circle_phone_calls_active') };
  }

  async activeCalls(): Promise<number> {
    return (await this.counters()).active;
  }

  /** Waits (30 s at most) until `target` calls are answered, then lets them settle. */
  async awaitCalls(target: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    while ((await this.activeCalls()) < target && Date.now() < deadline) await sleep(250);
    await sleep(4000);
  }

  async measure(seconds: number): Promise<Measured> {
    const before = this.cpuSeconds();
    const countersBefore = await this.counters();
    await sleep(seconds * 1000);
    const after = this.cpuSeconds();
    const countersAfter = await this.counters();
    return {
      node: (after.node - before.node) / seconds,
      workers: (after.workers - before.workers) / seconds,
      lateFrames: countersAfter.late - countersBefore.late,
      packetsPerSecond: (countersAfter.received - countersBefore.received) / seconds,
    };
  }

  /** A phone-only seat's PIN, from the clinic's API. */
  async pinFor(room: string, participantId: string): Promise<string> {
    const response = await fetch(`${this.server.adminUrl}/admin/rooms/${room}/dial-in`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' },
      body: JSON.stringify({ participantId, name: participantId }),
    });
    return ((await response.json()) as { pin: string }).pin;
  }

  async stop(): Promise<void> {
    this.server.child.kill('SIGTERM');
    await this.server.exited;
  }
}

/** Real Opus (48 kHz stereo, 32 kbit/s) of a voice-band tone: a second of frames, sent in turn by the bots. */
export function opusFrames(hz: number, silent = false): Buffer[] {
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

/** A benchmark stops by itself: after `minutes`, its servers are killed and it exits failing. */
export function stopAfter(minutes: number, what: string, nodes: PhoneNode[]): void {
  setTimeout(() => {
    console.error(`${what}: still running after ${minutes} minutes; stopping`);
    for (const node of nodes) node.server.child.kill('SIGKILL');
    process.exit(1);
  }, minutes * 60_000).unref();
}

/**
 * One sipp process placing a call per PIN (all of one length): INFO keys, then sipp's A-law recording (30 ms
 * packets) in a loop. `from`: the loopback address the calls come from (their signalling and media).
 */
export async function sippCalls(sipPort: number, pins: string[], { from = '127.0.0.1', perSecond = 10 } = {}): Promise<ChildProcess> {
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
  const length = pins[0]?.length ?? 0;
  const digitInfos = Array.from({ length }, (_, i) => info(`Signal=[field${i + 1}]\r\nDuration=160`, i + 2)).join('\n') + info('Signal=11\r\nDuration=160', length + 2);
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
  return spawn('sipp', [`127.0.0.1:${sipPort}`, '-sf', 'load.xml', '-inf', 'pins.csv', '-m', String(pins.length), '-l', String(pins.length), '-r', String(perSecond), '-i', from, '-mp', String(await freeSippMediaPort()), '-nostdin', '-timeout', '3600s'], { cwd: dir, stdio: 'ignore' });
}

/**
 * Tone in to tone out, `runs` times: `from` starts a 1 kHz tone, and the delay is to the first 20 ms frame of it
 * `to` receives (undefined runs, none heard within 2 s, are left out).
 */
export async function toneDelays(from: SipCaller, to: SipCaller, runs = 10): Promise<number[]> {
  const delays: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const heardBefore = to.heard.length;
    const onset = performance.now();
    from.speak(1000);
    const found = await new Promise<number | undefined>((resolve) => {
      const poll = setInterval(() => {
        const index = to.heard.findIndex((frame, i) => i >= heardBefore && toneShare(frame, 1000) > 0.3);
        if (index >= 0) {
          clearInterval(poll);
          resolve(to.heardAt[index]! - onset);
        } else if (performance.now() - onset > 2000) {
          clearInterval(poll);
          resolve(undefined);
        }
      }, 5);
    });
    if (found !== undefined) delays.push(found);
    from.speak(0);
    await sleep(800);
  }
  return delays;
}
