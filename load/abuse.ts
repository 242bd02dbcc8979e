// Abuse: malformed and random payloads for every request, oversized messages, a flood from one socket, forged
// tokens, cross-room probing and garbage frames, thrown at a server while an honest room of 10 with real RTP runs
// beside it; then a property-based fuzz (fast-check, the payloads of test/integration/fuzz.test.ts) of every request
// schema as a seated client, a seated co-facilitator and a connection with no seat. Reports inputs tried, answers by
// code, INTERNAL answers and unanswered requests (both must be 0), crashes (must be 0), and whether the honest room
// noticed: its signaling p99 and its forwarded-packet loss before, during and after each attack.
//
//   npm run load:abuse -- --fuzz-inputs 100000
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { parseArgs } from 'node:util';
import { ERROR_CODES } from '../src/protocol/errors.js';
import { REQUEST_NAMES, type RequestName } from '../src/protocol/schemas.js';
import { sample } from '../harness/circle.js';
import { requestPayloads, SEAT_ENDING } from '../harness/fuzz-payloads.js';
import { startServerProcess } from '../harness/process.js';
import { connect, devToken, type TestClient } from '../harness/signaling.js';
import { MediaBot, MediaClock } from './lib/media-bot.js';
import { machine, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    'payloads-per-request': { type: 'string', default: '40' },
    'window-seconds': { type: 'string', default: '10' },
    'fuzz-inputs': { type: 'string', default: '3000' },
    'fuzzers-per-role': { type: 'string', default: '8' },
  },
});
const PER_REQUEST = Number(values['payloads-per-request']);
const WINDOW_MS = Number(values['window-seconds']) * 1000;
const FUZZ_INPUTS = Number(values['fuzz-inputs']);
const FUZZERS_PER_ROLE = Number(values['fuzzers-per-role']);
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
/** The honest room's signaling latency and forwarded loss, measured until `done` settles (or one window). */
async function honestWindow(done?: Promise<unknown>): Promise<{ p99: number; median: number; loss: number; samples: number }> {
  const latencies: number[] = [];
  const before = honest.map((b) => b.sink.counts());
  let finished = false;
  void done?.finally(() => (finished = true));
  const end = performance.now() + WINDOW_MS;
  for (let up = false; done ? !finished : performance.now() < end; up = !up) {
    const started = performance.now();
    await prober.client.ok(up ? 'lowerHand' : 'raiseHand', {});
    latencies.push(performance.now() - started);
    await sleep(50);
  }
  const after = honest.map((b) => b.sink.counts());
  const expected = after.reduce((n, c, i) => n + c.expected - before[i]!.expected, 0);
  const received = after.reduce((n, c, i) => n + c.received - before[i]!.received, 0);
  const stats = summarize(latencies);
  return { p99: stats.p99, median: stats.median, loss: expected ? Math.round((1 - received / expected) * 1e5) / 1e5 : 0, samples: latencies.length };
}

await sleep(3000);
const baseline = await honestWindow();

const events = [...REQUEST_NAMES, 'admin', 'eval', '__proto__', 'constructor', 'toString', 'x'.repeat(300)];

