// The check-in rules against a fake room: who may answer, who is told, who sees the answers, and that they are
// forgotten. No worker, no sockets.
import { expect, it } from 'vitest';
import type { LobbyEntry, PeerInfo } from '../../src/protocol/events.js';
import { Audience } from '../../src/rooms/audience.js';
import { CheckIns } from '../../src/rooms/check-ins.js';
import { FakeRoom } from '../helpers/fake-room.js';
import { refusalCode } from '../helpers/refusals.js';

function setUp() {
  const room = new FakeRoom();
  let checkIns: CheckIns | undefined;
  const audience = new Audience(room.people, { observersVisibleToClients: true, focused: () => false, checkInOf: (id) => checkIns!.of(id) });
  checkIns = new CheckIns(audience);
  return { room, audience, checkIns };
}

const answers = { location: 'home, Tacoma WA', private: true, headphones: false };

it('a waiting client answers: the staff’s lobby list carries it with the time; a new answer replaces it', () => {
  const { room, audience, checkIns } = setUp();
  room.add('fran', 'facilitator');
  room.add('cole', 'cofacilitator');
  const ana = room.add('ana', 'client', { waiting: true });
  checkIns.answer(ana, answers, new Date('2026-12-05T10:00:00Z'));
  const lobbyTo = (id: string) => room.sent.filter((s) => s.to === id && s.event === 'lobbyUpdated').map((s) => (s.args[0] as { waiting: LobbyEntry[] }).waiting);
  expect(lobbyTo('fran').at(-1)![0]!.checkIn).toEqual({ ...answers, answeredAt: '2026-12-05T10:00:00.000Z' });
  expect(lobbyTo('cole')).toHaveLength(1);
  expect(room.sent.filter((s) => s.to === 'ana')).toEqual([]); // not echoed
  checkIns.answer(ana, { ...answers, location: 'a café' }, new Date('2026-12-05T10:05:00Z'));
  expect(audience.lobbyEntries()[0]!.checkIn).toMatchObject({ location: 'a café', answeredAt: '2026-12-05T10:05:00.000Z' });
});

it('admitted: the staff are sent the person with the answers, and see them in each view of the person; clients and observers never', () => {
  const { room, audience, checkIns } = setUp();
  const fran = room.add('fran', 'facilitator');
  const ben = room.add('ben', 'client');
  const otto = room.add('otto', 'observer');
  const ana = room.add('ana', 'client');
  checkIns.answer(ana, answers);
  const told = room.sent.filter((s) => s.event === 'peerUpdated').map((s) => [s.to, (s.args[0] as PeerInfo).checkIn?.location]);
  expect(told).toEqual([['fran', 'home, Tacoma WA']]);
  expect(audience.describe(fran, ana).checkIn?.location).toBe('home, Tacoma WA');
  expect(audience.describe(ben, ana)).not.toHaveProperty('checkIn');
  expect(audience.describe(otto, ana)).not.toHaveProperty('checkIn');
  expect(audience.describe(fran, otto)).not.toHaveProperty('checkIn'); // only clients are asked
  expect(audience.describe(fran, ben).checkIn).toBeNull(); // not answered yet
});

it('only a client answers, never a call; a departed client’s answers are forgotten', () => {
  const { room, checkIns } = setUp();
  for (const role of ['facilitator', 'cofacilitator', 'observer'] as const) {
    expect(refusalCode(() => checkIns.answer(room.add(role, role), answers))).toBe('FORBIDDEN');
  }
  const caller = room.addCall('cy', { send: () => undefined, detach: () => undefined, end: () => undefined, isCall: true });
  expect(refusalCode(() => checkIns.answer(caller, answers))).toBe('BAD_REQUEST');
  expect(checkIns.of('cy')).toBeNull();
  const ana = room.add('ana', 'client');
  checkIns.answer(ana, answers);
  checkIns.forget('ana');
  expect(checkIns.of('ana')).toBeNull();
});

it('a client answers five times at once, then once each 10 s: past it RATE_LIMITED, the last answer kept', () => {
  const { room, checkIns } = setUp();
  const ana = room.add('ana', 'client');
  for (let i = 1; i <= 5; i += 1) checkIns.answer(ana, { ...answers, location: `place ${i}` });
  expect(refusalCode(() => checkIns.answer(ana, { ...answers, location: 'place 6' }))).toBe('RATE_LIMITED');
  expect(checkIns.of('ana')!.location).toBe('place 5');
});
