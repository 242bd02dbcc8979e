// The moderation rules against a fake room port: every permission and rank rule, the lobby, lock, end,
// mute and ask, removal, roles, spotlight and the audit log, without a mediasoup worker.
import { describe, expect, it, vi } from 'vitest';
import { CircleError } from '../../src/protocol/errors.js';
import { ROLES, type Role } from '../../src/protocol/roles.js';
import { ActorBudget } from '../../src/rooms/actor-budget.js';
import { Moderation } from '../../src/rooms/moderation.js';
import { PERMISSIONS, type Action } from '../../src/rooms/permissions.js';
import { FakeRoom } from '../helpers/fake-room.js';
import { refusalCode } from '../helpers/refusals.js';

function setUp() {
  const room = new FakeRoom();
  const moderation = new Moderation(room, new ActorBudget(1000, 1000));
  return { room, moderation };
}

async function refusal(act: () => unknown): Promise<string | undefined> {
  try {
    await act();
    return undefined;
  } catch (error) {
    if (error instanceof CircleError) return error.code;
    throw error;
  }
}

/** Each moderation request, as the actor would make it against a fresh target of the lowest rank. */
const REQUESTS: Partial<Record<Action, (m: Moderation, actor: string, room: FakeRoom) => unknown>> = {
  admit: (m, a, room) => m.admit(room.participant(a)!, room.add('knocking', 'client', { waiting: true }).id),
  deny: (m, a, room) => m.deny(room.participant(a)!, room.add('knocking', 'client', { waiting: true }).id),
  mute: (m, a, room) => m.mute(room.participant(a)!, room.add('target', 'client').id),
  askToUnmute: (m, a, room) => m.askToUnmute(room.participant(a)!, room.add('target', 'client').id),
  stopVideo: (m, a, room) => m.stopVideo(room.participant(a)!, room.add('target', 'client').id),
  askToStartVideo: (m, a, room) => m.askToStartVideo(room.participant(a)!, room.add('target', 'client').id),
  remove: (m, a, room) => m.remove(room.participant(a)!, room.add('target', 'client').id),
  promote: (m, a, room) => m.promote(room.participant(a)!, room.add('target', 'client').id),
  demote: (m, a, room) => m.demote(room.participant(a)!, room.add('target', 'cofacilitator').id),
  handOver: (m, a, room) => m.handOver(room.participant(a)!, room.add('target', 'cofacilitator').id),
  spotlight: (m, a, room) => m.spotlight(room.participant(a)!, room.add('target', 'client').id),
  lock: (m, a, room) => m.setLocked(room.participant(a)!, true),
  unlock: (m, a, room) => m.setLocked(room.participant(a)!, false),
  end: (m, a, room) => m.end(room.participant(a)!),
  readAuditLog: (m, a, room) => m.auditLog(room.participant(a)!),
  suggestAudioOnly: (m, a, room) => m.suggestAudioOnly(room.participant(a)!, room.add('target', 'client').id),
  setFocus: (m, a, room) => m.setFocus(room.participant(a)!, true),
  setCheckIn: (m, a, room) => m.setCheckIn(room.participant(a)!, false),
  startBreak: (m, a, room) => m.startBreak(room.participant(a)!, 10),
  endBreak: async (m, a, room) => {
    await room.breaks.start(5);
    return m.endBreak(room.participant(a)!);
  },
};

describe('the permission table', () => {
  for (const [action, request] of Object.entries(REQUESTS) as [Action, NonNullable<(typeof REQUESTS)[Action]>][]) {
    for (const role of ROLES) {
      const allowed = PERMISSIONS[action].includes(role);
      it(`${allowed ? 'lets' : 'refuses'} a ${role} ${action}`, async () => {
        const { room, moderation } = setUp();
        // A demote or hand-over target is a co-facilitator, whom only the facilitator outranks.
        const outranked = role !== 'facilitator' && (action === 'demote' || action === 'handOver');
        room.add('actor', role);
        const code = await refusal(() => request(moderation, 'actor', room));
        expect(code).toBe(allowed && !outranked ? undefined : 'FORBIDDEN');
        if (code) expect(room.record.audit).toHaveLength(0); // a refused request changes nothing
      });
    }
  }
});

