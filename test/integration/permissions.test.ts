import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS, type Action } from '../../src/rooms/permissions.js';
import type { Role } from '../../src/protocol/roles.js';
import { startCircle, type RunningCircle } from '../../harness/circle.js';
import { joinRoom, type Seated } from '../../harness/signaling.js';

let server: RunningCircle;
beforeAll(async () => {
  server = await startCircle({ rooms: { emptyRoomTimeoutMs: 50 } });
});
afterAll(async () => server.stop());

/** A room with one of everyone: the actors, and targets that every allowed role may act on. */
async function populatedRoom(roomId: string) {
  const seats: Record<string, Seated> = {};
  seats.facilitator = await joinRoom(server.url, roomId, 'Fiona', 'facilitator');
  seats.cofacilitator = await joinRoom(server.url, roomId, 'Carl', 'cofacilitator');
  seats.otherCofacilitator = await joinRoom(server.url, roomId, 'Cleo', 'cofacilitator');
  seats.observer = await joinRoom(server.url, roomId, 'Otto', 'observer');
  seats.client = await joinRoom(server.url, roomId, 'Kira', 'client');
  seats.target = await joinRoom(server.url, roomId, 'Tess', 'client');
  for (const name of ['client', 'target']) {
    await seats.facilitator!.client.ok('admit', { participantId: seats[name]!.participantId });
  }
  seats.waiting = await joinRoom(server.url, roomId, 'Wes', 'client');
  // Turn-taking under way: Tess has a hand up, Cleo has the floor.
  await seats.target.client.ok('raiseHand', {});
  await seats.facilitator.client.ok('grantFloor', { participantId: seats.otherCofacilitator.participantId });
  return seats as Record<'facilitator' | 'cofacilitator' | 'otherCofacilitator' | 'observer' | 'client' | 'target' | 'waiting', Seated>;
}

/** Everything a moderation request could change, read from the server itself. */
function snapshot(roomId: string) {
  const room = server.circle.registry.get(roomId);
  const record = server.circle.registry.record(roomId)!;
  return {
    open: Boolean(room && !room.isClosed),
    participants: [...(room?.participants.values() ?? [])].map((p) => ({
      id: p.id,
      role: p.role,
      admitted: p.admitted,
      locks: { ...p.locks },
    })),
    locked: record.locked,
    ended: record.ended,
    spotlight: record.spotlight,
    removed: record.toData().removed,
    audit: record.audit.length,
    floor: JSON.parse(JSON.stringify(record.floor)) as unknown,
  };
}

