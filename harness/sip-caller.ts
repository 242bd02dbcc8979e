import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import alawmulaw from 'alawmulaw';
import { buildRtp, parseRtp } from '../src/phone/rtp-packet.js';
import { freeSippMediaPort } from './free-port.js';

/**
 * A telephone for tests: Debian's sipp places the call (SIP, and the RFC 4733 key presses from sipp's own
 * recordings), while the call's audio is the test's own UDP socket (the port the INVITE's SDP names), so the test
 * can speak a tone into the call and analyse, in Node, what the caller hears.
 */

export type CallStep =
  | { keys: string }
  | { pauseMs: number }
  | { info: string }
  | { reinvite: true }
  | { bye: true }
  | { awaitBye: true };

const PCAP_DIR = '/usr/share/sip-tester';
const pcapFor = (key: string) => `${PCAP_DIR}/dtmf_2833_${key === '#' ? 'pound' : key === '*' ? 'star' : key}.pcap`;

function sdp(): string {
  return ['v=0', 'o=caller 1 1 IN IP4 [local_ip]', 's=-', 'c=IN IP4 [local_ip]', 't=0 0', 'm=audio [rtp_port] RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', 'a=ptime:20', ''].join('\r\n');
}

function requestFrom(method: string, inDialog: boolean, cseq: number, body = '', contentType = 'application/sdp', user = 'caller'): string {
  const to = inDialog ? '<sip:circle@[remote_ip]:[remote_port]>[peer_tag_param]' : '<sip:circle@[remote_ip]:[remote_port]>';
  return `<![CDATA[
${method} sip:circle@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Test caller" <sip:${user}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: ${to}
Call-ID: [call_id]
CSeq: ${cseq} ${method}
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
${body ? `Content-Type: ${contentType}\n` : ''}Content-Length: [len]

${body}
]]>`;
}

const OK_TO_LAST = `<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:caller@[local_ip]:[local_port]>
Content-Length: 0

]]></send>`;

/**
 * A sipp scenario for one call: INVITE, then `steps`. `cancelAfterMs`: a CANCEL while it rings instead.
 * `callerNumber`: the user part of From, as a trunk gives the caller's number (else "caller").
 */
export function scenario(steps: CallStep[], { cancelAfterMs, callerNumber }: { cancelAfterMs?: number; callerNumber?: string } = {}): string {
  const request = (method: string, inDialog: boolean, cseq: number, body = '', contentType = 'application/sdp') => requestFrom(method, inDialog, cseq, body, contentType, callerNumber);
  const ACK = (cseq: number) => `<send>${request('ACK', true, cseq)}</send>`;
  const parts: string[] = [`<send retrans="500">${request('INVITE', false, 1, sdp())}</send>`, '<recv response="100" optional="true"/>'];
  if (cancelAfterMs !== undefined) {
    parts.push('<recv response="180"/>', `<pause milliseconds="${cancelAfterMs}"/>`);
    parts.push(`<send>${request('CANCEL', false, 1)}</send>`, '<recv response="200"/>', '<recv response="487"/>', ACK(1));
    return wrap(parts);
  }
  parts.push('<recv response="180" optional="true"/>', '<recv response="200" rrs="true"/>', ACK(1));
  let cseq = 1;
  for (const step of steps) {
    if ('keys' in step) {
      for (const key of step.keys) parts.push(`<nop><action><exec play_pcap_audio="${pcapFor(key)}"/></action></nop>`, '<pause milliseconds="250"/>');
    } else if ('pauseMs' in step) parts.push(`<pause milliseconds="${step.pauseMs}"/>`);
    else if ('info' in step) {
      cseq += 1;
      parts.push(`<send retrans="500">${request('INFO', true, cseq, `Signal=${step.info}\r\nDuration=160\r\n`, 'application/dtmf-relay')}</send>`, '<recv response="200"/>');
    } else if ('reinvite' in step) {
      cseq += 1;
      parts.push(`<send retrans="500">${request('INVITE', true, cseq, sdp())}</send>`, '<recv response="100" optional="true"/>', '<recv response="200"/>', ACK(cseq));
    } else if ('bye' in step) {
      cseq += 1;
      parts.push(`<send retrans="500">${request('BYE', true, cseq)}</send>`, '<recv response="200"/>');
    } else parts.push('<recv request="BYE" timeout="60000"/>', OK_TO_LAST);
  }
  return wrap(parts);
}

