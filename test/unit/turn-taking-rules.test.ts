// The turn-taking rules against a fake room port: who may raise a hand, grant, take back, reorder and clear,
// switch the floor mode and time turns, without a mediasoup worker.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROLES } from '../../src/protocol/roles.js';
import { PERMISSIONS } from '../../src/rooms/permissions.js';
import { ActorBudget } from '../../src/rooms/actor-budget.js';
import { TurnTaking } from '../../src/rooms/turn-taking.js';
import { FakeRoom } from '../helpers/fake-room.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function setUp() {
  const room = new FakeRoom();
  const turns = new TurnTaking(room, new ActorBudget(1000, 1000));
  const lead = room.add('lead', 'facilitator');
  const co = room.add('co', 'cofacilitator');
  const ana = room.add('ana', 'client');
  const ben = room.add('ben', 'client');
  const ob = room.add('ob', 'observer');
  return { room, turns, lead, co, ana, ben, ob };
}

describe('hands', () => {
  it('clients and co-facilitators raise hands in order; facilitators and observers may not', () => {
    const { turns, co, ana, ben, lead, ob, room } = setUp();
    expect(turns.raiseHand(ben)).toBe(1);
    expect(turns.raiseHand(ana)).toBe(2);
    expect(turns.raiseHand(co)).toBe(3);
    expect(turns.raiseHand(ben)).toBe(1); // a second raise keeps its place
    for (const actor of [lead, ob]) expect(() => turns.raiseHand(actor)).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    turns.lowerHand(ben);
    expect(room.floor.view().queue).toEqual(['ana', 'co']);
    expect(room.record.audit).toHaveLength(0); // hands are one's own, not moderation
  });

  it('a client waiting in the lobby cannot raise a hand', () => {
    const { turns, room } = setUp();
    const waiting = room.add('wait', 'client', { waiting: true });
    expect(() => turns.raiseHand(waiting)).toThrow(expect.objectContaining({ code: 'NOT_ADMITTED' }));
  });
});

describe('the floor', () => {
  it('is granted to the first hand or to someone named, waits for the SFU, and is audited', async () => {
    const { turns, lead, ana, ben, room } = setUp();
    turns.raiseHand(ben);
    turns.raiseHand(ana);
    expect(await turns.grant(lead, null)).toBe('ben');
    expect(room.calls).toEqual(['floor settled']);
    expect(await turns.grant(lead, 'ana')).toBe('ana');
    expect(room.floor.view()).toMatchObject({ holder: 'ana', queue: [] });
    await turns.takeBack(lead);
    expect(room.floor.holder).toBeNull();
    expect(room.record.audit.map((e) => `${e.action} ${e.target ?? ''}`.trim())).toEqual(['grantFloor ben', 'grantFloor ana', 'takeBackFloor']);
  });

  it('is never granted to an observer, to someone waiting, or to no one when no hand is up', async () => {
    const { turns, lead, room } = setUp();
    room.add('wait', 'client', { waiting: true });
    await expect(turns.grant(lead, 'ob')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(turns.grant(lead, 'wait')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(turns.grant(lead, null)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(room.record.audit).toHaveLength(0);
  });

  it('reorders, removes from and clears the queue', () => {
    const { turns, co, ana, ben, room } = setUp();
    turns.raiseHand(ana);
    turns.raiseHand(ben);
    turns.move(co, 'ben', 1);
    expect(room.floor.view().queue).toEqual(['ben', 'ana']);
    turns.removeFromQueue(co, 'ben');
    expect(() => turns.removeFromQueue(co, 'ben')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    turns.clear(co);
    expect(room.floor.view().queue).toEqual([]);
  });

  it('switches modes and has the room apply the floor to everyone', async () => {
    const { turns, co, room } = setUp();
    await turns.setMode(co, 'queue');
    await turns.setMode(co, 'open');
    expect(room.calls).toEqual(['floor applied (queue)', 'floor applied (open)']);
    expect(room.record.floor.mode).toBe('open');
  });

  it('times turns: a limit, an extension, and the turn ends by itself', async () => {
    const { turns, lead, ana, room } = setUp();
    turns.setTurnLimit(lead, 60);
    await turns.grant(lead, 'ana');
    turns.extend(lead, 30);
    vi.advanceTimersByTime(89_000);
    expect(room.floor.holder).toBe(ana.id);
    vi.advanceTimersByTime(1_000);
    expect(room.floor.holder).toBeNull();
    turns.setTurnLimit(lead, null);
    expect(room.record.floor.turnLimitMs).toBeNull();
  });
});

describe('permissions', () => {
  const staffOnly = ['grantFloor', 'takeBackFloor', 'reorderQueue', 'clearQueue', 'setFloorMode', 'setTurnLimit', 'extendTurn'] as const;
  for (const action of staffOnly) {
    it(`${action} is for ${PERMISSIONS[action].join(' and ')} alone`, async () => {
      for (const role of ROLES) {
        const { turns, room } = setUp();
        const actor = room.add(`actor-${role}`, role);
        turns.raiseHand(room.participant('ana')!);
        if (action === 'extendTurn') {
          // Only a timed turn in progress can be extended.
          room.floor.setTurnLimit(60_000);
          room.floor.grant('ben');
        }
        const attempts = {
          grantFloor: () => turns.grant(actor, 'ana'),
          takeBackFloor: () => turns.takeBack(actor),
          reorderQueue: () => turns.move(actor, 'ana', 1),
          clearQueue: () => turns.clear(actor),
          setFloorMode: () => turns.setMode(actor, 'queue'),
          setTurnLimit: () => turns.setTurnLimit(actor, 30),
          extendTurn: () => turns.extend(actor, 30),
        };
        const outcome = await (async () => attempts[action]())().then(
          () => 'ok',
          (error: { code: string }) => error.code,
        );
        expect(outcome, `${role} ${action}`).toBe(PERMISSIONS[action].includes(role) ? 'ok' : 'FORBIDDEN');
      }
    });
  }
});
