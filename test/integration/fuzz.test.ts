// Property-based fuzz of every request schema over real sockets against a real server (fast-check): each request is
// sent with arbitrary payloads and with payloads shaped like its schema but holding arbitrary values, by a seated
// client, a seated co-facilitator and a connection with no seat. Every one must be answered, with `ok` or a code
// from the closed set, never `INTERNAL`; the server and an honest room beside the fuzzers go on unharmed.
// FUZZ_RUNS sets the runs per request and role (a short run in CI; docs/benchmarks.md has a long one).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCircle, type RunningCircle } from '../../harness/circle.js';
import { connect, devToken, type TestClient } from '../../harness/signaling.js';
import { ERROR_CODES } from '../../src/protocol/errors.js';
import { REQUEST_NAMES } from '../../src/protocol/schemas.js';
import { requestPayloads, SEAT_ENDING } from '../../harness/fuzz-payloads.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
let server: RunningCircle;
const clients: TestClient[] = [];
const fuzzers: Record<string, TestClient> = {};
let honest: { lead: TestClient; ana: TestClient };

async function seat(room: string, name: string, role: string): Promise<TestClient> {
  const client = await connect(server.url);
  clients.push(client);
  const { token } = await devToken(server.url, { room, name, role, participantId: name });
  await client.ok('join', { token });
  return client;
}

beforeAll(async () => {
  // Unlimited budgets: the fuzz is about what reaches the handlers, not the rate limit (tested elsewhere).
  server = await startCircle({ signaling: { rateLimitPerSecond: 1e6, rateLimitBurst: 1e6, maxUnknownEvents: 1e6 }, rooms: { moderationPerSecond: 1e6, moderationBurst: 1e6 } });
  const lead = await seat('fuzz', 'fuzz-lead', 'facilitator');
  fuzzers.client = await seat('fuzz', 'fuzz-client', 'client');
  fuzzers.cofacilitator = await seat('fuzz', 'fuzz-co', 'cofacilitator');
  await lead.ok('admit', { participantId: 'fuzz-client' });
  fuzzers.unseated = await connect(server.url);
  clients.push(fuzzers.unseated);
  honest = { lead: await seat('honest', 'h-lead', 'facilitator'), ana: await seat('honest', 'h-ana', 'client') };
  await honest.lead.ok('admit', { participantId: 'h-ana' });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server?.stop();
});

const CODES = new Set<string>(ERROR_CODES);

describe.each(['client', 'cofacilitator', 'unseated'])('every request schema, fuzzed as %s', (role) => {
  const names = REQUEST_NAMES.filter((name) => role === 'unseated' || !SEAT_ENDING.includes(name));
  it.each(names)('%s: every payload is answered with ok or a known code, never INTERNAL', async (name) => {
    const client = fuzzers[role]!;
    await fc.assert(
      fc.asyncProperty(requestPayloads(name), async (payload) => {
        const answer = await client.call(name, payload, 5000);
        if (answer.ok) return;
        expect(CODES.has(answer.error.code), `${name}: ${answer.error.code}`).toBe(true);
        expect(answer.error.code, `${name} ${JSON.stringify(payload).slice(0, 200)}: ${answer.error.message}`).not.toBe('INTERNAL');
      }),
      { numRuns: RUNS },
    );
  });
});

it('leaves the server and an honest room unharmed: worker alive, ready, the honest room still answering', async () => {
  expect(server.circle.pool.alive).toBe(1);
  expect((await fetch(`${server.adminUrl}/readyz`)).status).toBe(200);
  expect(await honest.ana.call('raiseHand', {})).toEqual({ ok: true, data: { position: 1 } });
  expect(await honest.lead.call('grantFloor', { participantId: null })).toEqual({ ok: true, data: { holder: 'h-ana' } });
  for (const client of Object.values(fuzzers)) expect(client.socket.connected).toBe(true);
});
