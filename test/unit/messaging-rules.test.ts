// The messaging rules against a fake room port: who may write to whom, who reads what, the group-messages switch,
// removal, the per-sender limit, and messages waiting for someone reconnecting. No worker, no sockets.
import { describe, expect, it } from 'vitest';
import { Messaging } from '../../src/rooms/messaging.js';
import type { AudienceKind, ChatMessage, MessageAudience } from '../../src/protocol/events.js';
import type { Role } from '../../src/protocol/roles.js';
import { ActorBudget } from '../../src/rooms/actor-budget.js';
import { FakeRoom } from '../helpers/fake-room.js';
import { refusalCode } from '../helpers/refusals.js';

function setUp(perSecond = 1000, burst = 1000) {
  const room = new FakeRoom();
  const counted: AudienceKind[] = [];
  const messaging = new Messaging(room, new ActorBudget(1000, 1000), { perSecond, burst }, (kind) => counted.push(kind));
  for (const [id, role] of [['fran', 'facilitator'], ['cole', 'cofacilitator'], ['ana', 'client'], ['ben', 'client'], ['otto', 'observer']] as [string, Role][]) room.add(id, role);
  room.add('wes', 'client', { waiting: true });
  return { room, messaging, counted };
}

const readersOf = (room: FakeRoom, messageId: string) =>
  room.sent.filter((s) => s.event === 'message' && (s.args[0] as ChatMessage).messageId === messageId).map((s) => s.to).sort();

describe('who reads a message', () => {
  it('to everyone: the admitted group (observers too), never the waiting room, never the sender', () => {
    const { room, messaging } = setUp();
    const { messageId } = messaging.send(room.participant('ana')!, 'everyone', 'hello all');
    expect(readersOf(room, messageId)).toEqual(['ben', 'cole', 'fran', 'otto']);
  });

  it('to the staff: facilitators and co-facilitators only', () => {
    const { room, messaging } = setUp();
    const { messageId } = messaging.send(room.participant('ana')!, 'staff', 'I need to step away');
    expect(readersOf(room, messageId)).toEqual(['cole', 'fran']);
    const delivered = room.sent.find((s) => s.to === 'fran' && s.event === 'message')!.args[0] as ChatMessage;
    expect(delivered).toMatchObject({ from: 'ana', fromName: 'ana', to: 'staff', text: 'I need to step away' });
  });

  it('to one person (staff only): that person alone, even in the waiting room, addressed to them', () => {
    const { room, messaging } = setUp();
    const { messageId } = messaging.send(room.participant('fran')!, { participantId: 'ana' }, 'are you safe?');
    expect(readersOf(room, messageId)).toEqual(['ana']);
    expect(room.sent.find((s) => s.to === 'ana')!.args[0]).toMatchObject({ to: 'ana', from: 'fran' });
    const toWaiting = messaging.send(room.participant('cole')!, { participantId: 'wes' }, 'we will let you in shortly');
    expect(readersOf(room, toWaiting.messageId)).toEqual(['wes']);
  });
});