/** Random payloads for one request name from a fresh connection (joined or not), paced under the rate limit. */
async function fuzzOneRequest(event: string, joinFirst: boolean): Promise<void> {
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
  const jobs = events.flatMap((event) => [() => fuzzOneRequest(event, false), () => fuzzOneRequest(event, true)]);
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

const KNOWN_CODES = new Set<string>(ERROR_CODES);
const fuzz = { tried: 0, answers: {} as Record<string, number>, unknownCodes: 0, unanswered: 0, droppedByServer: 0, seconds: 0 };

/**
 * Every request schema fuzzed with fast-check's payloads, FUZZ_INPUTS in all, spread evenly over the requests and
 * three kinds of sender: a seated client and a seated co-facilitator (in a room of their own; never the requests
 * that end a seat) and a connection with no seat. FUZZERS_PER_ROLE connections each, 25 requests a second each, so
 * what is judged is the payload, not the pace. The server closes a seatless connection after
 * `signaling.joinTimeoutMs`; the fuzzer replaces it shortly before, as an attacker would.
 */
async function schemaFuzz(): Promise<void> {
  const lead = await connect(url);
  await lead.ok('join', { token: (await devToken(url, { room: 'fuzz', name: 'f', participantId: 'fuzz-lead', role: 'facilitator' })).token });
  const roles = ['client', 'cofacilitator', 'unseated'] as const;
  const pairs = roles.flatMap((role) => REQUEST_NAMES.filter((name) => role === 'unseated' || !SEAT_ENDING.includes(name)).map((name) => ({ role, name })));
  const perPair = Math.ceil(FUZZ_INPUTS / pairs.length);
  const queues = new Map<string, { name: RequestName; payload: unknown }[]>(roles.map((role) => [role, []]));
  for (const [index, { role, name }] of pairs.entries()) {
    for (const payload of fc.sample(requestPayloads(name), { numRuns: perPair, seed: index })) queues.get(role)!.push({ name, payload });
  }
  for (const queue of queues.values()) queue.sort(() => Math.random() - 0.5);

  let seated = 0;
  async function fuzzer(role: (typeof roles)[number]): Promise<TestClient> {
    const client = await connect(url);
    if (role === 'unseated') return client;
    const participantId = `fuzz-${role}-${(seated += 1)}`;
    await client.ok('join', { token: (await devToken(url, { room: 'fuzz', name: 'f', participantId, role })).token });
    if (role === 'client') await lead.ok('admit', { participantId });
    return client;
  }
  const started = performance.now();
  await Promise.all(
    roles.flatMap((role) =>
      Array.from({ length: FUZZERS_PER_ROLE }, async () => {
        let client = await fuzzer(role);
        let since = performance.now();
        const queue = queues.get(role)!;
        for (let item = queue.pop(); item; item = queue.pop()) {
          // A seatless connection is replaced before the server's join timeout (10 s) would close it mid-request.
          if (!client.socket.connected || (role === 'unseated' && performance.now() - since > 8000)) {
            client.close();
            client = await fuzzer(role);
            since = performance.now();
          }
          const answer = await client.call(item.name, item.payload, 5000).catch(() => undefined);
          fuzz.tried += 1;
          if (answer === undefined) {
            if (client.socket.connected) fuzz.unanswered += 1;
            else fuzz.droppedByServer += 1;
          } else {
            const code = answer.ok ? 'ok' : answer.error.code;
            fuzz.answers[code] = (fuzz.answers[code] ?? 0) + 1;
            if (!answer.ok && !KNOWN_CODES.has(code)) fuzz.unknownCodes += 1;
          }
          await sleep(40);
        }
        client.close();
      }),
    ),
  );
  fuzz.seconds = Math.round((performance.now() - started) / 1000);
  lead.close();
}

const attackRun = attack();
const during = await honestWindow(attackRun);
const afterAttack = await honestWindow();
const fuzzRun = schemaFuzz();
const duringFuzz = await honestWindow(fuzzRun);
await fuzzRun;
const afterFuzz = await honestWindow();
const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
const crashes = { serverAlive: server.child.exitCode === null, workerDeaths: sample(text, 'circle_worker_deaths_total') ?? NaN };
const honestSeated = honest.every((bot) => bot.client.socket.connected);
clock.stop();
for (const bot of honest) bot.close();
server.child.kill('SIGTERM');

const result = {
  scenario: 'abuse',
  machine: machine(),
  tried,
  answers,
  unanswered,
  disconnects,
  fuzz,
  crashes,
  honestSeated,
  honest: { baseline, during, after: afterAttack, duringFuzz, afterFuzz },
};
const row = (name: string, w: { median: number; p99: number; loss: number; samples: number }) =>
  `| ${name} | ${w.samples} | ${w.median} | ${w.p99} | ${(w.loss * 100).toFixed(3)}% |`;
console.log(
  writeResult(
    'abuse',
    result,
    `# abuse: ${tried} hostile inputs, then ${fuzz.tried} fuzzed requests, beside an honest room of 10

Hostile inputs, answers by code: ${JSON.stringify(answers)}; connections dropped by the server (oversized frames, garbage): ${disconnects}; no answer: ${unanswered}.
Schema fuzz (fast-check) in ${fuzz.seconds} s, answers by code: ${JSON.stringify(fuzz.answers)}; codes outside the closed set: ${fuzz.unknownCodes}; no answer on a live connection: ${fuzz.unanswered}; closed by the server mid-request: ${fuzz.droppedByServer}.
Crashes: server ${crashes.serverAlive ? 'alive' : 'EXITED'}, worker deaths ${crashes.workerDeaths}. Honest participants all still connected: ${honestSeated}.

| honest room | latency samples | signaling median ms | p99 ms | forwarded loss |
| --- | --- | --- | --- | --- |
${row('before', baseline)}
${row('during the hostile inputs', during)}
${row('after them', afterAttack)}
${row('during the schema fuzz', duringFuzz)}
${row('after it', afterFuzz)}
`,
  ),
);
process.exit(0);
