// An encrypted session whose node is killed: its members resume on the other node into the seats they held (the
// group, and a side room for two of them), are asked in again by the new node's delivery service, and agree new keys
// for both circles, with no one seeing anyone leave. What one seals in the group the others open; what is said in the
// side room the one outside it does not, even holding every key of the group; and nothing sealed after the failover
// opens with the keys from before it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KeyMember } from '../../harness/key-member.js';
import { startServerProcess, type ServerProcess } from '../../harness/process.js';
import { RedisServer } from '../../harness/redis-server.js';
import { connect, devToken, resumeFollowingMoves, type TestClient } from '../../harness/signaling.js';
import { openMediaFrame, sealMediaFrame } from '../../src/e2ee/media-frames.js';
import { SFrameError, type Bytes } from '../../src/e2ee/sframe.js';
import type { JoinResult } from '../../src/protocol/events.js';
import type { CircleEpoch } from '../../src/e2ee/key-agreement.js';
import { until } from '../helpers/until.js';

const LEASE_MS = 3000;
const ROOM = 'e2ee-failover';
let redis: RedisServer;
const nodes: ServerProcess[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  for (const client of clients) client.close();
  for (const node of nodes) if (node.child.exitCode === null) node.child.kill('SIGKILL');
  await redis?.stop();
});

async function startNode(): Promise<ServerProcess> {
  const node = await startServerProcess({
    REDIS_URL: redis.url,
    CIRCLE_E2EE_MODE: 'required',
    CIRCLE_ROOMS_REQUIRE_ADMISSION: 'false',
    CIRCLE_CLUSTER_LEASE_MS: String(LEASE_MS),
    CIRCLE_STORE_SNAPSHOT_INTERVAL_MS: '100',
    CIRCLE_SESSIONS_RESUME_GRACE_MS: '30000',
  });
  nodes.push(node);
  await until(async () => (await fetch(`${node.adminUrl}/readyz`)).status === 200, 'the node ready', 10_000);
  return node;
}

interface Seat {
  member: KeyMember;
  client: TestClient;
  resumeToken: string;
}

async function joinAt(url: string, name: string, role: string): Promise<Seat> {
  const { token, participantId } = await devToken(url, { room: ROOM, name, role });
  const client = await connect(url);
  clients.push(client);
  const member = new KeyMember({ participantId, role, displayName: name }, client);
  const joined = await client.ok<JoinResult>('join', { token, e2ee: true });
  return { member, client, resumeToken: joined.resumeToken };
}

/** As the SDK does after losing its node; the member's key agreement goes on over the new connection. */
async function resumeVia(entry: string, seat: Seat): Promise<number> {
  const { client, seat: joined, ms } = await resumeFollowingMoves(entry, seat.resumeToken, {
    timeoutMs: LEASE_MS + 10_000,
    e2ee: true,
    connected: (c) => (clients.push(c), seat.member.reconnected(c)),
  });
  seat.client = client;
  seat.resumeToken = joined.resumeToken;
  return ms;
}

/**
 * Everyone in `seats` at one epoch of `circle` holding the same key, the circle listing exactly them; with `besides`,
 * a group other than that one (the same code would be the group from before).
 */
async function agreeing(seats: Seat[], circle: string, besides?: CircleEpoch, timeoutMs = 10_000) {
  await until(
    () => {
      const states = seats.map((s) => s.member.latest(circle));
      const code = states[0]?.verificationCode;
      return code !== besides?.verificationCode && states.every((s) => s && s.epoch === states[0]!.epoch && s.members.length === seats.length && s.verificationCode === code);
    },
    `${seats.map((s) => s.member.identity.displayName).join(', ')} agreeing in ${circle}`,
    timeoutMs,
  );
  return seats[0]!.member.latest(circle)!;
}

const frame = () => Uint8Array.from([0x78, ...crypto.getRandomValues(new Uint8Array(60))]) as Bytes;

it('a node dies under an encrypted session: everyone resumes on the other node into its circles, new keys agreed, no leave seen', async () => {
  const a = await startNode();
  const b = await startNode();
  const fran = await joinAt(a.url, 'Fran', 'facilitator');
  const ana = await joinAt(a.url, 'Ana', 'client');
  const ben = await joinAt(a.url, 'Ben', 'client');
  const group = await agreeing([fran, ana, ben], 'group');
  const { sideRoomId } = await fran.client.ok<{ sideRoomId: string }>('openSideRoom', { participantIds: [ben.member.identity.participantId] });
  const side = await agreeing([fran, ben], sideRoomId);
  const [anasRingBefore, fransGroupBefore] = [await ana.member.ring(), await fran.member.ring()];
  await new Promise((resolve) => setTimeout(resolve, 500)); // a few snapshot intervals: the side room is in the store

  a.child.kill('SIGKILL');
  await a.exited;
  const killedAt = Date.now();
  const resumedMs = await Promise.all([fran, ana, ben].map((seat) => resumeVia(b.url, seat)));
  // New groups: the old node's delivery state died with it, so both circles are agreed anew.
  const groupAfter = await agreeing([fran, ana, ben], 'group', group);
  const sideAfter = await agreeing([fran, ben], sideRoomId, side);
  console.log(`node killed under encryption: resumed on the other node after ${Math.max(...resumedMs)} ms; both circles agreed anew ${Date.now() - killedAt} ms after the kill`);
  expect(groupAfter.members.map((m) => m.displayName).sort()).toEqual(['Ana', 'Ben', 'Fran']);
  expect(sideAfter.members.map((m) => m.displayName).sort()).toEqual(['Ben', 'Fran']);
  for (const seat of [fran, ana, ben]) {
    expect(seat.client.events('peerLeft')).toEqual([]);
    expect(seat.member.failures).toEqual([]);
  }

  const [fransGroup, anasGroup, bensGroup, fransSide, bensSide] = await Promise.all([
    fran.member.ring(),
    ana.member.ring(),
    ben.member.ring(),
    fran.member.ring(sideRoomId),
    ben.member.ring(sideRoomId),
  ]);
  for (let i = 0; i < 10; i += 1) {
    const said = frame();
    const inGroup = await sealMediaFrame(anasGroup.sealer('audio')!, 'opus', said);
    expect(await openMediaFrame(fransGroup.keyFor, 'opus', inGroup)).toEqual(said);
    expect(await openMediaFrame(bensGroup.keyFor, 'opus', inGroup)).toEqual(said);
    // The keys from before the failover open nothing sealed after it.
    await expect(openMediaFrame(fransGroupBefore.keyFor, 'opus', inGroup)).rejects.toBeInstanceOf(SFrameError);
    const inSideRoom = await sealMediaFrame(bensSide.sealer('audio')!, 'opus', said);
    expect(await openMediaFrame(fransSide.keyFor, 'opus', inSideRoom)).toEqual(said);
    await expect(openMediaFrame(anasGroup.keyFor, 'opus', inSideRoom)).rejects.toBeInstanceOf(SFrameError);
    await expect(openMediaFrame(anasRingBefore.keyFor, 'opus', inSideRoom)).rejects.toBeInstanceOf(SFrameError);
  }
}, 60_000);
