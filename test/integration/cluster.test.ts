import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/api/api-keys.js';
import type { SessionReport } from '../../src/reports/attendance.js';
import { documentedMetrics, exportedMetrics } from '../helpers/metrics-doc.js';
import { circlectl } from '../helpers/circlectl.js';
import { startServerProcess, type ServerProcess } from '../../harness/process.js';
import { RedisServer } from '../../harness/redis-server.js';
import { connect, devToken, resumeFollowingMoves, type TestClient } from '../../harness/signaling.js';
import type { JoinResult, SelfView } from '../../src/protocol/events.js';

const LEASE_MS = 3000;
const API_KEY = 'cluster-ops-key-0123456789abcdef0123456789';
let redis: RedisServer;
const nodes: ServerProcess[] = [];
const clients: TestClient[] = [];

/**
 * The clinic's webhook receiver: every attempt recorded by event id; it refuses everything until `accepting`, so
 * the events of the node killed below are still undelivered when it dies.
 */
const receiver = { accepting: false, refused: new Map<string, string>(), delivered: new Map<string, string>(), url: '' };
let receiverServer: Server;

beforeAll(async () => {
  redis = await RedisServer.start();
  receiverServer = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += String(chunk)));
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      (receiver.accepting ? receiver.delivered : receiver.refused).set(id, body);
      res.writeHead(receiver.accepting ? 204 : 503).end();
    });
  });
  await new Promise<void>((resolve) => receiverServer.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(receiverServer.address() as AddressInfo).port}/circle`;
});
afterAll(async () => {
  for (const client of clients) client.close();
  for (const node of nodes) if (node.child.exitCode === null) node.child.kill('SIGKILL');
  receiverServer.close();
  await redis.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Circle node process sharing the test's Redis; resolves once it is ready (Redis connected). */
async function startNode(env: Record<string, string> = {}): Promise<ServerProcess> {
  const node = await startServerProcess({
    ...env,
    REDIS_URL: redis.url,
    CIRCLE_CLUSTER_LEASE_MS: String(LEASE_MS),
    CIRCLE_STORE_SNAPSHOT_INTERVAL_MS: '100',
    CIRCLE_SESSIONS_RESUME_GRACE_MS: '30000',
    CIRCLE_SHUTDOWN_DRAIN_TIMEOUT_MS: '1500',
    CIRCLE_API_KEYS: ApiKeys.create('ops', API_KEY, ['read', 'moderate', 'mint']),
    CIRCLE_WEBHOOKS_URL: receiver.url,
    CIRCLE_WEBHOOKS_SECRET: 'cluster-webhook-secret-0123456789abcdef',
    // A refused delivery is tried again only after 10 minutes: still undelivered when its node dies.
    CIRCLE_WEBHOOKS_RETRY_BASE_MS: '600000',
    CIRCLE_WEBHOOKS_MAX_ATTEMPTS: '20',
  });
  nodes.push(node);
  const deadline = Date.now() + 10_000;
  while ((await fetch(`${node.adminUrl}/readyz`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('node never became ready');
    await sleep(100);
  }
  return node;
}

/** The server API on `node` (any node: each serves the whole cluster). */
async function api<T = Record<string, unknown>>(node: ServerProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${node.adminUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function socketTo(url: string): Promise<TestClient> {
  const client = await connect(url);
  clients.push(client);
  return client;
}

interface Member {
  participantId: string;
  token: string;
  resumeToken: string;
  client: TestClient;
}

async function joinAt(url: string, room: string, participantId: string, role: string): Promise<Member> {
  const { token } = await devToken(url, { room, name: participantId, participantId, role });
  const client = await socketTo(url);
  const joined = await client.ok<JoinResult>('join', { token });
  return { participantId, token, resumeToken: joined.resumeToken, client };
}

/** Resumes `member`'s seat through `entry` after its node is lost, and carries on with the new connection. */
async function resumeVia(entry: string, member: Member, timeoutMs: number): Promise<{ seat: JoinResult; ms: number }> {
  member.client.close();
  const { client, seat, ms } = await resumeFollowingMoves(entry, member.resumeToken, { timeoutMs, connected: (c) => clients.push(c) });
  member.client = client;
  member.resumeToken = seat.resumeToken;
  return { seat, ms };
}

describe('two nodes and one Redis', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  const seats: Record<string, Member> = {};
  let sideRoomId = '';

  it('a join for a room that runs on node A, arriving at node B, is told to go to A', async () => {
    a = await startNode();
    b = await startNode({ CIRCLE_CLUSTER_ALLOWED_ORIGINS: a.url });
    seats.lead = await joinAt(a.url, 'group-7', 'lead', 'facilitator');

    const { token } = await devToken(b.url, { room: 'group-7', name: 'ana', participantId: 'ana', role: 'client' });
    const atB = await socketTo(b.url);
    expect(await atB.call('join', { token })).toEqual({
      ok: false,
      error: { code: 'MOVED', message: 'this room runs on another node', location: a.url },
    });
    // A node whose configuration does not list A's origin does not send clients there.
    const unlisted = await startNode();
    const atUnlisted = await socketTo(unlisted.url);
    expect(await atUnlisted.call('join', { token })).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    unlisted.child.kill('SIGKILL');
    seats.ana = await joinAt(a.url, 'group-7', 'ana', 'client');
    seats.ben = await joinAt(a.url, 'group-7', 'ben', 'client');
    seats.cy = await joinAt(a.url, 'group-7', 'cy', 'cofacilitator');
    seats.dee = await joinAt(a.url, 'group-7', 'dee', 'client'); // stays in the lobby
    seats.eve = await joinAt(a.url, 'group-7', 'eve', 'client');
    for (const id of ['ana', 'ben', 'eve']) await seats.lead!.client.ok('admit', { participantId: id });
    await seats.ben!.client.ok('raiseHand', {});
    await seats.ana!.client.ok('raiseHand', {});
    await seats.lead!.client.ok('mute', { participantId: 'ana' });
    await seats.lead!.client.ok('remove', { participantId: 'eve' });
    // Decisions about people who then leave live only in the record: they must survive the failover too.
    seats.hal = await joinAt(a.url, 'group-7', 'hal', 'cofacilitator');
    seats.ivy = await joinAt(a.url, 'group-7', 'ivy', 'client');
    await seats.lead!.client.ok('admit', { participantId: 'ivy' });
    await seats.lead!.client.ok('demote', { participantId: 'hal' });
    await seats.lead!.client.ok('mute', { participantId: 'ivy' });
    for (const id of ['hal', 'ivy']) await seats[id]!.client.ok('leave', {});
    // The co-facilitator steps out with a client: the side room must come back on the other node too.
    seats.sol = await joinAt(a.url, 'group-7', 'sol', 'client');
    await seats.lead!.client.ok('admit', { participantId: 'sol' });
    ({ sideRoomId } = await seats.cy!.client.ok<{ sideRoomId: string }>('openSideRoom', { participantIds: ['sol'] }));
  });

  let reportOnA: SessionReport;
  it("the server API on node B answers for A's room: list, describe, report, mute, remove, set up", async () => {
    type Listing = { rooms: { roomId: string; participants: { participantId: string }[] }[]; unreachableNodes: number };
    // The node killed above stays listed until its roster key lapses (a lease): until then it is counted as unreachable.
    const deadline = Date.now() + LEASE_MS + 5000;
    let listed = await api<Listing>(b, 'GET', '/rooms');
    while (listed.body.unreachableNodes > 0 && Date.now() < deadline) listed = await api<Listing>(b, 'GET', '/rooms');
    expect(listed.status).toBe(200);
    expect(listed.body.unreachableNodes).toBe(0);
    const group = listed.body.rooms.find((room) => room.roomId === 'group-7')!;
    expect(group.participants.map((p) => p.participantId).sort()).toEqual(['ana', 'ben', 'cy', 'dee', 'lead', 'sol']);
    expect((await api(b, 'GET', '/rooms/group-7?names=true')).body).toMatchObject({ roomId: 'group-7', started: true, participants: expect.arrayContaining([expect.objectContaining({ participantId: 'ana', displayName: 'ana', muted: true })]) });
    expect((await api(b, 'GET', '/sessions/group-7')).body).toMatchObject({ live: true, started: true });
    // A mute sent to B is a hard mute on A, where the room runs: ben is told at once.
    const muted = seats.ben!.client.next<SelfView>('selfUpdated');
    expect(await api(b, 'POST', '/rooms/group-7/participants/ben/mute')).toEqual({ status: 200, body: {} });
    expect((await muted).locks.audio).toBe(true);
    expect((await api(b, 'GET', '/rooms/group-7')).body).toMatchObject({ participants: expect.arrayContaining([expect.objectContaining({ participantId: 'ben', muted: true })]) });
    // Refusals come back as the owner gave them.
    expect(await api(b, 'POST', '/rooms/group-7/participants/nobody/remove')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    const zed = await joinAt(a.url, 'group-7', 'zed', 'client');
    const removed = zed.client.next<{ reason: string }>('sessionEnded');
    expect(await api(b, 'POST', '/rooms/group-7/participants/zed/remove')).toEqual({ status: 200, body: {} });
    expect(await removed).toEqual({ reason: 'removed' });
    // A room open on A before its session started (a client waiting) is set up where it runs, not in a copy.
    await joinAt(a.url, 'group-8', 'kit', 'client');
    expect((await api(b, 'PUT', '/sessions/group-8', { maxParticipants: 5 })).body).toMatchObject({ live: true, started: false, settings: { maxParticipants: 5 } });
    expect((await api(a, 'GET', '/sessions/group-8')).body).toMatchObject({ settings: { maxParticipants: 5 } });
    expect((await api(b, 'GET', '/rooms/nowhere')).status).toBe(404);
    // A token minted by B is good on A: every node shares the signing keys.
    const minted = await api<{ token: string }>(b, 'POST', '/rooms/group-8/tokens', { name: 'Nia', participantId: 'nia' });
    expect(await (await socketTo(a.url)).call('join', { token: minted.body.token })).toMatchObject({ ok: true });
    // The CLI calls the same endpoints: pointed at B, it shows and acts on A's room.
    const shown = await circlectl(['room', 'group-7'], `${b.adminUrl}/api/v1`, API_KEY);
    expect(JSON.parse(shown.out)).toMatchObject({ roomId: 'group-7', participants: expect.arrayContaining([expect.objectContaining({ participantId: 'ben', muted: true })]) });
    expect((await circlectl(['mute', 'group-7', 'sol'], `${b.adminUrl}/api/v1`, API_KEY)).code).toBe(0);
    expect((await api(b, 'GET', '/rooms/group-7')).body).toMatchObject({ participants: expect.arrayContaining([expect.objectContaining({ participantId: 'sol', muted: true })]) });
    // The attendance as it stands, from A's ledger.
    const report = await api<SessionReport>(b, 'GET', '/rooms/group-7/report');
    expect(report.status).toBe(200);
    reportOnA = report.body;
    expect(reportOnA.participants.find((p) => p.participantId === 'zed')).toMatchObject({ removed: true });
    expect(reportOnA.endedAt).toBeNull();
  });

  it('SIGKILL of node A mid-session: via resume the clients are back on node B within the lease plus 10 s, same roles, lobby and hands', async () => {
    await sleep(500); // a few snapshot intervals: what A knew is in Redis
    // Everything A sent so far was refused: its events wait in its outbox (in Redis too).
    const undelivered = new Map(receiver.refused);
    expect(undelivered.size).toBeGreaterThan(5);
    a.child.kill('SIGKILL');
    await a.exited;
    const killedAt = Date.now();
    receiver.accepting = true;
    // A is still listed as alive for up to a lease: B lists what it can and says one node did not answer.
    const listing = api<{ unreachableNodes: number }>(b, 'GET', '/rooms');
    const back = await Promise.all(['lead', 'ana', 'ben', 'cy', 'dee', 'sol'].map((id) => resumeVia(b.url, seats[id]!, LEASE_MS + 10_000)));
    expect((await listing).body.unreachableNodes).toBe(1);
    const [lead, ana, ben, cy, dee, sol] = back.map((r) => r.seat);
    expect(Date.now() - killedAt).toBeLessThan(LEASE_MS + 10_000);

    expect(lead!.self).toMatchObject({ role: 'facilitator', admission: 'admitted' });
    expect(cy!.self).toMatchObject({ role: 'cofacilitator', admission: 'admitted' });
    expect(ana!.self).toMatchObject({ role: 'client', admission: 'admitted', locks: { audio: true, video: false } });
    expect(ben!.self).toMatchObject({ role: 'client', admission: 'admitted' });
    expect(dee!.self.admission).toBe('waiting');
    expect(dee!.admitted).toBeUndefined();
    expect(ben!.admitted!.floor.queue).toEqual(['ben', 'ana']);
    // Back in the side room they were in: each other's only, the group away.
    expect([cy!.self.sideRoomId, sol!.self.sideRoomId, lead!.self.sideRoomId]).toEqual([sideRoomId, sideRoomId, null]);
    // (Whoever had resumed before sol is in its list: all the group away, the co-facilitator with them.)
    for (const peer of sol!.admitted!.peers) expect([peer.participantId, peer.away]).toEqual([peer.participantId, peer.participantId !== 'cy']);
    // The removal survived too.
    const { token } = await devToken(b.url, { room: 'group-7', name: 'eve', participantId: 'eve', role: 'client' });
    expect(await (await socketTo(b.url)).call('join', { token })).toMatchObject({ ok: false, error: { code: 'REMOVED' } });
    // Standing decisions came along: the demoted co-facilitator returns with the old token as a client in the
    // lobby, the muted client returns shown muted and stays muted once admitted.
    for (const id of ['hal', 'ivy']) {
      const client = await socketTo(b.url);
      const joined = await client.ok<JoinResult>('join', { token: seats[id]!.token });
      expect(joined.self).toMatchObject({ role: 'client', admission: 'waiting', locks: { audio: id === 'ivy', video: false } });
      await client.ok('leave', {});
    }
    // The audit log came along: A's admissions, mute and removal are in B's copy.
    const audit = await seats.lead!.client.ok<{ entries: { action: string }[] }>('getAuditLog', {});
    expect(audit.entries.map((e) => e.action)).toEqual(expect.arrayContaining(['admit', 'mute', 'remove']));
    console.log(`node A killed: clients back on node B after ${Math.max(...back.map((r) => r.ms))} ms (lease ${LEASE_MS} ms)`);

    // The attendance carried on from A's ledger in Redis: the same entries, times kept, the failover a reconnect.
    const report = (await api<SessionReport>(b, 'GET', '/rooms/group-7/report')).body;
    for (const before of reportOnA.participants) {
      const after = report.participants.find((p) => p.participantId === before.participantId)!;
      expect(after.joinedAt).toBe(before.joinedAt);
      // Everyone inside counts as dropped from A's last write (at most a third of the lease before its death, as
      // docs/api.md says) until they are back: A's live report, read after that write, may be ahead by that much.
      expect(after.minutesInRoom).toBeGreaterThanOrEqual(before.minutesInRoom - LEASE_MS / 3 / 60_000 - 0.005);
      expect(after.removed).toBe(before.removed);
    }
    expect(report.participants.find((p) => p.participantId === 'ana')!.reconnects).toBeGreaterThanOrEqual(1);
    expect(report.startedAt).toBe(reportOnA.startedAt);

    // A's undelivered events are taken over by B (A's roster key lapsed) and delivered, same ids, same bodies.
    const deadline = Date.now() + LEASE_MS + 10_000;
    while ([...undelivered.keys()].some((id) => !receiver.delivered.has(id)) && Date.now() < deadline) await sleep(200);
    for (const [id, body] of undelivered) expect(receiver.delivered.get(id)).toBe(body);
  });

  it("B's /metrics, scraped mid-session, has every metric docs/metrics.md lists, the store up", async () => {
    const text = await (await fetch(`${b.adminUrl}/metrics`)).text();
    expect(exportedMetrics(text)).toEqual(documentedMetrics());
    expect(text).toMatch(/^circle_store_up 1$/m);
    expect(text).toMatch(/^circle_participants\{role="client"\} 4$/m); // ana, ben, sol, and dee waiting
  });

  it('SIGTERM drain: not ready within 1 s, no new rooms, participants moved to another node at the deadline, then exit', async () => {
    const c = await startNode();
    const told = seats.lead!.client.next<{ reason: string }>('reconnectRequired', 5000);
    b.child.kill('SIGTERM');
    const signalled = Date.now();
    while ((await fetch(`${b.adminUrl}/readyz`)).status === 200) await sleep(50);
    expect(Date.now() - signalled).toBeLessThan(1000);
    expect(await fetch(`${b.adminUrl}/metrics`).then((r) => r.text())).toMatch(/^circle_draining 1$/m);

    const { token } = await devToken(b.url, { room: 'new-room', name: 'fay', role: 'facilitator' });
    expect(await (await socketTo(b.url)).call('join', { token })).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    // The running room goes on meanwhile.
    expect(await seats.ben!.client.call('lowerHand', {})).toEqual({ ok: true, data: {} });

    expect(await told).toEqual({ reason: 'server-shutdown' });
    expect(await b.exited).toBe(0);
    const lead = await resumeVia(c.url, seats.lead!, 10_000);
    const ana = await resumeVia(c.url, seats.ana!, 10_000);
    expect(lead.seat.self).toMatchObject({ role: 'facilitator', admission: 'admitted' });
    expect(ana.seat.admitted!.floor.queue).toEqual(['ana']);
    nodeC = c;
  });

  let nodeC: ServerProcess;
  it('an administrator ends the session from a node that does not run it: the owner ends it, everyone is told', async () => {
    const d = await startNode();
    const told = [seats.lead!, seats.ana!].map((m) => m.client.next<{ reason: string }>('sessionEnded', 5000));
    const response = await fetch(`${d.adminUrl}/admin/rooms/group-7/end`, {
      method: 'POST',
      headers: { authorization: 'Bearer circle-development-admin-secret-change-me' },
    });
    expect(await response.json()).toEqual({ ended: 'owner' });
    for (const event of told) expect(await event).toEqual({ reason: 'ended' });
    const audit = await fetch(`${d.adminUrl}/admin/rooms/group-7/audit`, { headers: { authorization: 'Bearer circle-development-admin-secret-change-me' } });
    await sleep(300); // the owner's final snapshot
    const { token } = await devToken(nodeC.url, { room: 'group-7', name: 'ana', participantId: 'ana', role: 'client' });
    expect(await (await socketTo(d.url)).call('join', { token })).toMatchObject({ ok: false, error: { code: 'SESSION_ENDED' } });
    expect(audit.status).toBe(200);
    // The final report, from the store, on a node that never ran the session: the same people since the start.
    const report = (await api<SessionReport>(d, 'GET', '/rooms/group-7/report')).body;
    expect(report.endedAt).not.toBeNull();
    expect(report.participants.map((p) => p.participantId).sort()).toEqual(reportOnA.participants.map((p) => p.participantId).sort());
  });
});
