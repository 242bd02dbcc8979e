import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

const BARESIP = process.env.BARESIP_PATH ?? '/usr/bin/baresip';

export interface BaresipOptions {
  /** The CA that signed Circle's SIP certificate: baresip checks it, as a trunk would. */
  caFile: string;
  /** The tone the caller speaks (8 kHz, from a WAV file baresip plays into the call). */
  toneHz: number;
  /** The trunk's client certificate and key in one PEM, presented in the TLS handshake; none by default. */
  clientCertificate?: string;
}

/** A 16-bit mono WAV of `seconds` of `hz` at 8 kHz. */
function toneWav(hz: number, seconds: number): Buffer {
  const rate = 8000;
  const samples = rate * seconds;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i += 1) wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / rate)), 44 + i * 2);
  return wav;
}

/**
 * A SIP phone of another make than the one under test: Debian's baresip (libre's SIP, TLS and SRTP), calling Circle
 * over TLS with SDES-SRTP required (`mediaenc=srtp-mand`: it hangs up on a call whose media is not encrypted). It
 * speaks a tone from a file, keys digits as RFC 4733 events (through its `ctrl_tcp` control port), and writes what
 * it hears, decoded, to a WAV file (its `sndfile` module) for the test to analyse.
 */
export class Baresip {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly controlPort: number,
  ) {
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  static async call(sipUri: string, options: BaresipOptions): Promise<Baresip> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'circle-baresip-'));
    const [sipPort, controlPort] = [await freePort(), await freePort()];
    writeFileSync(path.join(dir, 'tone.wav'), toneWav(options.toneHz, 120));
    const modules = ['g711', 'aufile', 'sndfile', 'srtp', 'menu', 'account', 'ctrl_tcp'];
    writeFileSync(
      path.join(dir, 'config'),
      [
        'poll_method epoll',
        `sip_listen 127.0.0.1:${sipPort}`,
        `sip_cafile ${options.caFile}`,
        ...(options.clientCertificate ? [`sip_certificate ${options.clientCertificate}`] : []),
        `audio_source aufile,${path.join(dir, 'tone.wav')}`,
        'audio_alert aufile,/dev/null',
        'module_path /usr/lib/baresip/modules',
        ...modules.map((name) => `module ${name}.so`),
        `snd_path ${dir}`,
        `ctrl_tcp_listen 127.0.0.1:${controlPort}`,
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(dir, 'accounts'), '<sip:caller@127.0.0.1;transport=tls>;mediaenc=srtp-mand;regint=0;audio_codecs=PCMU\n');
    const child = spawn(BARESIP, ['-f', dir, '-e', `/dial ${sipUri}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const phone = new Baresip(child, dir, controlPort);
    try {
      await phone.waitFor(/Call established/, 10_000, 'the call to be answered');
    } catch (error) {
      await phone.stop();
      throw error;
    }
    return phone;
  }

  /** Everything baresip printed (its negotiation: "SRTP is Enabled", the codec, the call's state). */
  get log(): string {
    return this.output;
  }

  /** Keys `digits` as RFC 4733 events, a quarter of a second apart. */
  async keys(digits: string): Promise<void> {
    const socket = net.connect(this.controlPort, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    for (const [index, key] of [...digits].entries()) {
      // ctrl_tcp takes JSON commands in netstrings.
      const command = JSON.stringify({ command: 'sndcode', params: key, token: String(index) });
      socket.write(`${Buffer.byteLength(command)}:${command},`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    socket.end();
  }

  /** Hangs up and quits; answers what the phone heard over the call, decoded (8 kHz). */
  async stop(): Promise<Int16Array> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    const heard = readdirSync(this.dir).find((name) => name.endsWith('-dec.wav'));
    const wav = heard ? readFileSync(path.join(this.dir, heard)) : Buffer.alloc(44);
    rmSync(this.dir, { recursive: true, force: true });
    const data = wav.subarray(44);
    return new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length - (data.length % 2)));
  }

  private async waitFor(pattern: RegExp, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`baresip: timed out waiting for ${what}:\n${this.output.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