describe('who may write to whom', () => {
  const cases: [string, MessageAudience, string | undefined][] = [
    ['ana', 'everyone', undefined],
    ['ana', 'staff', undefined],
    ['ana', { participantId: 'ben' }, 'FORBIDDEN'],
    ['otto', 'staff', undefined],
    ['otto', 'everyone', 'FORBIDDEN'],
    ['otto', { participantId: 'ana' }, 'FORBIDDEN'],
    ['cole', { participantId: 'ana' }, undefined],
    ['cole', { participantId: 'nobody' }, 'NOT_FOUND'],
    ['fran', { participantId: 'fran' }, 'BAD_REQUEST'],
    ['wes', 'staff', 'NOT_ADMITTED'],
  ];
  it.each(cases)('%s → %j: %s', (sender, to, code) => {
    const { room, messaging } = setUp();
    expect(refusalCode(() => messaging.send(room.participant(sender)!, to, 'text'))).toBe(code);
  });

  it('group messages off: clients may write only to the staff; staff still to everyone; audited and shown', () => {
    const { room, messaging } = setUp();
    expect(refusalCode(() => messaging.setGroupMessages(room.participant('ana')!, false))).toBe('FORBIDDEN');
    messaging.setGroupMessages(room.participant('cole')!, false);
    expect(room.record.groupMessages).toBe(false);
    expect(room.calls).toContain('roomView');
    expect(refusalCode(() => messaging.send(room.participant('ana')!, 'everyone', 'hi'))).toBe('FORBIDDEN');
    expect(refusalCode(() => messaging.send(room.participant('ana')!, 'staff', 'hi'))).toBeUndefined();
    expect(refusalCode(() => messaging.send(room.participant('fran')!, 'everyone', 'a reminder'))).toBeUndefined();
    expect(room.record.audit.map((e) => e.action)).toEqual(['setGroupMessages']);
  });
});

describe('removal, limits, reconnecting readers', () => {
  it('staff remove a message from everyone who read it; the audit says only that it happened', () => {
    const { room, messaging } = setUp();
    const { messageId } = messaging.send(room.participant('ana')!, 'everyone', 'something unkind');
    expect(refusalCode(() => messaging.remove(room.participant('ben')!, messageId))).toBe('FORBIDDEN');
    messaging.remove(room.participant('fran')!, messageId);
    const removedFor = room.sent.filter((s) => s.event === 'messageRemoved').map((s) => s.to).sort();
    expect(removedFor).toEqual(['ben', 'cole', 'fran', 'otto']);
    expect(room.record.audit).toEqual([expect.objectContaining({ actor: 'fran', action: 'removeMessage' })]);
    expect(JSON.stringify(room.record.toData())).not.toContain('unkind');
    expect(refusalCode(() => messaging.remove(room.participant('fran')!, messageId))).toBe('NOT_FOUND');
  });

  it('limits each sender, not the room', () => {
    const { room, messaging } = setUp(0.001, 3);
    for (let i = 0; i < 3; i += 1) messaging.send(room.participant('ana')!, 'staff', `m${i}`);
    expect(refusalCode(() => messaging.send(room.participant('ana')!, 'staff', 'again'))).toBe('RATE_LIMITED');
    expect(refusalCode(() => messaging.send(room.participant('ben')!, 'staff', 'mine'))).toBeUndefined();
  });

  it('keeps messages for someone reconnecting and gives them at resume; a removed one is taken back first', () => {
    const { room, messaging, counted } = setUp();
    room.participant('ben')!.dropped();
    const kept = messaging.send(room.participant('fran')!, 'everyone', 'welcome back soon');
    const taken = messaging.send(room.participant('ana')!, 'everyone', 'oops');
    messaging.remove(room.participant('fran')!, taken.messageId);
    expect(room.sent.filter((s) => s.to === 'ben')).toEqual([]);
    // Resumed: a new connection takes the seat.
    const ben = room.add('ben', 'client');
    messaging.deliverPending(ben);
    expect(room.sent.filter((s) => s.to === 'ben').map((s) => (s.args[0] as ChatMessage).messageId)).toEqual([kept.messageId]);
    messaging.deliverPending(ben); // delivered once
    expect(room.sent.filter((s) => s.to === 'ben')).toHaveLength(1);
    expect(counted).toEqual(['everyone', 'everyone']);
  });

  it('forgets what waited for someone who left for good', () => {
    const { room, messaging } = setUp();
    const ben = room.participant('ben')!;
    ben.dropped();
    messaging.send(room.participant('fran')!, 'everyone', 'hello');
    messaging.forget('ben');
    messaging.deliverPending(ben);
    expect(room.sent.filter((s) => s.to === 'ben')).toEqual([]);
  });
});
