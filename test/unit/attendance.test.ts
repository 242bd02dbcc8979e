// The attendance ledger against a scripted session on a fake clock: minutes in the room, audio-only and in a side
// room, reconnects, removal, the worst link, and what is still open when the session ends.
import { expect, it } from 'vitest';
import { AttendanceLedger } from '../../src/reports/attendance.js';
import type { ParticipationEvent } from '../../src/rooms/room-port.js';

/** A ledger on a fake clock, and `at(minute, event)` to play a session's events from 18:00. */
function scripted(roomId: string) {
  let now = Date.parse('2026-11-24T18:00:00Z');
  const ledger = new AttendanceLedger(roomId, () => now);
  const at = (minute: number, event: ParticipationEvent) => {
    now = Date.parse('2026-11-24T18:00:00Z') + minute * 60_000;
    ledger.record(event);
  };
  return { ledger, at };
}

it('counts each participant’s minutes, reconnects and worst link from the session’s events', () => {
  const { ledger, at } = scripted('group-1');
  at(0, { type: 'participant.joined', participantId: 'fran' });
  at(0, { type: 'participant.admitted', participantId: 'fran' });
  at(0, { type: 'session.started' });
  at(1, { type: 'participant.joined', participantId: 'kim' }); // waits in the lobby: not in the room yet
  at(3, { type: 'participant.admitted', participantId: 'kim' });
  at(10, { type: 'participant.audioOnly', participantId: 'kim', audioOnly: true });
  at(14, { type: 'participant.quality', participantId: 'kim', quality: 'poor' });
  at(15, { type: 'participant.audioOnly', participantId: 'kim', audioOnly: false });
  at(20, { type: 'participant.sideRoom', participantId: 'kim', inSideRoom: true });
  at(20, { type: 'participant.sideRoom', participantId: 'fran', inSideRoom: true });
  at(26, { type: 'participant.reconnecting', participantId: 'kim' }); // 2 minutes away, not counted
  at(28, { type: 'participant.resumed', participantId: 'kim' });
  at(30, { type: 'participant.sideRoom', participantId: 'kim', inSideRoom: false });
  at(30, { type: 'participant.sideRoom', participantId: 'fran', inSideRoom: false });
  at(31, { type: 'participant.joined', participantId: 'lou' });
  at(32, { type: 'participant.admitted', participantId: 'lou' });
  at(40, { type: 'participant.removed', participantId: 'lou' });

  const live = ledger.report();
  expect(live.endedAt).toBeNull();
  expect(live.participants.find((p) => p.participantId === 'kim')).toMatchObject({ leftAt: null, minutesInRoom: 35 });

  at(60, { type: 'session.ended' });
  at(61, { type: 'participant.left', participantId: 'kim' }); // after the end: changes nothing counted
  const report = ledger.report();
  expect(report).toMatchObject({ roomId: 'group-1', startedAt: '2026-11-24T18:00:00.000Z', endedAt: '2026-11-24T19:00:00.000Z', worstQuality: 'reconnecting' });
  const byId = Object.fromEntries(report.participants.map((p) => [p.participantId, p]));
  expect(byId.fran).toMatchObject({ minutesInRoom: 60, minutesInSideRoom: 10, minutesAudioOnly: 0, reconnects: 0, removed: false, worstQuality: 'good', leftAt: '2026-11-24T19:00:00.000Z' });
  expect(byId.kim).toMatchObject({ joinedAt: '2026-11-24T18:01:00.000Z', minutesInRoom: 55, minutesAudioOnly: 5, minutesInSideRoom: 8, reconnects: 1, worstQuality: 'reconnecting', leftAt: '2026-11-24T19:00:00.000Z' });
  expect(byId.lou).toMatchObject({ minutesInRoom: 8, removed: true, leftAt: '2026-11-24T18:40:00.000Z' });
  expect(JSON.stringify(report)).not.toMatch(/name/i);
});