function wrap(parts: string[]): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="circle test call">\n${parts.join('\n')}\n</scenario>\n`;
}

/** The Goertzel power of `hz` in `samples` (8 kHz), relative to the signal's: about 0.5 for a pure tone, ~0 without it. */
export function toneShare(samples: Int16Array, hz: number): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * hz) / 8000);
  let previous = 0;
  let beforePrevious = 0;
  let energy = 0;
  for (const sample of samples) {
    const value = sample + coefficient * previous - beforePrevious;
    beforePrevious = previous;
    previous = value;
    energy += sample * sample;
  }
  const power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
  return energy === 0 ? 0 : power / (energy * samples.length);
}

export class SipCaller {
  /** Everything the caller has heard, decoded, in arrival order. */
  readonly heard: Int16Array[] = [];
  /** When each of `heard` arrived (performance.now()). */
  readonly heardAt: number[] = [];
  /** Where Circle sends the call's RTP from (and takes it): learned from its first packet. */
  bridge: { address: string; port: number } | undefined;
  private toneTimer: NodeJS.Timeout | undefined;
  private sequence = 1;
  private timestamp = 0;
  private phase = 0;
  private sampleCount = 0;
  readonly exited: Promise<number>;
  stderr = '';
  private closed = false;

  private constructor(
    private readonly socket: dgram.Socket,
    readonly sipp: ChildProcess,
  ) {
    socket.on('message', (data, from) => {
      const packet = parseRtp(data);
      if (!packet || packet.payloadType !== 0) return;
      this.bridge ??= { address: from.address, port: from.port };
      this.heard.push(alawmulaw.mulaw.decode(packet.payload));
      this.heardAt.push(performance.now());
    });
    sipp.stderr?.on('data', (chunk) => (this.stderr += String(chunk)));
    this.exited = new Promise((resolve) => sipp.on('exit', (code) => resolve(code ?? -1)));
    // sipp could not place the call at all (a fatal error, not a failed call): why, beside the test's own failure.
    void this.exited.then((code) => code > 1 && !this.closed && console.error(`sipp exited ${code}: ${this.stderr.slice(-500)}`));
  }

  /** Places a call to Circle's SIP port on 127.0.0.1 and runs `steps`. */
  static async call(sipPort: number, steps: CallStep[], options: { cancelAfterMs?: number; transport?: 'u1' | 't1'; callerNumber?: string } = {}): Promise<SipCaller> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(path.join(tmpdir(), 'circle-sipp-'));
    const file = path.join(dir, 'call.xml');
    writeFileSync(file, scenario(steps, options));
    const sipp = spawn(
      'sipp',
      [`127.0.0.1:${sipPort}`, '-sf', file, '-m', '1', '-l', '1', '-i', '127.0.0.1', '-mp', String(await freeSippMediaPort()), '-t', options.transport ?? 'u1', '-key', 'rtp_port', String(socket.address().port), '-timeout', '120s', '-timeout_error', '-nostdin', '-trace_err', '-error_file', path.join(dir, 'errors.log')],
      { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir },
    );
    return new SipCaller(socket, sipp);
  }

  /**
   * Speaks `hz` into the call (μ-law, 20 ms packets) until `stop`; `hz` 0 is silence, which keeps the line alive.
   * `syllables`: the tone swells and fades four times a second, as speech does (a dominant-speaker detector takes a
   * steady tone for noise, and digital silence tells it nothing about the noise floor, so the fade never reaches 0).
   */
  speak(hz: number, { syllables = false } = {}): void {
    clearInterval(this.toneTimer);
    this.toneTimer = setInterval(() => {
      if (!this.bridge) return;
      const samples = new Int16Array(160);
      for (let i = 0; i < samples.length; i += 1) {
        const swell = syllables ? 0.02 + 0.98 * Math.sin((Math.PI * 4 * this.sampleCount++) / 8000) ** 2 : 1;
        samples[i] = hz ? Math.round(8000 * swell * Math.sin(this.phase)) : 0;
        this.phase += (2 * Math.PI * hz) / 8000;
      }
      const packet = buildRtp({ payloadType: 0, marker: false, sequenceNumber: this.sequence++, timestamp: (this.timestamp += 160), ssrc: 0x5eed }, alawmulaw.mulaw.encode(samples));
      this.socket.send(packet, this.bridge.port, this.bridge.address);
    }, 20);
  }

  /** Stops all RTP from the caller's side (a line gone dead). */
  fallSilent(): void {
    clearInterval(this.toneTimer);
  }

  /** The share of `hz` in what the caller heard over the last `ms`. */
  hears(hz: number, ms = 400): number {
    const frames = this.heard.slice(-Math.ceil(ms / 20));
    const joined = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
    let offset = 0;
    for (const frame of frames) {
      joined.set(frame, offset);
      offset += frame.length;
    }
    return toneShare(joined, hz);
  }

  close(): void {
    clearInterval(this.toneTimer);
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
    if (this.sipp.exitCode === null) this.sipp.kill('SIGKILL');
  }
}
