// Signaling storm: 1,000 participants (100 rooms of 10) join at once, knock and are admitted, raise hands, are
// muted and asked to unmute, a fifth of them drop and resume their seats, and everyone leaves. Every step over
// the real protocol against a real server process; reports per-step latency, every refusal by code, and seats
// lost (a resume refused).
//
//   npm run load:storm -- --rooms 100
import { parseArgs } from 'node:util';
import type { JoinResult } from '../src/protocol/events.js';
import { startServerProcess } from '../harness/process.js';
import { sample } from '../harness/circle.js';
import { connect, devToken, type TestClient } from '../harness/signaling.js';
import { machine, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { rooms: { type: 'string', default: '100' }, 'churn-share': { type: 'string', default: '0.2' } } });
const ROOMS = Number(values.rooms);
const CHURN_SHARE = Number(values['churn-share']);

interface Member {
  client: TestClient;
  participantId: string;
  resumeToken: string;
}

const latencies: Record<string, number[]> = {};
const refusals: Record<string, number> = {};
let seatsLost = 0;

/** Runs a request and records its latency under `step`, or its refusal code. */
async function timed<T>(step: string, client: TestClient, event: string, payload: unknown): Promise<T | undefined> {
  const started = performance.now();
  const answer = await client.call<T>(event, payload, 30_000).catch(() => ({ ok: false as const, error: { code: 'TIMEOUT', message: '' } }));
  (latencies[step] ??= []).push(performance.now() - started);
  if (answer.ok) return answer.data;
  const key = `${step}:${answer.error.code}`;
  refusals[key] = (refusals[key] ?? 0) + 1;
  return undefined;
}

async function enter(url: string, room: string, name: string, role: string): Promise<Member | undefined> {
  const { token, participantId } = await devToken(url, { room, name, role });
  const client = await connect(url);
  const joined = await timed<JoinResult>('join', client, 'join', { token });
  return joined ? { client, participantId, resumeToken: joined.resumeToken } : (client.close(), undefined);
}

async function room(url: string, index: number): Promise<Member[]> {
  const name = `storm-${index}`;
  const facilitator = (await enter(url, name, 'facilitator', 'facilitator'))!;
  const clients = (await Promise.all(Array.from({ length: 9 }, (_, i) => enter(url, name, `client-${i}`, 'client')))).filter((m) => m !== undefined);
  await timed('admitAll', facilitator.client, 'admitAll', {});
  await Promise.all(clients.map((c) => timed('raiseHand', c.client, 'raiseHand', {})));
  for (const c of clients) {
    await timed('mute', facilitator.client, 'mute', { participantId: c.participantId });
    await timed('askToUnmute', facilitator.client, 'askToUnmute', { participantId: c.participantId });
  }
  await timed('grantFloor', facilitator.client, 'grantFloor', { participantId: null });
  // Reconnect churn: a share of the clients drop without a goodbye and take their seats back.
  const dropping = clients.slice(0, Math.round(clients.length * CHURN_SHARE));
  await Promise.all(
    dropping.map(async (member) => {
      member.client.close();
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 500));
      member.client = await connect(url);
      const resumed = await timed<JoinResult>('resume', member.client, 'resume', { resumeToken: member.resumeToken });
      if (!resumed || resumed.self.admission !== 'admitted') seatsLost += 1;
    }),
  );
  return [facilitator, ...clients];
}

const server = await startServerProcess({ CIRCLE_SESSIONS_RESUME_GRACE_MS: '30000' });
const started = performance.now();
let members: Member[] = [];
try {
  members = (await Promise.all(Array.from({ length: ROOMS }, (_, i) => room(server.url, i)))).flat();
  const peak = await (await fetch(`${server.adminUrl}/metrics`)).text();
  const participantsAtPeak = ['facilitator', 'client'].reduce((n, role) => n + (sample(peak, 'circle_participants', { role }) ?? 0), 0);
  await Promise.all(members.map((m) => timed('leave', m.client, 'leave', {})));
  const seconds = (performance.now() - started) / 1000;
  const after = await (await fetch(`${server.adminUrl}/metrics`)).text();
  const result = {
    scenario: 'storm',
    machine: machine(),
    rooms: ROOMS,
    participants: members.length,
    participantsAtPeak,
    participantsAfter: ['facilitator', 'client'].reduce((n, role) => n + (sample(after, 'circle_participants', { role }) ?? 0), 0),
    seconds: Math.round(seconds * 10) / 10,
    seatsLost,
    refusals,
    serverAlive: server.child.exitCode === null,
    latencyMs: Object.fromEntries(Object.entries(latencies).map(([step, v]) => [step, summarize(v)])),
  };
  const rows = Object.entries(result.latencyMs).map(([step, s]) => `| ${step} | ${s.n} | ${s.median} | ${s.p99} | ${s.max} |`).join('\n');
  console.log(
    writeResult(
      'storm',
      result,
      `# storm: ${ROOMS} rooms of 10, everything at once

${result.participants} participants (${participantsAtPeak} seated at the peak, ${result.participantsAfter} after all left), ${result.seconds} s end to end.
Seats lost: ${seatsLost}. Refusals: ${Object.keys(refusals).length ? JSON.stringify(refusals) : 'none'}. Server ${result.serverAlive ? 'alive' : 'EXITED'}.

| step (ms) | n | median | p99 | max |
| --- | --- | --- | --- | --- |
${rows}
`,
    ),
  );
} finally {
  for (const m of members) m.client.close();
  server.child.kill('SIGTERM');
}
process.exit(0);