it('counts minutes on the phone while a call holds the seat, and not while the line is dead or a browser has it', () => {
  const { ledger, at } = scripted('group-2');
  at(0, { type: 'session.started' });
  at(0, { type: 'participant.joined', participantId: 'kim' });
  at(0, { type: 'participant.call', participantId: 'kim', voiceOnCall: false });
  at(0, { type: 'participant.admitted', participantId: 'kim' });
  at(10, { type: 'participant.reconnecting', participantId: 'kim' }); // the internet fails
  at(11, { type: 'participant.resumed', participantId: 'kim' }); // she calls in
  at(11, { type: 'participant.call', participantId: 'kim', voiceOnCall: true });
  at(30, { type: 'participant.reconnecting', participantId: 'kim' }); // the line goes dead: 2 minutes not counted
  at(32, { type: 'participant.resumed', participantId: 'kim' });
  at(32, { type: 'participant.call', participantId: 'kim', voiceOnCall: true });
  at(40, { type: 'participant.resumed', participantId: 'kim' }); // the browser takes the seat back
  at(40, { type: 'participant.call', participantId: 'kim', voiceOnCall: false });
  at(50, { type: 'session.ended' });
  expect(ledger.report().participants[0]).toMatchObject({ minutesInRoom: 47, minutesOnPhone: 27, reconnects: 3 });
});

it('counts the group’s break minutes (one open when the session ends closes with it), and each person’s speaking time and turns as told', () => {
  const { ledger, at } = scripted('group-2');
  at(0, { type: 'session.started' });
  at(0, { type: 'participant.joined', participantId: 'kim' });
  ledger.spoke([{ participantId: 'kim', spokenMs: 90_000, turns: 3 }]);
  at(20, { type: 'session.break', onBreak: true });
  at(30, { type: 'session.break', onBreak: false });
  ledger.spoke([{ participantId: 'kim', spokenMs: 30_000, turns: 1 }]);
  at(50, { type: 'session.break', onBreak: true });
  at(55, { type: 'session.ended' });
  const report = ledger.report();
  expect(report.minutesOnBreak).toBe(15);
  expect(report.participants[0]).toMatchObject({ participantId: 'kim', minutesSpoken: 2, turns: 4 });
  ledger.spoke([{ participantId: 'kim', spokenMs: 60_000, turns: 1 }]); // after the end: final
  expect(ledger.report().participants[0]!.minutesSpoken).toBe(2);
});

it('carries a ledger over to another node through its stored form: what was counted stays, the death is a drop', () => {
  const { ledger, at } = scripted('group-2');
  at(0, { type: 'session.started' });
  at(0, { type: 'participant.joined', participantId: 'fran' });
  at(0, { type: 'participant.admitted', participantId: 'fran' });
  at(2, { type: 'participant.joined', participantId: 'kim' });
  at(2, { type: 'participant.admitted', participantId: 'kim' });
  at(5, { type: 'participant.audioOnly', participantId: 'kim', audioOnly: true });
  at(6, { type: 'session.break', onBreak: true });
  at(9, { type: 'participant.removed', participantId: 'fran' });
  at(10, { type: 'participant.quality', participantId: 'kim', quality: 'fair' });
  // Written at minute 10; the node dies soon after. JSON, as the store keeps it.
  const stored = JSON.parse(JSON.stringify(ledger.toData())) as ReturnType<AttendanceLedger['toData']>;
  let now = Date.parse('2026-11-24T18:14:00Z');
  const carried = AttendanceLedger.restore('group-2', stored, () => now);
  // Nothing counts between the last write and the return: kim was cut off with everyone.
  expect(carried.report().participants.find((p) => p.participantId === 'kim')).toMatchObject({ minutesInRoom: 8, minutesAudioOnly: 5 });
  carried.record({ type: 'participant.resumed', participantId: 'kim' });
  now = Date.parse('2026-11-24T18:20:00Z');
  carried.record({ type: 'session.ended' });
  const report = carried.report();
  expect(report).toMatchObject({ startedAt: '2026-11-24T18:00:00.000Z', endedAt: '2026-11-24T18:20:00.000Z', minutesOnBreak: 4 });
  const byId = Object.fromEntries(report.participants.map((p) => [p.participantId, p]));
  expect(byId.kim).toMatchObject({ joinedAt: '2026-11-24T18:02:00.000Z', minutesInRoom: 14, minutesAudioOnly: 11, reconnects: 1 });
  expect(byId.fran).toMatchObject({ minutesInRoom: 9, removed: true, leftAt: '2026-11-24T18:09:00.000Z' });
});
