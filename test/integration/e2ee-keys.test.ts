// Key agreement for end-to-end encryption, over real sockets and a real server, with MLS (ts-mls) in each member as
// a page runs it: the waiting room is outside the group, admission adds, removal removes, a reloaded page comes back
// in as itself, the server orders commits and refuses what it did not ask for, and a removed member cannot open a
// frame sealed after the removal. The server relays MLS messages it cannot read and holds no key.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCircle, type RunningCircle } from '../../harness/circle.js';
import { connect, devToken, type TestClient } from '../../harness/signaling.js';
import type { Ack } from '../../src/protocol/errors.js';
import { KeyAgreement, type CircleEpoch } from '../../src/e2ee/key-agreement.js';
import { GroupKeys } from '../../src/e2ee/group-keys.js';
import { FrameKeyRing } from '../../src/e2ee/frame-keys.js';
import { openMediaFrame, sealMediaFrame } from '../../src/e2ee/media-frames.js';
import { SFrameError, type Bytes } from '../../src/e2ee/sframe.js';
import type { KeyDeliveryMessage } from '../../src/protocol/e2ee.js';
import { until } from '../helpers/until.js';

const ROOM = 'e2ee-keys';
let server: RunningCircle;
const members: Member[] = [];

interface Member {
  name: string;
  participantId: string;
  client: TestClient;
  token: string;
  agreement: KeyAgreement;
  epochs: CircleEpoch[];
  messages: KeyDeliveryMessage[];
  failures: unknown[];
  out: boolean;
  /** Its next commit is sent twice at once (a retry racing the first try); the server's two answers. */
  twiceNext?: boolean;
  doubled?: Ack<unknown>[];
}

const latest = (member: Member, circle = 'group') => member.epochs.filter((state) => state.circle === circle).at(-1);

/** A page: connects, takes part in key agreement as the SDK does, and joins (with `token`: the same seat again). */
async function page(name: string, role: string, token?: { token: string; participantId: string }): Promise<Member> {
  const seat = token ?? (await devToken(server.url, { room: ROOM, name, role }));
  const client = await connect(server.url);
  const member = { name, participantId: seat.participantId, client, token: seat.token, epochs: [], messages: [], failures: [], out: false } as unknown as Member;
  member.agreement = new KeyAgreement(
    { participantId: seat.participantId, role, displayName: name },
    {
      offer: (circle, keyPackage) => client.ok('e2eeOffer', { circle, keyPackage }),
      commit: async (circle, epoch, commit, welcome) => {
        const payload = { circle, epoch, commit, ...(welcome ? { welcome } : {}) };
        if (!member.twiceNext) return client.ok('e2eeCommit', payload);
        member.twiceNext = false;
        member.doubled = await Promise.all([client.call('e2eeCommit', payload), client.call('e2eeCommit', payload)]);
        const accepted = member.doubled.find((answer) => answer.ok);
        if (!accepted?.ok) throw new Error('neither copy of the commit was accepted');
        return accepted.data as { epoch: number };
      },
    },
    { epoch: (state) => member.epochs.push(state), out: () => (member.out = true), failed: (error) => member.failures.push(error) },
  );
  client.socket.on('e2ee', (message: KeyDeliveryMessage) => {
    member.messages.push(message);
    member.agreement.handle(message);
  });
  const joined = await client.ok<{ e2ee: string; admitted?: unknown; dialIn?: unknown }>('join', { token: seat.token, e2ee: true });
  expect(joined.e2ee).toBe('required');
  expect(joined.dialIn).toBeUndefined();
  // A page that comes back into a seat already admitted (a reload) offers at once: it has no keys any more.
  if (token && joined.admitted) member.agreement.askIn(null);
  members.push(member);
  return member;
}

/** Everyone in `group` at one epoch of `circle`, with one key, one code and one membership list: the list names `group`. */
async function agreeing(group: Member[], timeoutMs = 5000, circle = 'group'): Promise<CircleEpoch> {
  await until(
    () => {
      const epochs = group.map((m) => latest(m, circle));
      return epochs.every((e) => e && e.epoch === epochs[0]!.epoch && e.members.length === group.length);
    },
    `${group.map((m) => m.name).join(', ')} in one epoch`,
    timeoutMs,
  ).catch((error: Error) => {
    throw new Error(`${error.message}: ${JSON.stringify(group.map((m) => [m.name, latest(m, circle)?.epoch.toString(), latest(m, circle)?.members.length, m.failures.map(String)]))}`);
  });
  const [first, ...rest] = group.map((m) => latest(m, circle)!);
  for (const other of rest) {
    expect(Buffer.from(other.frameBaseKey).equals(Buffer.from(first!.frameBaseKey))).toBe(true);
    expect(other.verificationCode).toBe(first!.verificationCode);
  }
  const named = first!.members.map((m) => m.displayName).sort();
  expect(named).toEqual(group.map((m) => m.name).sort());
  for (const member of group) expect(member.failures).toEqual([]);
  return first!;
}

