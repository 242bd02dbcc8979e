// The server API for the clinic's systems, against a real server: API keys (several; one not configured is refused),
// the OpenAPI document generated from the server's own schemas, tokens that real sockets join with, live rooms
// (ids; names only when asked), a mute, a removal and an end that reach the participants, and bad input refused.
import { expect, it } from 'vitest';
import { ApiKeys } from '../../src/api/api-keys.js';
import { ROLES } from '../../src/protocol/roles.js';
import type { SelfView } from '../../src/protocol/events.js';
import { startCircle } from '../../harness/circle.js';
import { connect, devToken, joinRoom, produceAudio } from '../../harness/signaling.js';
import { RedisServer } from '../../harness/redis-server.js';
import { circleSuite } from '../helpers/fixtures.js';
import { circlectl } from '../helpers/circlectl.js';

const EHR_KEY = 'ehr-key-0123456789abcdef0123456789abcdef';
const OPS_KEY = 'ops-key-fedcba9876543210fedcba9876543210';
const EVERYTHING = ['read', 'moderate', 'mint', 'mint-staff'] as const;
const suite = circleSuite({ api: { keys: [ApiKeys.create('ehr', EHR_KEY, EVERYTHING), ApiKeys.create('ops', OPS_KEY)] } });

async function call(method: string, path: string, { key = EHR_KEY, body }: { key?: string | null; body?: unknown } = {}) {
  const response = await fetch(`${suite.server.adminUrl}/api/v1${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

it('refuses a request without a configured key; accepts each configured key', async () => {
  expect(await call('GET', '/rooms', { key: null })).toEqual({ status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'an API key is required' } } });
  expect((await call('GET', '/rooms', { key: 'revoked-key-0123456789abcdef0123456789' })).status).toBe(401);
  expect((await call('GET', '/rooms', { key: EHR_KEY })).status).toBe(200);
  expect((await call('GET', '/rooms', { key: OPS_KEY })).status).toBe(200);
});

it('keys act only within their scopes and rooms: read-only, one clinic’s rooms, no staff tokens unless granted; a key past its rate gets 429', async () => {
  const READER = 'reader-key-0123456789abcdef0123456789abcd';
  const CLINIC_A = 'clinic-a-key-0123456789abcdef0123456789ab';
  const BURST = 'burst-key-0123456789abcdef0123456789abcdef';
  const scoped = await startCircle({
    api: {
      keys: [ApiKeys.create('reader', READER, ['read']), ApiKeys.create('clinic-a', CLINIC_A, ['read', 'moderate', 'mint'], 'clinic-a-*'), ApiKeys.create('burst', BURST, ['read'])],
      requestsPerMinutePerKey: 20,
    },
  });
  try {
    const on = async (key: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${scoped.adminUrl}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string }; rooms?: { roomId: string }[] } };
    };
    const client = { name: 'Cy', role: 'client' };
    expect((await on(READER, 'GET', '/rooms')).status).toBe(200);
    expect(await on(READER, 'POST', '/rooms/clinic-a-1/tokens', client)).toEqual({ status: 403, body: { error: { code: 'FORBIDDEN', message: 'this API key lacks the mint scope' } } });
    expect((await on(READER, 'POST', '/rooms/clinic-a-1/end')).status).toBe(403);
    // One clinic's key: its rooms only, and tokens for clients, never for staff.
    expect((await on(CLINIC_A, 'POST', '/rooms/clinic-a-1/tokens', client)).status).toBe(200);
    expect(await on(CLINIC_A, 'POST', '/rooms/clinic-b-1/tokens', client)).toEqual({ status: 403, body: { error: { code: 'FORBIDDEN', message: 'this API key does not cover this room' } } });
    expect((await on(CLINIC_A, 'POST', '/rooms/clinic-a-1/tokens', { name: 'Dr. X', role: 'facilitator' })).body.error?.message).toBe('this API key lacks the mint-staff scope');
    expect((await on(CLINIC_A, 'POST', '/rooms/clinic-a-1/tokens', { name: 'Dr. Y', role: 'cofacilitator' })).status).toBe(403);
    // Listing leaves out rooms the key does not cover.
    for (const room of ['clinic-a-2', 'clinic-b-2']) await joinRoom(scoped.url, room, 'Lead', 'facilitator').then(({ client: socket }) => suite.track(socket));
    expect((await on(CLINIC_A, 'GET', '/rooms')).body.rooms?.map((r) => r.roomId)).toEqual(['clinic-a-2']);
    expect((await on(READER, 'GET', '/rooms')).body.rooms?.map((r) => r.roomId).sort()).toEqual(['clinic-a-2', 'clinic-b-2']);
    expect((await on(CLINIC_A, 'POST', '/rooms/clinic-b-2/end')).status).toBe(403);
    expect(scoped.circle.registry.get('clinic-b-2')).toBeDefined();
    // Twenty requests a minute per key: the twenty-first is refused, and another key is unaffected.
    const statuses = [];
    for (let i = 0; i < 21; i += 1) statuses.push((await on(BURST, 'GET', '/rooms')).status);
    expect(statuses.slice(0, 20).every((status) => status === 200)).toBe(true);
    expect(statuses[20]).toBe(429);
    expect((await on(READER, 'GET', '/rooms')).status).toBe(200);
  } finally {
    await scoped.stop();
  }
});

it('serves an OpenAPI document derived from the schemas the server enforces', async () => {
  const document = (await (await fetch(`${suite.server.adminUrl}/api/v1/openapi.json`)).json()) as {
    openapi: string;
    paths: Record<string, Record<string, { operationId: string }>>;
    components: { schemas: Record<string, { properties: Record<string, { enum?: string[]; maxLength?: number }>; required?: string[] }> };
  };
  expect(document.openapi).toBe('3.0.3');
  const operations = Object.values(document.paths).flatMap((methods) => Object.values(methods).map((o) => o.operationId)).sort();
  expect(operations).toEqual(['createDialIn', 'describeRoom', 'describeSession', 'endRoom', 'listRooms', 'mintToken', 'muteParticipant', 'removeParticipant', 'sessionReport', 'setUpSession']);
  const mint = document.components.schemas.MintTokenRequest!;
  expect(mint.properties.role!.enum).toEqual([...ROLES]);
  expect(mint.required).toEqual(['name']);
  expect(Object.keys(mint.properties).sort()).toEqual(['name', 'participantId', 'role', 'ttlSeconds']);
  // Each operation names the scope it needs.
  const scopes = Object.fromEntries(Object.values(document.paths).flatMap((methods) => Object.values(methods).map((o) => [o.operationId, (o as { 'x-circle-scope'?: string })['x-circle-scope']])));
  expect(scopes).toMatchObject({ mintToken: 'mint', createDialIn: 'mint', listRooms: 'read', endRoom: 'moderate', setUpSession: 'moderate' });
});

it('mints tokens real sockets join with; lists the live room by ids (names only when asked); mutes, removes and ends', async () => {
  const lead = await call('POST', '/rooms/api-room/tokens', { body: { name: 'Dr. Fola Ade', role: 'facilitator' } });
  const client = await call('POST', '/rooms/api-room/tokens', { body: { name: 'Kim Lee', participantId: 'kim-7', ttlSeconds: 600 } });
  expect(client).toMatchObject({ status: 200, body: { participantId: 'kim-7', token: expect.any(String), expiresAt: expect.any(String) } });
  const expiresIn = Date.parse(client.body.expiresAt as string) - Date.now();
  expect(expiresIn).toBeGreaterThan(590_000);
  expect(expiresIn).toBeLessThanOrEqual(600_000);

  const fola = suite.track(await connect(suite.server.url));
  await fola.ok('join', { token: lead.body.token });
  const kim = suite.track(await connect(suite.server.url));
  await kim.ok('join', { token: client.body.token });
  await fola.ok('admit', { participantId: 'kim-7' });
  await produceAudio(kim);

  const listed = await call('GET', '/rooms');
  const room = (listed.body.rooms as { roomId: string; participants: Record<string, unknown>[] }[]).find((r) => r.roomId === 'api-room')!;
  expect(room.participants).toContainEqual({ participantId: 'kim-7', role: 'client', admission: 'admitted', connection: 'connected', inSideRoom: false, muted: false });
  expect(JSON.stringify(listed.body)).not.toContain('Kim Lee');
  const named = await call('GET', '/rooms/api-room?names=true');
  expect(named.body.participants).toContainEqual(expect.objectContaining({ participantId: 'kim-7', displayName: 'Kim Lee' }));

  // A mute from the clinic's system is a facilitator's hard mute: the SFU pauses the microphone; audited as admin.
  const muted = kim.next<SelfView>('selfUpdated');
  expect(await call('POST', '/rooms/api-room/participants/kim-7/mute')).toEqual({ status: 200, body: {} });
  expect((await muted).locks.audio).toBe(true);
  const producer = [...suite.server.circle.registry.get('api-room')!.participant('kim-7')!.media.producers.values()][0]!;
  expect(producer.paused).toBe(true);
  expect(await kim.call('resumeProducer', { producerId: producer.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  const audit = await fola.ok<{ entries: { actor: string; action: string; target?: string }[] }>('getAuditLog', {});
  expect(audit.entries).toContainEqual(expect.objectContaining({ actor: 'admin', action: 'mute', target: 'kim-7' }));

  const removed = kim.next<{ reason: string }>('sessionEnded');
  expect(await call('POST', '/rooms/api-room/participants/kim-7/remove')).toEqual({ status: 200, body: {} });
  expect(await removed).toEqual({ reason: 'removed' });
  const again = suite.track(await connect(suite.server.url));
  expect(await again.call('join', { token: client.body.token })).toMatchObject({ ok: false, error: { code: 'REMOVED' } });

  const ended = fola.next<{ reason: string }>('sessionEnded');
  expect(await call('POST', '/rooms/api-room/end')).toEqual({ status: 200, body: { ended: 'here' } });
  expect(await ended).toEqual({ reason: 'ended' });
});

it('refuses bad input with a clear error and changes nothing', async () => {
  const refused = async (method: string, path: string, body?: unknown) => {
    const answer = await call(method, path, { body });
    return [answer.status, (answer.body.error as { code: string; message: string }).code, (answer.body.error as { message: string }).message];
  };
  expect(await refused('POST', '/rooms/api-room-2/tokens', { name: 'A', ttlSeconds: 10 * 86_400 })).toEqual([400, 'BAD_REQUEST', 'body.ttlSeconds: at most 86400']);
  expect((await refused('POST', '/rooms/api-room-2/tokens', { name: 'A', admin: true }))[0]).toBe(400);
  expect((await refused('POST', '/rooms/api-room-2/tokens', { name: 'A', role: 'superuser' }))[1]).toBe('BAD_REQUEST');
  expect((await refused('POST', '/rooms/bad%20room/tokens', { name: 'A' }))[2]).toMatch(/^path\.roomId:/);
  expect(await refused('POST', '/rooms/nowhere/participants/kim-7/mute')).toEqual([404, 'NOT_FOUND', 'no live room by that id']);
  expect((await refused('GET', '/rooms?names=yes'))[0]).toBe(400);
  expect(suite.server.circle.registry.get('api-room-2')).toBeUndefined();
});

it('the operators’ CLI: makes an API key the configuration accepts, mints a token, lists rooms, and fails loudly on a bad key', async () => {
  // As an operator runs it in the project (never fetched from the registry).
  const cli = (args: string[], key = EHR_KEY) => circlectl(args, `${suite.server.adminUrl}/api/v1`, key);
  const made = await cli(['api-key', 'scheduler']);
  const { key, configEntry } = JSON.parse(made.out) as { key: string; configEntry: string };
  expect(configEntry).toMatch(/^scheduler:[0-9a-f]{64}:read\+moderate\+mint$/);
  expect(new ApiKeys([configEntry]).identify(key)).toMatchObject({ name: 'scheduler', rooms: '*' });
  const scoped = JSON.parse((await cli(['api-key', 'reader', '--scopes', 'read', '--rooms', 'clinic-a-*'])).out) as { configEntry: string };
  expect(scoped.configEntry).toMatch(/^reader:[0-9a-f]{64}:read:clinic-a-\*$/);
  expect((await cli(['api-key', 'x', '--scopes', 'everything'])).code).toBe(2);
  expect(configEntry).not.toContain(key);

  const minted = await cli(['token', 'cli-room', '--name', 'Ann', '--role', 'observer', '--participant-id', 'ann-1']);
  expect(minted.code).toBe(0);
  expect(JSON.parse(minted.out)).toMatchObject({ participantId: 'ann-1', token: expect.any(String) });
  const rooms = await cli(['rooms']);
  expect(JSON.parse(rooms.out)).toHaveProperty('rooms');
  const refused = await cli(['rooms'], 'not-a-key-0123456789abcdef0123456789ab');
  expect(refused.code).toBe(1);
  expect(JSON.parse(refused.out)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
  expect((await cli(['no-such-command'])).code).toBe(2);
});

it('sets a session up before it starts: no waiting room, one speaker at a time, timed turns, a size; refused once started', async () => {
  const setUp = await call('PUT', '/sessions/api-setup', { body: { waitingRoom: false, floorMode: 'queue', turnLimitSeconds: 120, maxParticipants: 3 } });
  expect(setUp).toEqual({
    status: 200,
    body: { roomId: 'api-setup', started: false, ended: false, locked: false, live: false, settings: { waitingRoom: false, floorMode: 'queue', turnLimitSeconds: 120, maxParticipants: 3, e2ee: 'off', e2eeDialIn: 'off' } },
  });
  expect((await call('GET', '/sessions/api-setup')).body).toEqual(setUp.body);
  expect((await call('PUT', '/sessions/api-setup', { body: { maxParticipants: 1000 } })).status).toBe(400);
  expect((await call('GET', '/sessions/never-set-up')).status).toBe(404);

  // The session runs as set up: the facilitator starts it, a client walks straight in (no waiting room), the floor
  // is one speaker at a time with 2-minute turns, and a third person fills it.
  const seat = async (body: object) => {
    const minted = await call('POST', '/rooms/api-setup/tokens', { body });
    const client = suite.track(await connect(suite.server.url));
    return { client, answer: await client.call<{ self: { admission: string }; admitted?: { floor: { mode: string; turnLimitSeconds: number } } }>('join', { token: minted.body.token }) };
  };
  const lead = await seat({ name: 'Lead', role: 'facilitator' });
  expect(lead.answer).toMatchObject({ ok: true, data: { admitted: { floor: { mode: 'queue', turnLimitSeconds: 120 } } } });
  const client = await seat({ name: 'Client', participantId: 'setup-client' });
  expect(client.answer).toMatchObject({ ok: true, data: { self: { admission: 'admitted' } } });
  await seat({ name: 'Observer', role: 'observer' });
  expect((await seat({ name: 'One too many' })).answer).toMatchObject({ ok: false, error: { code: 'ROOM_FULL' } });

  expect(await call('PUT', '/sessions/api-setup', { body: { waitingRoom: true } })).toMatchObject({
    status: 400,
    body: { error: { code: 'BAD_REQUEST', message: 'the session has started; its facilitators change it live' } },
  });
  expect((await call('GET', '/sessions/api-setup')).body).toMatchObject({ started: true, live: true });
});

it('sets one session end-to-end encrypted on a node that is not: a browser that cannot encrypt is refused, one that can agrees keys; another session stays plain; chosen before anyone joins', async () => {
  expect(await call('PUT', '/sessions/api-e2ee', { body: { e2ee: 'required' } })).toMatchObject({ status: 200, body: { settings: { e2ee: 'required' } } });
  expect((await call('PUT', '/sessions/api-e2ee', { body: { e2ee: 'sometimes' } })).status).toBe(400);
  const seat = async (room: string, body: object) => {
    const minted = await call('POST', `/rooms/${room}/tokens`, { body });
    return suite.track(await connect(suite.server.url)).call<{ e2ee: string }>('join', { token: minted.body.token, e2ee: true });
  };
  const client = suite.track(await connect(suite.server.url));
  const plainToken = (await call('POST', '/rooms/api-e2ee/tokens', { body: { name: 'Old browser' } })).body.token;
  expect(await client.call('join', { token: plainToken, e2ee: false })).toMatchObject({ ok: false, error: { code: 'E2EE_UNSUPPORTED' } });
  const lead = suite.track(await connect(suite.server.url));
  const leadToken = (await call('POST', '/rooms/api-e2ee/tokens', { body: { name: 'Lead', role: 'facilitator' } })).body.token;
  const offered = new Promise((resolve) => lead.socket.once('e2ee', resolve));
  expect(await lead.call('join', { token: leadToken, e2ee: true })).toMatchObject({ ok: true, data: { e2ee: 'required' } });
  // Admitted, the facilitator is asked for a key package: key agreement runs in this session alone.
  expect(await offered).toEqual({ kind: 'offer', circle: 'group' });
  expect(await seat('api-plain', { name: 'Lead', role: 'facilitator' })).toMatchObject({ ok: true, data: { e2ee: 'off' } });
  // Once someone is in, the choice stands: keys are agreed from the first member on.
  expect(await call('PUT', '/sessions/api-e2ee', { body: { e2ee: 'off' } })).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
  expect((await call('GET', '/sessions/api-e2ee')).body).toMatchObject({ live: true, settings: { e2ee: 'required' } });
  // Encrypted, it takes no calls unless the clinic allows them: then its pages are offered a PIN.
  const co = await seat('api-e2ee', { name: 'Co', role: 'cofacilitator' });
  expect(co.ok && co.data).not.toHaveProperty('dialIn');
  expect((await call('PUT', '/sessions/api-e2ee-calls', { body: { e2ee: 'required', e2eeDialIn: 'sometimes' } })).status).toBe(400);
  const calls = await call('PUT', '/sessions/api-e2ee-calls', { body: { e2ee: 'required', e2eeDialIn: 'allowed' } });
  expect(calls).toMatchObject({ status: 200, body: { settings: { e2ee: 'required', e2eeDialIn: 'allowed' } } });
  expect(await seat('api-e2ee-calls', { name: 'Lead', role: 'facilitator' })).toMatchObject({ ok: true, data: { e2ee: 'required', dialIn: { pin: expect.stringMatching(/^\d+$/) } } });
  expect(await call('PUT', '/sessions/api-e2ee-calls', { body: { e2eeDialIn: 'off' } })).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
});

it('a session set up through one node runs as set up on another (the setup is in the shared store)', async () => {
  const redis = await RedisServer.start();
  const shared = { store: { redisUrl: redis.url, snapshotIntervalMs: 100 }, api: { keys: [ApiKeys.create('ehr', EHR_KEY, EVERYTHING)] } };
  const [a, b] = [await startCircle(shared), await startCircle(shared)];
  try {
    const put = await fetch(`${a.adminUrl}/api/v1/sessions/shared-setup`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${EHR_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ waitingRoom: false, e2ee: 'preferred' }),
    });
    expect(put.status).toBe(200);
    const minted = await fetch(`${b.adminUrl}/api/v1/rooms/shared-setup/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${EHR_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Lead', role: 'facilitator' }),
    });
    const lead = suite.track(await connect(b.url));
    await lead.ok('join', { token: ((await minted.json()) as { token: string }).token });
    const { token } = await devToken(b.url, { room: 'shared-setup', name: 'Client', role: 'client' });
    const client = suite.track(await connect(b.url));
    expect(await client.ok('join', { token })).toMatchObject({ self: { admission: 'admitted' }, e2ee: 'preferred' });
  } finally {
    await a.stop();
    await b.stop();
    await redis.stop();
  }
});

