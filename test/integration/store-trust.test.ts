// The shared store is not trusted blindly: what Circle reads back from a real Redis is parsed, and a value that
// does not parse fails closed (the join is refused with STORED_STATE_INVALID, no room is opened from it).
import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCircle, type RunningCircle } from '../../harness/circle.js';
import { connect, devToken, type TestClient } from '../../harness/signaling.js';
import { RedisServer } from '../helpers/redis.js';

let redis: RedisServer;
let server: RunningCircle;
let writer: ReturnType<typeof createClient>;
const clients: TestClient[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
  writer = createClient({ url: redis.url });
  await writer.connect();
  server = await startCircle({ store: { redisUrl: redis.url } });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server?.stop();
  await writer?.quit();
  await redis?.stop();
});

async function join(room: string, participantId: string, role = 'client') {
  const { token } = await devToken(server.url, { room, name: participantId, participantId, role });
  const client = await connect(server.url);
  clients.push(client);
  return client.call('join', { token });
}

const validState = (removed: string[]) => ({
  record: {
    locked: false,
    ended: false,
    started: true,
    spotlight: null,
    admitted: [],
    removed,
    audit: [],
    auditDropped: 0,
    heldSeats: [],
    decisions: [],
    floor: { mode: 'open', queue: [], holder: null, turnLimitMs: null, turnEndsAt: null },
  },
  seats: [],
});

it('a room state that is not JSON refuses the join, and no room is opened from it', async () => {
  await writer.set('circle:room:corrupt-1:state', '{"record": {"locked": fal');
  expect(await join('corrupt-1', 'lead', 'facilitator')).toMatchObject({ ok: false, error: { code: 'STORED_STATE_INVALID' } });
  expect(server.circle.registry.get('corrupt-1')).toBeUndefined();
});

it('a room state of the wrong shape (a removal list that is not a list of ids) fails closed too', async () => {
  const state = validState([]);
  (state.record as Record<string, unknown>).removed = 'eve';
  await writer.set('circle:room:corrupt-2:state', JSON.stringify(state));
  expect(await join('corrupt-2', 'eve')).toMatchObject({ ok: false, error: { code: 'STORED_STATE_INVALID' } });
  expect(server.circle.registry.get('corrupt-2')).toBeUndefined();
});

it('a valid stored state is adopted: its removals hold', async () => {
  await writer.set('circle:room:stored-ok:state', JSON.stringify(validState(['eve'])));
  expect(await join('stored-ok', 'eve')).toMatchObject({ ok: false, error: { code: 'REMOVED' } });
  expect(await join('stored-ok', 'lead', 'facilitator')).toMatchObject({ ok: true });
});

it('a resume identity that does not parse refuses the resume', async () => {
  // A token this node did not issue is looked up in the store; there, its identity claims an unknown role.
  const forged = 'x'.repeat(43);
  const identity = { participantId: 'lead', roomId: 'resume-trust', displayName: 'L', role: 'superuser' };
  await writer.set(`circle:resume:${createHash('sha256').update(forged).digest('base64url')}`, JSON.stringify(identity));
  const client = await connect(server.url);
  clients.push(client);
  expect(await client.call('resume', { resumeToken: forged })).toMatchObject({ ok: false, error: { code: 'STORED_STATE_INVALID' } });
  expect(server.circle.registry.get('resume-trust')).toBeUndefined();
});