const ringOf = async (state: CircleEpoch) => {
  const ring = new FrameKeyRing();
  await ring.enter(state.epoch, state.frameBaseKey, state.ownLeaf, state.members.map((m) => m.leaf));
  return ring;
};

beforeAll(async () => {
  server = await startCircle({ e2ee: { mode: 'required' }, sessions: { resumeGraceMs: 5000 } });
});
afterAll(async () => {
  for (const member of members) member.client.close();
  await server?.stop();
});

it('the admitted agree a key the server never holds; the waiting room is outside; admission adds, removal removes, and the removed open nothing sealed after', async () => {
  // A client that does not say it can encrypt is refused, with the reason for the person.
  const plain = await connect(server.url);
  const refusedJoin = await plain.call('join', { token: (await devToken(server.url, { room: ROOM, name: 'Old', role: 'client' })).token });
  plain.close();
  expect(refusedJoin).toMatchObject({ ok: false, error: { code: 'E2EE_UNSUPPORTED', message: expect.stringMatching(/cannot encrypt/) } });

  const fran = await page('Fran', 'facilitator');
  // An encrypted session takes no calls unless the clinic allows them: no seat is given a PIN (`page` checks).
  const started = await agreeing([fran]);
  expect(started.epoch).toBe(0n);
  expect(started.members).toEqual([{ participantId: fran.participantId, role: 'facilitator', displayName: 'Fran', leaf: 0 }]);

  // Waiting: no part in the circle, and an offer is refused.
  const ana = await page('Ana', 'client');
  const waitingKeys = await GroupKeys.create({ participantId: ana.participantId, role: 'client', displayName: 'Ana' });
  const refused = await ana.client.call('e2eeOffer', { circle: 'group', keyPackage: Buffer.from(waitingKeys.offer()).toString('base64') });
  expect(refused).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
  expect(ana.messages).toEqual([]);

  // Admitted: in, in one commit.
  await fran.client.ok('admit', { participantId: ana.participantId });
  const two = await agreeing([fran, ana]);
  expect(two.epoch).toBe(1n);
  expect(two.members.find((m) => m.displayName === 'Ana')).toMatchObject({ participantId: ana.participantId, role: 'client' });

  // A credential naming someone else, and a commit nobody asked for, are refused and change nothing. The committer's
  // commit sent twice at once takes the group one epoch on: the second copy is refused.
  const ben = await page('Ben', 'client');
  fran.twiceNext = true;
  await fran.client.ok('admit', { participantId: ben.participantId });
  const three = await agreeing([fran, ana, ben]);
  expect(three.epoch).toBe(2n);
  expect(fran.doubled!.map((answer) => (answer.ok ? 'ok' : answer.error.code)).sort()).toEqual(['BAD_REQUEST', 'ok']);
  const impostor = await GroupKeys.create({ participantId: fran.participantId, role: 'facilitator', displayName: 'Fran' });
  expect(await ben.client.call('e2eeOffer', { circle: 'group', keyPackage: Buffer.from(impostor.offer()).toString('base64') })).toMatchObject({
    ok: false,
    error: { code: 'BAD_REQUEST', message: expect.stringMatching(/credential is not this seat/) },
  });
  expect(await ana.client.call('e2eeCommit', { circle: 'group', epoch: Number(three.epoch), commit: 'AAAA' })).toMatchObject({
    ok: false,
    error: { code: 'BAD_REQUEST' },
  });
  expect(await ana.client.call('e2eeOffer', { circle: 'group', keyPackage: 'not base64!' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  expect(latest(fran)!.epoch).toBe(three.epoch);

  // Ben removed: the others move on without him, and what they seal from then on he cannot open.
  const bensLast = latest(ben)!;
  const bensRing = await ringOf(bensLast);
  const removedAt = performance.now();
  await fran.client.ok('remove', { participantId: ben.participantId });
  const afterRemoval = await agreeing([fran, ana]);
  console.log(`removal: every remaining member in the new epoch ${Math.round(performance.now() - removedAt)} ms after "remove"`);
  expect(afterRemoval.epoch).toBe(three.epoch + 1n);
  expect(afterRemoval.members.map((m) => m.displayName).sort()).toEqual(['Ana', 'Fran']);
  const fransRing = await ringOf(latest(fran)!);
  const anasRing = await ringOf(latest(ana)!);
  for (let i = 0; i < 20; i += 1) {
    const frame = Uint8Array.from([0x78, ...crypto.getRandomValues(new Uint8Array(60))]) as Bytes;
    const sealed = await sealMediaFrame(fransRing.sealer('audio')!, 'opus', frame);
    expect(await openMediaFrame(anasRing.keyFor, 'opus', sealed)).toEqual(frame);
    await expect(openMediaFrame(bensRing.keyFor, 'opus', sealed)).rejects.toBeInstanceOf(SFrameError);
  }
});

it('a reloaded page comes back in as itself, once, with no one leaving; in a group of 15 each admission is one epoch', async () => {
  const [fran, ana] = members.filter((m) => m.name === 'Fran' || m.name === 'Ana') as [Member, Member];
  // Ana's page reloads: the old connection goes, a fresh page joins her held seat and offers anew.
  const before = latest(fran)!.epoch;
  ana.client.close();
  const reloaded = await page('Ana', 'client', { token: ana.token, participantId: ana.participantId });
  const back = await agreeing([fran, reloaded]);
  expect(back.epoch).toBe(before + 1n);
  expect(back.members.filter((m) => m.participantId === ana.participantId)).toHaveLength(1);
  expect(fran.client.events('peerLeft')).not.toContainEqual({ participantId: ana.participantId });

  // Twelve more clients and a co-facilitator, admitted one by one: the group of 15 agrees after each.
  const group = [fran, reloaded];
  const epochMs: number[] = [];
  for (let i = 0; i < 13; i += 1) {
    const next = await page(i === 0 ? 'Cole' : `Client ${i}`, i === 0 ? 'cofacilitator' : 'client');
    const admittedAt = performance.now();
    if (i > 0) await fran.client.ok('admit', { participantId: next.participantId });
    group.push(next);
    await agreeing(group, 10_000);
    epochMs.push(performance.now() - admittedAt);
  }
  console.log(`admission epochs up to a group of 15, ms from "admit" to every member in the new epoch: ${epochMs.map(Math.round).join(', ')}`);
  const circle = server.circle.registry.get(ROOM)!.circles!.circle('group')!;
  expect([...circle.inCircle].sort()).toEqual(group.map((m) => m.participantId).sort());
}, 120_000);

it('a side room is a circle of its own: the group keeps its epoch, and with every key of the group no one outside opens what is said inside', async () => {
  const byName = (name: string) => members.filter((m) => m.name === name).at(-1)!;
  const [fran, ana, dan, cara] = [byName('Fran'), byName('Ana'), byName('Client 2'), byName('Client 1')];
  const groupBefore = latest(fran)!;
  const { sideRoomId } = await fran.client.ok<{ sideRoomId: string }>('openSideRoom', { participantIds: [cara.participantId] });
  const inside = await agreeing([fran, cara], 5000, sideRoomId);
  expect(inside.members.map((m) => m.displayName).sort()).toEqual(['Client 1', 'Fran']);
  // The group's circle is as it was: no one left it, and everyone outside is at the same epoch.
  expect(latest(fran)!.epoch).toBe(groupBefore.epoch);
  expect(latest(ana)!.epoch).toBe(groupBefore.epoch);
  expect(ana.messages.filter((m) => m.circle === sideRoomId)).toEqual([]);

  // Cara speaks inside: Fran opens it with the side room's keys; Ana, holding all of the group's keys, opens nothing.
  const carasSideRing = await ringOf(latest(cara, sideRoomId)!);
  const [fransSideRing, anasGroupRing, fransGroupRing] = await Promise.all([ringOf(latest(fran, sideRoomId)!), ringOf(latest(ana)!), ringOf(latest(fran)!)]);
  for (let i = 0; i < 20; i += 1) {
    const frame = Uint8Array.from([0x78, ...crypto.getRandomValues(new Uint8Array(60))]) as Bytes;
    const sealed = await sealMediaFrame(carasSideRing.sealer('audio')!, 'opus', frame);
    expect(await openMediaFrame(fransSideRing.keyFor, 'opus', sealed)).toEqual(frame);
    await expect(openMediaFrame(anasGroupRing.keyFor, 'opus', sealed)).rejects.toBeInstanceOf(SFrameError);
    await expect(openMediaFrame(fransGroupRing.keyFor, 'opus', sealed)).rejects.toBeInstanceOf(SFrameError);
  }

  // Another client joins them: one commit; Cara goes back to the group: out of the side room's circle, and what is sealed there
  // after opens no more for her.
  await fran.client.ok('moveToSideRoom', { participantId: dan.participantId, sideRoomId });
  await agreeing([fran, cara, dan], 5000, sideRoomId);
  await fran.client.ok('returnToGroup', { participantId: cara.participantId });
  const afterCara = await agreeing([fran, dan], 5000, sideRoomId);
  expect(cara.messages.at(-1)).toEqual({ kind: 'out', circle: sideRoomId });
  const carasLast = await ringOf(latest(cara, sideRoomId)!);
  const sealedAfter = await sealMediaFrame((await ringOf(afterCara)).sealer('audio')!, 'opus', Uint8Array.from([0x78, 1, 2, 3]) as Bytes);
  await expect(openMediaFrame(carasLast.keyFor, 'opus', sealedAfter)).rejects.toBeInstanceOf(SFrameError);

  // Closed: everyone out of its circle, which is gone; the group's circle never changed.
  await fran.client.ok('closeSideRoom', { sideRoomId });
  await until(() => [fran, dan].every((m) => m.messages.at(-1)?.kind === 'out'), 'the side room’s circle left', 5000);
  expect(server.circle.registry.get(ROOM)!.circles!.circle(sideRoomId)).toBeUndefined();
  expect(await fran.client.call('e2eeOffer', { circle: sideRoomId, keyPackage: 'AAAA' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  expect(latest(fran)!.epoch).toBe(groupBefore.epoch);
  for (const member of [fran, ana, dan, cara]) expect(member.failures).toEqual([]);
});