it('a setup and a first join at once, on two nodes: the session runs as the setup’s answer says, and describes itself so', async () => {
  const redis = await RedisServer.start();
  const shared = { store: { redisUrl: redis.url, snapshotIntervalMs: 100 }, api: { keys: [ApiKeys.create('ehr', EHR_KEY, EVERYTHING)] } };
  const [a, b] = [await startCircle(shared), await startCircle(shared)];
  const put = (node: typeof a, roomId: string) =>
    fetch(`${node.adminUrl}/api/v1/sessions/${roomId}`, { method: 'PUT', headers: { authorization: `Bearer ${EHR_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ e2ee: 'required' }) });
  /** A join already on its way (token and connection ready), sent `afterMs` from now. */
  const joinAnywhere = async (roomId: string) => {
    const { token } = await devToken(b.url, { room: roomId, name: 'Lead', role: 'facilitator' });
    const first = suite.track(await connect(b.url));
    return async (afterMs: number) => {
      await new Promise((resolve) => setTimeout(resolve, afterMs));
      let answer = await first.call<{ e2ee: string }>('join', { token, e2ee: true });
      // The other node held the room while its setup changed: the join goes where the room is.
      for (const node of [a, b]) {
        if (answer.ok || !['MOVED', 'UNAVAILABLE'].includes(answer.error.code)) break;
        answer = await suite.track(await connect(node.url)).call<{ e2ee: string }>('join', { token, e2ee: true });
      }
      return answer;
    };
  };
  try {
    const rooms = Array.from({ length: 24 }, (_, i) => `race-${i}`);
    const joins = await Promise.all(rooms.map(joinAnywhere));
    const started = performance.now();
    await put(a, 'race-timing');
    const setupMs = performance.now() - started;
    // Each join is sent between the setup's start and its answer: every order of the two is tried.
    const outcomes = [];
    for (const [i, roomId] of rooms.entries()) outcomes.push(await Promise.all([put(a, roomId), joins[i]!((setupMs * i) / rooms.length)]));
    let encrypted = 0;
    for (const [index, [setup, joined]] of outcomes.entries()) {
      expect(joined.ok).toBe(true);
      const runsAs = joined.ok ? joined.data.e2ee : undefined;
      // Either the setup came first and the room runs encrypted, or the room was open first and the setup was refused.
      expect({ status: setup.status, runsAs }).toEqual(setup.status === 200 ? { status: 200, runsAs: 'required' } : { status: 400, runsAs: 'off' });
      const described = (await (await fetch(`${b.adminUrl}/api/v1/sessions/${rooms[index]}`, { headers: { authorization: `Bearer ${EHR_KEY}` } })).json()) as { settings: { e2ee: string } };
      expect(described.settings.e2ee).toBe(runsAs);
      if (runsAs === 'required') encrypted += 1;
    }
    console.log(`setup and first join at once: ${encrypted} of ${rooms.length} rooms set up first (a setup takes ${setupMs.toFixed(1)} ms)`);
  } finally {
    await a.stop();
    await b.stop();
    await redis.stop();
  }
});