it('focus mode: the SFU is told before the room view, the action is audited once, and asking for the mode already on changes nothing', () => {
  const { room, moderation } = setUp();
  const co = room.add('co', 'cofacilitator');
  moderation.setFocus(co, true);
  expect(room.record.focus).toBe(true);
  expect(room.calls).toEqual(['focus', 'roomView']);
  moderation.setFocus(co, true);
  expect(room.calls).toEqual(['focus', 'roomView']);
  expect(room.record.audit.map((entry) => entry.action)).toEqual(['setFocus']);
  moderation.setFocus(co, false);
  expect(room.record.focus).toBe(false);
  expect(room.calls).toEqual(['focus', 'roomView', 'focus', 'roomView']);
});

it('a break: audited and answered with its end; clients paused through the room; ended early, or by itself on time; none to end is BAD_REQUEST', async () => {
  vi.useFakeTimers({ now: Date.parse('2026-12-05T15:00:00Z') });
  try {
    const { room, moderation } = setUp();
    const fran = room.add('fran', 'facilitator');
    expect(await refusal(() => moderation.endBreak(fran))).toBe('BAD_REQUEST');
    expect((await moderation.startBreak(fran, 10)).toISOString()).toBe('2026-12-05T15:10:00.000Z');
    expect(room.breaks.onBreak).toBe(true);
    await moderation.endBreak(fran);
    expect(room.breaks.onBreak).toBe(false);
    await moderation.startBreak(fran, 5);
    await vi.advanceTimersByTimeAsync(5 * 60_000 - 1);
    expect(room.breaks.onBreak).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(room.breaks.onBreak).toBe(false);
    expect(room.calls).toEqual(['break', 'break over', 'break', 'break over']);
    expect(room.record.audit.map((entry) => entry.action)).toEqual(['startBreak', 'endBreak', 'startBreak']);
  } finally {
    vi.useRealTimers();
  }
});

describe('rank', () => {
  const ranks: [Role, Role, boolean][] = [
    ['facilitator', 'cofacilitator', true],
    ['facilitator', 'client', true],
    ['cofacilitator', 'client', true],
    ['cofacilitator', 'observer', true],
    ['cofacilitator', 'cofacilitator', false],
    ['cofacilitator', 'facilitator', false],
  ];
  for (const [actorRole, targetRole, allowed] of ranks) {
    it(`a ${actorRole} ${allowed ? 'may' : 'may not'} mute a ${targetRole}`, async () => {
      const { room, moderation } = setUp();
      const actor = room.add('actor', actorRole);
      room.add('target', targetRole);
      expect(await refusal(() => moderation.mute(actor, 'target'))).toBe(allowed ? undefined : 'FORBIDDEN');
      expect(room.participant('target')!.locks.audio).toBe(allowed);
    });
  }

  it('refuses acting on oneself, and on someone who is not there, without telling a client which ids exist', async () => {
    const { room, moderation } = setUp();
    const lead = room.add('lead', 'facilitator');
    const client = room.add('ana', 'client');
    expect(await refusal(() => moderation.mute(lead, 'lead'))).toBe('BAD_REQUEST');
    expect(await refusal(() => moderation.mute(lead, 'nobody'))).toBe('NOT_FOUND');
    expect(await refusal(() => moderation.mute(client, 'nobody'))).toBe('FORBIDDEN');
  });
});

