// The side-room rules against a fake room port: who may open, close and move, who goes where, when a side room
// closes by itself, what the audit log keeps, and when the group is on hold. No worker, no sockets.
import { describe, expect, it } from 'vitest';
import type { Role } from '../../src/protocol/roles.js';
import { ActorBudget } from '../../src/rooms/actor-budget.js';
import { FacilitatorPresence } from '../../src/rooms/facilitator-presence.js';
import { SideRooms } from '../../src/rooms/side-rooms.js';
import { FakeRoom } from '../helpers/fake-room.js';
import { refusalCodeOf } from '../helpers/refusals.js';

function setUp() {
  const room = new FakeRoom();
  const sideRooms = new SideRooms(room, new ActorBudget(1000, 1000));
  const people: [string, Role][] = [['fran', 'facilitator'], ['cole', 'cofacilitator'], ['ana', 'client'], ['ben', 'client'], ['otto', 'observer']];
  for (const [id, role] of people) room.add(id, role);
  room.add('wes', 'client', { waiting: true });
  const place = (id: string) => room.participant(id)!.sideRoomId;
  return { room, sideRooms, place, p: (id: string) => room.participant(id)! };
}

describe('opening and closing a side room', () => {
  it('the actor goes with those they take; the others stay in the group; audited per person taken, ids only', async () => {
    const { room, sideRooms, place, p } = setUp();
    const sideRoomId = await sideRooms.open(p('cole'), ['ana', 'ana']);
    expect(sideRoomId).toMatch(/^side-[0-9a-f-]{36}$/);
    expect([place('cole'), place('ana')]).toEqual([sideRoomId, sideRoomId]);
    expect([place('fran'), place('ben'), place('otto')]).toEqual([null, null, null]);
    expect(room.record.sideRoomStillOpen(sideRoomId)).toBe(sideRoomId);
    expect(room.record.audit.map((e) => [e.actor, e.action, e.target])).toEqual([['cole', 'openSideRoom', 'ana']]);

    await sideRooms.close(p('fran'), sideRoomId);
    expect([place('cole'), place('ana')]).toEqual([null, null]);
    expect(room.record.sideRoomStillOpen(sideRoomId)).toBeNull();
    expect(room.record.audit.at(-1)).toMatchObject({ actor: 'fran', action: 'closeSideRoom' });
    expect(room.record.audit.at(-1)!.target).toBeUndefined();
  });

  const refusals: [string, string[], string][] = [
    ['ana', ['ben'], 'FORBIDDEN'], // a client never opens one
    ['otto', ['ana'], 'FORBIDDEN'],
    ['cole', ['fran'], 'FORBIDDEN'], // a co-facilitator does not take the facilitator
    ['cole', ['nobody'], 'NOT_FOUND'],
    ['fran', ['wes'], 'NOT_FOUND'], // not from the waiting room
    ['fran', ['fran'], 'BAD_REQUEST'],
  ];
  it.each(refusals)('%s taking %j: %s, and nothing moves', async (actor, ids, code) => {
    const { room, sideRooms, p } = setUp();
    expect(await refusalCodeOf(() => sideRooms.open(p(actor), ids))).toBe(code);
    expect([...room.people.values()].every((x) => x.sideRoomId === null)).toBe(true);
    expect(room.record.toData().sideRooms).toEqual([]);
    expect(room.calls.filter((c) => c.startsWith('relocate'))).toEqual([]);
  });

  it('closing a side room that is not open is NOT_FOUND; a client may not close one', async () => {
    const { sideRooms, p } = setUp();
    const sideRoomId = await sideRooms.open(p('fran'), ['ana']);
    expect(await refusalCodeOf(() => sideRooms.close(p('ana'), sideRoomId))).toBe('FORBIDDEN');
    expect(await refusalCodeOf(() => sideRooms.close(p('fran'), 'side-none'))).toBe('NOT_FOUND');
  });
});

describe('moving one person (the facilitator only)', () => {
  it('moves someone in and back; the side room stays while staff and a client are in it', async () => {
    const { room, sideRooms, place, p } = setUp();
    const sideRoomId = await sideRooms.open(p('fran'), ['ana']);
    await sideRooms.moveTo(p('fran'), 'otto', sideRoomId);
    await sideRooms.moveTo(p('fran'), 'ben', sideRoomId);
    expect([place('otto'), place('ben')]).toEqual([sideRoomId, sideRoomId]);
    await sideRooms.returnToGroup(p('fran'), 'ana');
    expect([place('ana'), place('ben'), place('otto'), place('fran')]).toEqual([null, sideRoomId, sideRoomId, sideRoomId]);
    expect(room.record.audit.map((e) => `${e.action} ${e.target}`)).toEqual(['openSideRoom ana', 'moveToSideRoom otto', 'moveToSideRoom ben', 'returnToGroup ana']);
  });

  it('refuses a co-facilitator, a move to a closed side room, a move where they already are, a return from the group', async () => {
    const { sideRooms, p } = setUp();
    const sideRoomId = await sideRooms.open(p('fran'), ['ana']);
    expect(await refusalCodeOf(() => sideRooms.moveTo(p('cole'), 'ben', sideRoomId))).toBe('FORBIDDEN');
    expect(await refusalCodeOf(() => sideRooms.returnToGroup(p('cole'), 'ana'))).toBe('FORBIDDEN');
    expect(await refusalCodeOf(() => sideRooms.moveTo(p('fran'), 'ben', 'side-gone'))).toBe('NOT_FOUND');
    expect(await refusalCodeOf(() => sideRooms.moveTo(p('fran'), 'ana', sideRoomId))).toBe('BAD_REQUEST');
    expect(await refusalCodeOf(() => sideRooms.returnToGroup(p('fran'), 'ben'))).toBe('BAD_REQUEST');
  });
});

