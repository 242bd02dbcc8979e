// The PIN limits with the embedded store: entries reserve before the lookup, so concurrent wrong guesses never pass
// the session's limit; a right PIN gives its place back; a session nobody guessed at is not held back by guessing
// elsewhere; entries past a limit wait rather than fail, until their call stops waiting.
import { expect, it } from 'vitest';
import { DialInPins } from '../../src/phone/dial-in-pins.js';
import { PinGate, type PinVerdict } from '../../src/phone/pin-gate.js';
import { MemoryKeyValueStore } from '../../src/store/memory-kv.js';

const identity = (roomId: string, participantId: string) => ({ roomId, participantId, displayName: participantId, role: 'client' as const });

async function setUp() {
  const kv = new MemoryKeyValueStore();
  const pins = new DialInPins(kv, { pinLength: 14, pinLifetimeSeconds: 3600 });
  const notices: [string, number][] = [];
  const gate = new PinGate(pins, kv, { pinFailuresPerSessionPerHour: 6, pinFailuresPerMinute: 5, pinFailureNoticeAt: 3 }, (roomId, n) => notices.push([roomId, n]));
  return { kv, pins, gate, notices };
}

const outcome = (verdict: PinVerdict) => ('seat' in verdict ? 'seat' : verdict.refused);

it('a PIN is the session’s code then the seat’s own, the same for the seat on every join, another for another session', async () => {
  const { pins } = await setUp();
  const ana = await pins.pinFor(identity('group-1', 'ana'));
  const ben = await pins.pinFor(identity('group-1', 'ben'));
  const other = await pins.pinFor(identity('group-2', 'ana'));
  expect(ana.pin).toMatch(/^\d{14}$/);
  expect(ben.pin.slice(0, 4)).toBe(ana.pin.slice(0, 4));
  expect(other.pin.slice(0, 4)).not.toBe(ana.pin.slice(0, 4));
  expect((await pins.pinFor(identity('group-1', 'ana'))).pin).toBe(ana.pin);
  expect(await pins.roomOf(ana.pin)).toBe('group-1');
  expect((await pins.seatFor(other.pin))?.roomId).toBe('group-2');
});

it('twenty concurrent wrong guesses at one session: six are looked at, the rest wait; the staff are told from the third; another session is not slowed', async () => {
  const { pins, gate, notices } = await setUp();
  const ana = await pins.pinFor(identity('group-1', 'ana'));
  const hal = await pins.pinFor(identity('group-2', 'hal'));
  let waiting = true;
  const guesses = Array.from({ length: 20 }, (_, i) => gate.check(`${ana.pin.slice(0, 4)}${String(i).padStart(10, '0')}`, () => waiting));
  await new Promise((resolve) => setTimeout(resolve, 50));
  // Hal's session nobody guessed at: his entry goes through at once.
  expect(outcome(await gate.check(hal.pin, () => true))).toBe('seat');
  waiting = false; // the guessing calls' prompts end
  const results = (await Promise.all(guesses)).map(outcome);
  expect(results.filter((r) => r === 'wrong')).toHaveLength(6);
  expect(results.filter((r) => r === 'limited')).toHaveLength(14);
  expect(notices.map(([, n]) => n)).toEqual([3, 4, 5, 6]);
  expect(notices.every(([room]) => room === 'group-1')).toBe(true);
  // Ana's own right PIN waits too while her session is at its limit: slowed, not refused.
  expect(outcome(await gate.check(ana.pin, () => false))).toBe('limited');
});

it('entries naming no live session count against the cluster’s limit only', async () => {
  const { pins, gate } = await setUp();
  const ana = await pins.pinFor(identity('group-1', 'ana'));
  let waiting = true;
  const unknown = Array.from({ length: 8 }, (_, i) => gate.check(`9${String(i).padStart(13, '0')}`.replace(/^9/, ana.pin[0] === '9' ? '8' : '9'), () => waiting));
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(outcome(await gate.check(ana.pin, () => true))).toBe('seat');
  waiting = false;
  const results = (await Promise.all(unknown)).map(outcome);
  expect(results.filter((r) => r === 'unknown-session')).toHaveLength(5);
  expect(results.filter((r) => r === 'limited')).toHaveLength(3);
});
