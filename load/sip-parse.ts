// The SIP parser's worst case: the time to parse (or refuse) one message, for Circle's own parser and for the `sip`
// package (0.0.6) it replaced, side by side in one run, on a typical INVITE and on the inputs that cost the old one
// most (a datagram of spaces, long header values). The old package is installed into a cache outside the checkout
// for this comparison only; Circle does not depend on it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseSip } from '../src/phone/sip-parse.js';
import { SIP_LIMITS, stringifySip, type SipMessage } from '../src/phone/sip-wire.js';
import { machine, writeResult } from './lib/report.js';

const RUNS = Number(process.argv[process.argv.indexOf('--runs') + 1] || 200);

function oldParser(): (data: Buffer) => unknown {
  const dir = path.join(process.env.CIRCLE_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'circle'), 'sip-0.0.6');
  if (!existsSync(path.join(dir, 'node_modules', 'sip'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('npm', ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', 'sip@0.0.6'], { stdio: 'inherit' });
  }
  const sip = createRequire(path.join(dir, 'index.js'))('sip') as { parse(data: Buffer): unknown };
  return (data) => sip.parse(data);
}

const invite: SipMessage = {
  method: 'INVITE',
  uri: 'sip:circle@203.0.113.5',
  version: '2.0',
  headers: {
    via: [{ version: '2.0', protocol: 'UDP', host: '198.51.100.7', port: 5060, params: { branch: 'z9hG4bK776asdhds', rport: null } }],
    from: { name: '"Caller"', uri: 'sip:+15555550100@198.51.100.7', params: { tag: '1928301774' } },
    to: { uri: 'sip:circle@203.0.113.5', params: {} },
    'call-id': 'a84b4c76e66710@198.51.100.7',
    cseq: { seq: 314159, method: 'INVITE' },
    contact: [{ uri: 'sip:+15555550100@198.51.100.7:5060', params: {} }],
    'content-type': 'application/sdp',
  },
  content: ['v=0', 'o=- 1 1 IN IP4 198.51.100.7', 's=-', 'c=IN IP4 198.51.100.7', 't=0 0', 'm=audio 4000 RTP/AVP 0 8 101', 'a=rtpmap:101 telephone-event/8000', ''].join('\r\n'),
};
const typical = stringifySip(invite);
const limit = SIP_LIMITS.maxMessageBytes;
const inputs: Record<string, Buffer> = {
  'typical INVITE': Buffer.from(typical, 'latin1'),
  '16 KB of spaces': Buffer.alloc(limit, ' '),
  'a request line of 16 KB': Buffer.from(`INVITE ${'a'.repeat(limit - 20)} SIP/2.0\r\n\r\n`, 'latin1'),
  'one header of 16 KB of spaces': Buffer.from(typical.replace('Content-Type:', `X-Pad:${' '.repeat(limit - typical.length - 20)}x\r\nContent-Type:`), 'latin1'),
  'a Via of 16 KB of ";"': Buffer.from(typical.replace(';rport', `;rport${';'.repeat(limit - typical.length - 20)}`), 'latin1'),
  'a From of 16 KB of quotes': Buffer.from(typical.replace('"Caller"', `"${'\\"'.repeat((limit - typical.length - 20) / 2)}`), 'latin1'),
};

function time(parse: (data: Buffer) => unknown, data: Buffer): { medianMs: number; p99Ms: number } {
  const samples: number[] = [];
  // The first runs compile the code: warmed up first, as a running node is.
  for (let i = -20; i < RUNS; i += 1) {
    const started = process.hrtime.bigint();
    try {
      parse(data);
    } catch {
      // a refusal is an answer too: its time counts the same
    }
    if (i >= 0) samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { medianMs: samples[Math.floor(samples.length / 2)]!, p99Ms: samples[Math.floor(samples.length * 0.99)]! };
}

const old = oldParser();
const rows = Object.entries(inputs).map(([name, data]) => ({ name, bytes: data.length, circle: time(parseSip, data), old: time(old, data) }));
const format = (ms: number) => (ms < 0.1 ? ms.toFixed(4) : ms.toFixed(2));
const table = [
  `SIP parse time per message, ${RUNS} runs each (${machine().cpus}, Node ${process.version})`,
  '',
  '| input | bytes | Circle median ms | Circle p99 ms | sip 0.0.6 median ms | sip 0.0.6 p99 ms |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.name} | ${r.bytes} | ${format(r.circle.medianMs)} | ${format(r.circle.p99Ms)} | ${format(r.old.medianMs)} | ${format(r.old.p99Ms)} |`),
  '',
].join('\n');
console.log(writeResult('sip-parse', { machine: machine(), runs: RUNS, rows }, table));
