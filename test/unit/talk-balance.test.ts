// Speaking time and turns from level reports, against a fake room: how a turn is told from a pause, who is sent the
// balance, what the report is told. No worker.
import { afterEach, expect, it, vi } from 'vitest';
import type { TalkEntry } from '../../src/protocol/talk.js';
import { Audience } from '../../src/rooms/audience.js';
import type { SpokenSince } from '../../src/rooms/room-port.js';
import { TalkBalance } from '../../src/rooms/talk-balance.js';
import { FakeRoom } from '../helpers/fake-room.js';

afterEach(() => vi.useRealTimers());

function setUp() {
  vi.useFakeTimers();
  const room = new FakeRoom();
  const audience = new Audience(room.people, { observersVisibleToClients: true, focused: () => false, checkInOf: () => null });
  const reported: SpokenSince[][] = [];
  const talk = new TalkBalance(audience, (spoken) => reported.push(spoken));
  for (const [id, role] of [['fran', 'facilitator'], ['ana', 'client'], ['ben', 'client'], ['otto', 'observer']] as const) room.add(id, role);
  const sentTo = (id: string) => room.sent.filter((s) => s.to === id && s.event === 'talkUpdated').map((s) => (s.args[0] as { participants: TalkEntry[] }).participants);
  return { room, talk, reported, sentTo };
}

/** `ms` of speech as the level observer reports it: one report each 250 ms, from `from`. */
function speak(talk: TalkBalance, id: string, from: number, ms: number): void {
  for (let at = from; at < from + ms; at += 250) talk.heard(id, 250, at);
}

it('a pause shorter than 2 s is the same turn, a longer one starts another; seconds add up', () => {
  const { talk } = setUp();
  speak(talk, 'ana', 0, 3000);
  speak(talk, 'ana', 4500, 1000); // 1.75 s after her last report: the same turn
  speak(talk, 'ana', 9000, 2000); // 3.75 s later: a new turn
  expect(talk.staffView().find((e) => e.participantId === 'ana')).toEqual({ participantId: 'ana', spokenSeconds: 6, turns: 2 });
});

it('every 3 s while anyone speaks, the staff are sent everyone who may speak (observers not), the report what was spoken since; nothing while all are quiet', () => {
  const { talk, reported, sentTo } = setUp();
  speak(talk, 'ana', Date.now(), 1000);
  vi.advanceTimersByTime(3000);
  expect(sentTo('fran')).toEqual([[{ participantId: 'fran', spokenSeconds: 0, turns: 0 }, { participantId: 'ana', spokenSeconds: 1, turns: 1 }, { participantId: 'ben', spokenSeconds: 0, turns: 0 }]]);
  expect(sentTo('ana')).toEqual([]);
  expect(sentTo('otto')).toEqual([]);
  expect(reported).toEqual([[{ participantId: 'ana', spokenMs: 1000, turns: 1 }]]);
  vi.advanceTimersByTime(9000);
  expect(sentTo('fran')).toHaveLength(1);
  speak(talk, 'ben', Date.now(), 500);
  talk.stop(); // the session ends: the last of it is told at once
  expect(reported.at(-1)).toEqual([{ participantId: 'ben', spokenMs: 500, turns: 1 }]);
  speak(talk, 'ben', Date.now(), 500);
  vi.advanceTimersByTime(10_000);
  expect(reported).toHaveLength(2); // stopped
});
