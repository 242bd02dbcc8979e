// Abuse: malformed and random payloads for every request, oversized messages, a flood from one socket, forged
// tokens, cross-room probing and garbage frames, thrown at a server while an honest room of 10 with real RTP runs
// beside it. Reports inputs tried, answers by code, crashes (must be 0), and whether the honest room noticed:
// its signaling p99 and its forwarded-packet loss before and during the attack.
//
//   npm run load:abuse
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { parseArgs } from 'node:util';
import { REQUEST_NAMES } from '../src/protocol/schemas.js';
import { sample } from '../harness/circle.js';
import { startServerProcess } from '../harness/process.js';
import { connect, devToken, type TestClient } from '../harness/signaling.js';
import { MediaBot, MediaClock } from './lib/media-bot.js';
import { machine, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { 'payloads-per-request': { type: 'string', default: '40' }, 'window-seconds': { type: 'string', default: '10' } } });
const PER_REQUEST = Number(values['payloads-per-request']);
const WINDOW_MS = Number(values['window-seconds']) * 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const server = await startServerProcess({ CIRCLE_LOAD_BOT_TRANSPORTS: 'true' });
const url = server.url;
const answers: Record<string, number> = {};
let tried = 0;
let unanswered = 0;
let disconnects = 0;

function record(answer: { ok: boolean; error?: { code: string } } | undefined): void {
  tried += 1;
  if (!answer) unanswered += 1;
  else {
    const key = answer.ok ? 'ok' : answer.error!.code;
    answers[key] = (answers[key] ?? 0) + 1;
  }
}

/** An attacker's request: its answer, or none (a dropped connection or a timeout) counted apart. */
async function attempt(client: TestClient, event: string, payload: unknown): Promise<void> {
  if (!client.socket.connected) return void (tried += 1, (disconnects += 1));
  const answer = await client.call(event, payload, 5000).catch(() => undefined);
  if (answer === undefined && !client.socket.connected) return void (tried += 1, (disconnects += 1));
  record(answer);
}

// Random JSON, biased towards what breaks parsers: wrong types, huge numbers, deep nesting, prototype keys.
function randomValue(depth = 0): unknown {
  const pick = Math.floor(Math.random() * 12);
  if (depth > 4) return null;
  switch (pick) {
    case 0: return null;
    case 1: return Math.random() < 0.5;
    case 2: return (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 300);
    case 3: return randomBytes(Math.floor(Math.random() * 64)).toString('latin1');
    case 4: return 'x'.repeat(Math.floor(Math.random() * 5000));
    case 5: return Array.from({ length: Math.floor(Math.random() * 8) }, () => randomValue(depth + 1));
    case 6: return JSON.parse('{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}}');
    case 7: return { participantId: randomBytes(8).toString('hex'), producerId: randomBytes(16).toString('hex'), transportId: 'x'.repeat(65) };
    case 8: return { token: randomBytes(40).toString('base64') };
    case 9: return Number.NaN;
    case 10: return { rtpParameters: { codecs: Array.from({ length: 100 }, () => ({ mimeType: 'audio/opus' })) } };
    default: return Object.fromEntries(Array.from({ length: Math.floor(Math.random() * 6) }, () => [randomBytes(3).toString('hex'), randomValue(depth + 1)]));
  }
}