type Seats = Awaited<ReturnType<typeof populatedRoom>>;
const REQUESTS: { request: string; action: Action; payload: (s: Seats) => unknown }[] = [
  { request: 'admit', action: 'admit', payload: (s) => ({ participantId: s.waiting.participantId }) },
  { request: 'admitAll', action: 'admit', payload: () => ({}) },
  { request: 'deny', action: 'deny', payload: (s) => ({ participantId: s.waiting.participantId }) },
  { request: 'denyAll', action: 'deny', payload: () => ({}) },
  { request: 'mute', action: 'mute', payload: (s) => ({ participantId: s.target.participantId }) },
  { request: 'muteAllClients', action: 'mute', payload: () => ({}) },
  { request: 'askToUnmute', action: 'askToUnmute', payload: (s) => ({ participantId: s.target.participantId }) },
  { request: 'stopVideo', action: 'stopVideo', payload: (s) => ({ participantId: s.target.participantId }) },
  { request: 'askToStartVideo', action: 'askToStartVideo', payload: (s) => ({ participantId: s.target.participantId }) },
  { request: 'remove', action: 'remove', payload: (s) => ({ participantId: s.target.participantId }) },
  { request: 'promote', action: 'promote', payload: (s) => ({ participantId: s.target.participantId }) },
  { request: 'demote', action: 'demote', payload: (s) => ({ participantId: s.otherCofacilitator.participantId }) },
  { request: 'handOver', action: 'handOver', payload: (s) => ({ participantId: s.otherCofacilitator.participantId }) },
  { request: 'spotlight', action: 'spotlight', payload: (s) => ({ participantId: s.target.participantId }) },
  { request: 'lock', action: 'lock', payload: () => ({}) },
  { request: 'unlock', action: 'unlock', payload: () => ({}) },
  { request: 'end', action: 'end', payload: () => ({}) },
  { request: 'getAuditLog', action: 'readAuditLog', payload: () => ({}) },
  { request: 'raiseHand', action: 'raiseHand', payload: () => ({}) },
  { request: 'grantFloor', action: 'grantFloor', payload: (s) => ({ participantId: s.target.participantId }) },
  { request: 'takeBackFloor', action: 'takeBackFloor', payload: () => ({}) },
  { request: 'moveInQueue', action: 'reorderQueue', payload: (s) => ({ participantId: s.target.participantId, position: 1 }) },
  { request: 'removeFromQueue', action: 'reorderQueue', payload: (s) => ({ participantId: s.target.participantId }) },
  { request: 'clearQueue', action: 'clearQueue', payload: () => ({}) },
  { request: 'setFloorMode', action: 'setFloorMode', payload: () => ({ mode: 'queue' }) },
  { request: 'setTurnLimit', action: 'setTurnLimit', payload: () => ({ seconds: 60 }) },
  { request: 'extendTurn', action: 'extendTurn', payload: () => ({ seconds: 30 }) },
  { request: 'suggestAudioOnly', action: 'suggestAudioOnly', payload: (s) => ({ participantId: s.target.participantId }) },
];
const ACTORS: Role[] = ['facilitator', 'cofacilitator', 'client', 'observer'];

describe('every moderation request against every role', () => {
  let counter = 0;
  for (const { request, action, payload } of REQUESTS) {
    for (const role of ACTORS) {
      const allowed = PERMISSIONS[action].includes(role);
      it(`${request} by a ${role} is ${allowed ? 'carried out' : 'FORBIDDEN and changes nothing'}`, async () => {
        const roomId = `perm-${(counter += 1)}`;
        const seats = await populatedRoom(roomId);
        const before = snapshot(roomId);
        const response = await seats[role as 'facilitator'].client.call(request, payload(seats));
        try {
          if (allowed) {
            expect(response, JSON.stringify(response)).toMatchObject({ ok: true });
            if (!['getAuditLog', 'raiseHand'].includes(request)) expect(server.circle.registry.record(roomId)!.audit.length).toBeGreaterThan(before.audit);
          } else {
            expect(response).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
            expect(snapshot(roomId)).toEqual(before);
          }
        } finally {
          for (const seat of Object.values(seats)) seat.client.close();
        }
      });
    }
  }
});

describe('rank: moderators act only on those below them', () => {
  it('a co-facilitator cannot mute, stop or remove the facilitator or another co-facilitator; the facilitator can', async () => {
    const seats = await populatedRoom('rank-room');
    const { cofacilitator, facilitator, otherCofacilitator } = seats;
    const before = snapshot('rank-room');
    for (const request of ['mute', 'stopVideo', 'remove']) {
      for (const target of [facilitator, otherCofacilitator]) {
        expect(await cofacilitator.client.call(request, { participantId: target.participantId })).toMatchObject({
          ok: false,
          error: { code: 'FORBIDDEN' },
        });
      }
    }
    expect(snapshot('rank-room')).toEqual(before);
    await facilitator.client.ok('mute', { participantId: cofacilitator.participantId });
    expect(server.circle.registry.get('rank-room')!.participants.get(cofacilitator.participantId)!.locks.audio).toBe(true);
    expect(await facilitator.client.call('mute', { participantId: facilitator.participantId })).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST' },
    });
    for (const seat of Object.values(seats)) seat.client.close();
  });
});