describe('the lobby', () => {
  it('admits one or all, denies one or all, and audits each', () => {
    const { room, moderation } = setUp();
    const lead = room.add('lead', 'facilitator');
    for (const id of ['a', 'b', 'c', 'd']) room.add(id, 'client', { waiting: true });
    moderation.admit(lead, 'a');
    expect(moderation.denyAll(lead) + 0).toBe(3);
    expect(room.calls).toEqual(['admit a', 'dismiss b denied', 'dismiss c denied', 'dismiss d denied']);
    room.add('e', 'client', { waiting: true });
    expect(moderation.admitAll(lead)).toBe(1);
    expect(room.record.audit.map((e) => `${e.action} ${e.target}`)).toEqual(['admit a', 'deny b', 'deny c', 'deny d', 'admit e']);
  });

  it('admits no one before a facilitator starts the session or while the room is on hold', () => {
    const { room, moderation } = setUp();
    const cofacilitator = room.add('co', 'cofacilitator');
    room.add('a', 'client', { waiting: true });
    room.isOnHold = true;
    expect(() => moderation.admit(cofacilitator, 'a')).toThrow(expect.objectContaining({ code: 'ON_HOLD' }));
    expect(() => moderation.admitAll(cofacilitator)).toThrow(expect.objectContaining({ code: 'ON_HOLD' }));
    expect(room.participant('a')!.admitted).toBe(false);
  });

  it('admits only someone waiting', () => {
    const { room, moderation } = setUp();
    const lead = room.add('lead', 'facilitator');
    room.add('in', 'client');
    expect(() => moderation.admit(lead, 'in')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => moderation.deny(lead, 'in')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});

describe('media', () => {
  it('mutes, asks to unmute (lifting the lock and asking the client), and stops video', async () => {
    const { room, moderation } = setUp();
    const lead = room.add('lead', 'facilitator');
    room.add('ana', 'client');
    await moderation.mute(lead, 'ana');
    moderation.askToUnmute(lead, 'ana');
    await moderation.stopVideo(lead, 'ana');
    moderation.askToStartVideo(lead, 'ana');
    expect(room.calls).toEqual(['lock ana audio', 'unlock ana audio', 'lock ana video', 'unlock ana video']);
    expect(room.sent.filter((s) => s.event === 'unmuteRequested').map((s) => s.args[0])).toEqual([{ kind: 'audio' }, { kind: 'video' }]);
  });

  it('mutes every admitted client not already muted, and no staff', async () => {
    const { room, moderation } = setUp();
    const co = room.add('co', 'cofacilitator');
    room.add('lead', 'facilitator');
    room.add('a', 'client');
    room.add('b', 'client').lock('audio');
    room.add('c', 'client', { waiting: true });
    expect(await moderation.muteAllClients(co)).toBe(1);
    expect(room.calls).toEqual(['lock a audio']);
  });

  it('only suggests audio-only: the client is told, nothing is locked', () => {
    const { room, moderation } = setUp();
    const lead = room.add('lead', 'facilitator');
    room.add('ana', 'client');
    moderation.suggestAudioOnly(lead, 'ana');
    expect(room.sent).toEqual([{ to: 'ana', event: 'audioOnlySuggested', args: [{}] }]);
    expect(room.calls).toEqual([]);
  });
});

describe('removal, roles, spotlight, lock and end', () => {
  it('removes for the session: the record refuses the participant afterwards, waiting or admitted', () => {
    const { room, moderation } = setUp();
    const lead = room.add('lead', 'facilitator');
    room.add('ana', 'client', { waiting: true });
    moderation.remove(lead, 'ana');
    expect(room.calls).toEqual(['dismiss ana removed']);
    expect(() => room.record.assertMayEnter({ participantId: 'ana', role: 'client' }, false)).toThrow(
      expect.objectContaining({ code: 'REMOVED' }),
    );
  });

  it('promotes only clients, demotes only co-facilitators, hands the lead only to a co-facilitator', async () => {
    const { room, moderation } = setUp();
    const lead = room.add('lead', 'facilitator');
    room.add('ana', 'client');
    room.add('ob', 'observer');
    expect(await refusal(() => moderation.demote(lead, 'ana'))).toBe('BAD_REQUEST');
    expect(await refusal(() => moderation.handOver(lead, 'ana'))).toBe('BAD_REQUEST');
    expect(await refusal(() => moderation.promote(lead, 'ob'))).toBe('BAD_REQUEST');
    await moderation.promote(lead, 'ana');
    await moderation.handOver(lead, 'ana');
    expect(room.calls).toEqual(['role ana cofacilitator', 'role ana facilitator', 'role lead cofacilitator']);
    const newLead = room.participant('ana')!;
    await moderation.demote(newLead, 'lead');
    expect(room.participant('lead')!.role).toBe('client');
  });

  it('spotlights an admitted non-observer, or no one', async () => {
    const { room, moderation } = setUp();
    const lead = room.add('lead', 'facilitator');
    room.add('ana', 'client');
    room.add('ob', 'observer');
    room.add('wait', 'client', { waiting: true });
    expect(await refusal(() => moderation.spotlight(lead, 'ob'))).toBe('NOT_FOUND');
    expect(await refusal(() => moderation.spotlight(lead, 'wait'))).toBe('NOT_FOUND');
    moderation.spotlight(lead, 'ana');
    expect(room.record.spotlight).toBe('ana');
    moderation.spotlight(lead, null);
    expect(room.record.spotlight).toBeNull();
    expect(room.calls).toEqual(['roomView', 'roomView']);
  });

  it('locks and unlocks: a lock keeps newcomers out, not those already admitted or staff', () => {
    const { room, moderation } = setUp();
    const co = room.add('co', 'cofacilitator');
    room.record.admit('back');
    moderation.setLocked(co, true);
    const mayEnter = (participantId: string, role: Role) => refusalCode(() => room.record.assertMayEnter({ participantId, role }, false));
    expect(mayEnter('new', 'client')).toBe('ROOM_LOCKED');
    expect(mayEnter('back', 'client')).toBeUndefined();
    expect(mayEnter('staff', 'cofacilitator')).toBeUndefined();
    moderation.setLocked(co, false);
    expect(mayEnter('new', 'client')).toBeUndefined();
  });

  it('ends the session for good (the facilitator alone), and the audit log says who', () => {
    const { room, moderation } = setUp();
    const lead = room.add('lead', 'facilitator');
    moderation.end(lead);
    expect(room.record.ended).toBe(true);
    expect(room.record.audit.at(-1)).toMatchObject({ actor: 'lead', action: 'end' });
    expect(refusalCode(() => room.record.assertMayEnter({ participantId: 'lead', role: 'facilitator' }, false))).toBe('SESSION_ENDED');
  });
});

describe('the audit log', () => {
  it('holds ids only, and is read by staff alone', async () => {
    const { room, moderation } = setUp();
    const lead = room.add('lead', 'facilitator');
    const client = room.add('ana', 'client');
    await moderation.mute(lead, 'ana');
    expect(moderation.auditLog(lead)).toEqual({ entries: [{ at: expect.any(String), actor: 'lead', action: 'mute', target: 'ana' }], dropped: 0 });
    expect(room.auditCounted).toEqual(['mute']);
    expect(() => moderation.auditLog(client)).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });
});

describe('a moderation flood', () => {
  it('is refused per actor past the budget, before it reaches the audit log; the others are unaffected', () => {
    const room = new FakeRoom();
    const moderation = new Moderation(room, new ActorBudget(1, 10));
    const co = room.add('co', 'cofacilitator');
    const lead = room.add('lead', 'facilitator');
    const codes = Array.from({ length: 15 }, (_, i) => refusalCode(() => moderation.setLocked(co, i % 2 === 0)));
    expect(codes.filter((code) => code === undefined)).toHaveLength(10);
    expect(codes.slice(10)).toEqual(Array(5).fill('RATE_LIMITED'));
    expect(room.record.audit).toHaveLength(10);
    expect(refusalCode(() => moderation.setLocked(lead, true))).toBeUndefined(); // another actor's budget
  });

  it('the log keeps its latest 2,000 entries and says how many older ones it let go of', () => {
    const room = new FakeRoom();
    for (let i = 0; i < 2005; i += 1) room.record.log('lead', 'lock');
    expect(room.record.audit).toHaveLength(2000);
    expect(room.record.auditDropped).toBe(5);
    expect(room.record.toData().auditDropped).toBe(5);
  });
});