async function forgedTokens(): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: 'mallory', room: 'honest', name: 'Mallory', role: 'facilitator' };
  const sign = (secret: string, extra: Record<string, unknown> = {}, audience = 'circle') =>
    new SignJWT({ ...claims, ...extra }).setProtectedHeader({ alg: 'HS256' }).setAudience(audience).setIssuedAt().setExpirationTime(now + 600).sign(new TextEncoder().encode(secret));
  const genuine = (await devToken(url, { room: 'elsewhere', name: 'x', role: 'client' })).token;
  const [header, body, signature] = genuine.split('.') as [string, string, string];
  const escalated = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), role: 'facilitator', room: 'honest' })).toString('base64url');
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, aud: 'circle', exp: now + 600 })).toString('base64url')}.`;
  return [
    await sign('not-the-server-secret-not-the-server-secret'),
    await sign('circle-development-secret-change-me-in-production', {}, 'another-audience'),
    await sign('circle-development-secret-change-me-in-production', { exp: now - 60 }),
    await sign('circle-development-secret-change-me-in-production', { role: 'superuser' }),
    `${header}.${escalated}.${signature}`,
    none,
    genuine.slice(0, -4) + 'AAAA',
    'not.a.jwt',
    randomBytes(300).toString('base64'),
  ];
}

// The honest room: 10 participants with audio and one video layer, and a co-facilitator probing latency.
const clock = new MediaClock();
const honest: MediaBot[] = [];
const lead = await MediaBot.join(url, 'honest', 'facilitator', 'facilitator');
lead.admitEveryone();
honest.push(lead, ...(await Promise.all(Array.from({ length: 9 }, (_, i) => MediaBot.join(url, 'honest', `client-${i}`, i === 0 ? 'cofacilitator' : 'client')))));
for (const bot of honest) {
  await bot.startMedia({ audio: true, videoLayers: 1 });
  clock.add(bot);
}
const prober = honest[1]!;
async function honestWindow(): Promise<{ p99: number; median: number; loss: number }> {
  const latencies: number[] = [];
  const before = honest.map((b) => b.sink.counts());
  const end = performance.now() + WINDOW_MS;
  for (let up = false; performance.now() < end; up = !up) {
    const started = performance.now();
    await prober.client.ok(up ? 'lowerHand' : 'raiseHand', {});
    latencies.push(performance.now() - started);
    await sleep(50);
  }
  const after = honest.map((b) => b.sink.counts());
  const expected = after.reduce((n, c, i) => n + c.expected - before[i]!.expected, 0);
  const received = after.reduce((n, c, i) => n + c.received - before[i]!.received, 0);
  const stats = summarize(latencies);
  return { p99: stats.p99, median: stats.median, loss: expected ? Math.round((1 - received / expected) * 1e5) / 1e5 : 0 };
}

await sleep(3000);
const baseline = await honestWindow();

const events = [...REQUEST_NAMES, 'admin', 'eval', '__proto__', 'constructor', 'toString', 'x'.repeat(300)];

/** Random payloads for one request name from a fresh connection (joined or not), paced under the rate limit. */
async function fuzz(event: string, joinFirst: boolean): Promise<void> {
  const client = await connect(url);
  if (joinFirst) await client.ok('join', { token: (await devToken(url, { room: `mallory-${events.indexOf(event)}`, name: 'm', role: 'facilitator' })).token });
  for (let i = 0; i < PER_REQUEST; i += 1) {
    await attempt(client, event, randomValue());
    await sleep(40); // 25 per second: what is refused is the payload, not the pace (the flood below tests pace)
  }
  client.close();
}

async function attack(): Promise<void> {
  const joined = await connect(url);
  await joined.ok('join', { token: (await devToken(url, { room: 'mallory', name: 'm', role: 'facilitator' })).token });
  const jobs = events.flatMap((event) => [() => fuzz(event, false), () => fuzz(event, true)]);
  // Twelve attackers at a time, each on its own connection.
  await Promise.all(Array.from({ length: 12 }, async () => {
    for (let job = jobs.shift(); job; job = jobs.shift()) await job();
  }));
  // Cross-room probing from a joined attacker: the honest room's ids.
  for (const target of honest) {
    for (const event of ['mute', 'remove', 'admit', 'grantFloor', 'promote']) await attempt(joined, event, { participantId: target.participantId });
  }
  // Oversized messages: over the payload limit (refused), and over the frame limit (connection dropped).
  for (const size of [40_000, 100_000, 300_000]) {
    const client = await connect(url);
    await attempt(client, 'join', { token: 'x'.repeat(size) });
    client.close();
  }
  // A flood from one socket: 2,000 requests without waiting.
  const flooder = await connect(url);
  const flood = await Promise.all(Array.from({ length: 2000 }, () => flooder.call('raiseHand', {}, 10_000).catch(() => undefined)));
  for (const answer of flood) record(answer);
  flooder.close();
  // Forged tokens, each on a fresh connection.
  for (const token of await forgedTokens()) {
    const client = await connect(url);
    await attempt(client, 'join', { token });
    client.close();
  }
  // Garbage frames below Socket.IO: the server drops the connection and carries on.
  for (let i = 0; i < 20; i += 1) {
    const client = await connect(url);
    (client.socket.io.engine as unknown as { write(data: string): void }).write(randomBytes(50).toString('latin1'));
    await sleep(20);
    tried += 1;
    if (!client.socket.connected) disconnects += 1;
    client.close();
  }
  joined.close();
}

const attackRun = attack();
const during = await honestWindow();
await attackRun;
const afterAttack = await honestWindow();
const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
const crashes = { serverAlive: server.child.exitCode === null, workerDeaths: sample(text, 'circle_worker_deaths_total') ?? NaN };
const honestSeated = honest.every((bot) => bot.client.socket.connected);
clock.stop();
for (const bot of honest) bot.close();
server.child.kill('SIGTERM');

const result = { scenario: 'abuse', machine: machine(), tried, answers, unanswered, disconnects, crashes, honestSeated, honest: { baseline, during, after: afterAttack } };
console.log(
  writeResult(
    'abuse',
    result,
    `# abuse: ${tried} hostile inputs beside an honest room of 10

Answers by code: ${JSON.stringify(answers)}; connections dropped by the server (oversized frames, garbage): ${disconnects}; no answer: ${unanswered}.
Crashes: server ${crashes.serverAlive ? 'alive' : 'EXITED'}, worker deaths ${crashes.workerDeaths}. Honest participants all still connected: ${honestSeated}.

| honest room | signaling median ms | p99 ms | forwarded loss |
| --- | --- | --- | --- |
| before | ${baseline.median} | ${baseline.p99} | ${(baseline.loss * 100).toFixed(3)}% |
| during the attack | ${during.median} | ${during.p99} | ${(during.loss * 100).toFixed(3)}% |
| after | ${afterAttack.median} | ${afterAttack.p99} | ${(afterAttack.loss * 100).toFixed(3)}% |
`,
  ),
);
process.exit(0);