describe('a side room without staff, or without a client, closes: no one is left alone in a private room', () => {
  it('when its last staff member is moved out, the others return to the group', async () => {
    const { room, sideRooms, place, p } = setUp();
    const sideRoomId = await sideRooms.open(p('fran'), ['cole', 'ana']);
    await sideRooms.returnToGroup(p('fran'), 'cole');
    expect(place('ana')).toBe(sideRoomId); // the facilitator is still with them
    const second = await sideRooms.open(p('fran'), ['ben']); // the facilitator leaves the first for a second
    expect([place('ana'), place('fran'), place('ben')]).toEqual([null, second, second]);
    expect(room.record.sideRoomStillOpen(sideRoomId)).toBeNull();
  });

  it('when its last client is sent back, its staff (and an observer) return with them: no one is left deaf to the group', async () => {
    const { room, sideRooms, place, p } = setUp();
    const sideRoomId = await sideRooms.open(p('fran'), ['cole', 'ana']);
    await sideRooms.moveTo(p('fran'), 'otto', sideRoomId);
    await sideRooms.returnToGroup(p('fran'), 'ana');
    expect([place('ana'), place('fran'), place('cole'), place('otto')]).toEqual([null, null, null, null]);
    expect(room.record.sideRoomStillOpen(sideRoomId)).toBeNull();
  });

  it('staff who open one among themselves keep it; it closes once someone leaves it', async () => {
    const { room, sideRooms, place, p } = setUp();
    const sideRoomId = await sideRooms.open(p('fran'), ['cole', 'otto']);
    expect([place('fran'), place('cole'), place('otto')]).toEqual([sideRoomId, sideRoomId, sideRoomId]);
    await sideRooms.returnToGroup(p('fran'), 'otto');
    expect([place('fran'), place('cole')]).toEqual([null, null]);
    expect(room.record.sideRoomStillOpen(sideRoomId)).toBeNull();
  });

  it('when its last staff member leaves the session', async () => {
    const { room, sideRooms, place, p } = setUp();
    const sideRoomId = await sideRooms.open(p('cole'), ['ana', 'ben']);
    const cole = p('cole');
    room.people.delete('cole');
    await sideRooms.participantLeft(cole);
    expect([place('ana'), place('ben')]).toEqual([null, null]);
    expect(room.record.sideRoomStillOpen(sideRoomId)).toBeNull();
  });
});

describe('the group is led while a staff member is in it', () => {
  it('all staff in side rooms: on hold at once; one back: the hold lifts; no facilitator at all: after the absence', async () => {
    const { room, sideRooms, p } = setUp();
    const presence = new FacilitatorPresence(60_000, () => undefined);
    const review = () => presence.review(room.people.values());
    expect([review(), presence.onHold]).toEqual([false, false]);
    const sideRoomId = await sideRooms.open(p('fran'), ['ana']);
    expect([review(), presence.onHold]).toEqual([false, false]); // the co-facilitator leads the group
    await sideRooms.moveTo(p('fran'), 'cole', sideRoomId);
    expect([review(), presence.onHold]).toEqual([true, true]);
    await sideRooms.returnToGroup(p('fran'), 'cole');
    expect([review(), presence.onHold]).toEqual([true, false]);
    room.people.delete('fran');
    expect([review(), presence.onHold]).toEqual([false, false]); // an absence is waited out first
    presence.dispose();
  });
});

describe('the record of open side rooms', () => {
  it('keeps at most 50; past that the oldest is forgotten (its returning members go to the group), so a stored record always reads back', () => {
    const { room } = setUp();
    for (let i = 0; i < 51; i += 1) room.record.openSideRoom(`side-${i}`);
    const listed = room.record.toData().sideRooms;
    expect(listed).toHaveLength(50);
    expect(room.record.sideRoomStillOpen('side-0')).toBeNull();
    expect(room.record.sideRoomStillOpen('side-50')).toBe('side-50');
  });
});
