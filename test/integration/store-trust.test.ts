// The shared store is not trusted blindly, and learns nothing it need not: keys are keyed HMACs, values sealed
// (AES-256-GCM) to their key. What Circle reads back from a real Redis is authenticated and parsed; a value that is
// forged, moved or of the wrong shape fails closed (the join is refused with STORED_STATE_INVALID, no room opened).
import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCircle, type RunningCircle } from '../../harness/circle.js';
import { connect, devToken, type TestClient } from '../../harness/signaling.js';
import { waitUntil } from '../../harness/browser.js';
import { createLogger } from '../../src/logging/logger.js';
import { PrivacyKeys } from '../../src/privacy/privacy-keys.js';
import { RedisKeyValueStore } from '../../src/store/redis-kv.js';
import { SealedStore } from '../../src/store/sealed-store.js';
import { RedisServer } from '../../harness/redis-server.js';

let redis: RedisServer;
let server: RunningCircle;
/** Redis as anyone with network access to it sees it: raw keys and values. */
let raw: ReturnType<typeof createClient>;
/** Redis as a process holding the cluster's secret writes it (a bug, an older version). */
let sealed: SealedStore;
let keys: PrivacyKeys;
const clients: TestClient[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
  raw = createClient({ url: redis.url });
  await raw.connect();
  server = await startCircle({ store: { redisUrl: redis.url } });
  keys = new PrivacyKeys(server.circle.config.privacy.secret);
  const logger = createLogger('silent', keys.logRef);
  const redisStore = new RedisKeyValueStore({ url: redis.url }, logger);
  redisStore.start();
  sealed = new SealedStore(redisStore, keys, logger);
  await waitUntil(async () => sealed.available, 5000, 'the test store connected');
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server?.stop();
  await raw?.quit();
  await sealed?.close();
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
  await sealed.set('circle:room:corrupt-1:state', '{"record": {"locked": fal');
  expect(await join('corrupt-1', 'lead', 'facilitator')).toMatchObject({ ok: false, error: { code: 'STORED_STATE_INVALID' } });
  expect(server.circle.registry.get('corrupt-1')).toBeUndefined();
});

it('a room state of the wrong shape (a removal list that is not a list of ids) fails closed too', async () => {
  const state = validState([]);
  (state.record as Record<string, unknown>).removed = 'eve';
  await sealed.set('circle:room:corrupt-2:state', JSON.stringify(state));
  expect(await join('corrupt-2', 'eve')).toMatchObject({ ok: false, error: { code: 'STORED_STATE_INVALID' } });
  expect(server.circle.registry.get('corrupt-2')).toBeUndefined();
});

it('a valid stored state is adopted: its removals hold', async () => {
  await sealed.set('circle:room:stored-ok:state', JSON.stringify(validState(['eve'])));
  expect(await join('stored-ok', 'eve')).toMatchObject({ ok: false, error: { code: 'REMOVED' } });
  expect(await join('stored-ok', 'lead', 'facilitator')).toMatchObject({ ok: true });
});

it('a resume identity that does not parse refuses the resume', async () => {
  // A token this node did not issue is looked up in the store; there, its identity claims an unknown role.
  const forged = 'x'.repeat(43);
  const identity = { participantId: 'lead', roomId: 'resume-trust', displayName: 'L', role: 'superuser' };
  await sealed.set(`circle:resume:${createHash('sha256').update(forged).digest('base64url')}`, JSON.stringify(identity));
  const client = await connect(server.url);
  clients.push(client);
  expect(await client.call('resume', { resumeToken: forged })).toMatchObject({ ok: false, error: { code: 'STORED_STATE_INVALID' } });
  expect(server.circle.registry.get('resume-trust')).toBeUndefined();
});

it('a value written without the secret, or moved from another key, is refused: no room opened from it', async () => {
  // Plain JSON under the right key name: what someone who can write to Redis, but has no secret, could do.
  await raw.set(keys.storeKeyName('circle:room:forged:state'), JSON.stringify(validState([])));
  expect(await join('forged', 'lead', 'facilitator')).toMatchObject({ ok: false, error: { code: 'STORED_STATE_INVALID' } });
  expect(server.circle.registry.get('forged')).toBeUndefined();
  // A genuine sealed state copied under another room's key (its removals would not hold, or hold against others).
  await sealed.set('circle:room:genuine:state', JSON.stringify(validState(['eve'])));
  await raw.set(keys.storeKeyName('circle:room:moved:state'), (await raw.get(keys.storeKeyName('circle:room:genuine:state')))!);
  expect(await join('moved', 'lead', 'facilitator')).toMatchObject({ ok: false, error: { code: 'STORED_STATE_INVALID' } });
  expect(server.circle.registry.get('moved')).toBeUndefined();
  // A lease altered in place (to send clients to another address) does not count either.
  await raw.set(keys.storeKeyName('circle:room:lease-forged:owner'), JSON.stringify({ nodeId: 'intruder', url: 'http://127.0.0.1:1' }));
  expect(await join('lease-forged', 'lead', 'facilitator')).toMatchObject({ ok: false, error: { code: 'STORED_STATE_INVALID' } });
});

it('holds no room id, participant id, display name or role in clear, in any key or value', async () => {
  const room = 'dbt-group-7:2026-11-23';
  const names = { lead: 'Dr Imani Okonkwo-Reyes', client: 'Tobias Lindqvist' };
  for (const [participantId, name] of Object.entries(names)) {
    const { token } = await devToken(server.url, { room, name, participantId: `${participantId}-7`, role: participantId === 'lead' ? 'facilitator' : 'client' });
    const client = await connect(server.url);
    clients.push(client);
    expect(await client.call('join', { token })).toMatchObject({ ok: true });
  }
  await waitUntil(async () => (await sealed.get(`circle:room:${room}:state`)) !== undefined, 5000, 'the room state written');
  await waitUntil(async () => (await sealed.get(`circle:report:${room}:ledger`)) !== undefined, 5000, 'the attendance ledger written');
  const everything: string[] = [];
  for (const key of await raw.keys('*')) {
    everything.push(key);
    const type = await raw.type(key);
    if (type === 'string') everything.push((await raw.get(key))!);
    if (type === 'set') everything.push(...(await raw.sMembers(key)));
  }
  const dump = everything.join('\n');
  expect(everything.length).toBeGreaterThan(4);
  for (const secret of [room, 'dbt-group-7', 'lead-7', 'client-7', names.lead, 'Okonkwo', names.client, 'Lindqvist', 'facilitator', '"role"']) {
    expect(dump, `the store holds ${secret} in clear`).not.toContain(secret);
  }
  // Yet the state is all there for a node holding the secret.
  expect(await sealed.get(`circle:room:${room}:state`)).toContain('lead-7');
  expect(await sealed.get(`circle:report:${room}:ledger`)).toContain('client-7');

  // A request to the node written without the secret (to remove the client) is dropped: the client stays.
  const channel = `circle:node:${server.circle.directory.self.nodeId}:requests`;
  const request = { id: '7f0d3c52-1d5e-4c8e-9a51-3a0c2f1b0003', from: 'intruder', operation: 'removeParticipant', input: { roomId: room, participantId: 'client-7' } };
  expect(await raw.publish(channel, JSON.stringify(request))).toBe(1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(server.circle.registry.get(room)?.participant('client-7')).toBeDefined();
});
