import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { GraceTimers } from '../../src/sessions/grace-timers.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

it('releases a held seat after the grace period unless its owner returns first', () => {
  const holds = new GraceTimers<string>(30_000);
  const expired: string[] = [];
  holds.hold('ana', () => expired.push('ana'));
  holds.hold('ben', () => expired.push('ben'));
  vi.advanceTimersByTime(29_999);
  holds.release('ben');
  vi.advanceTimersByTime(1);
  expect(expired).toEqual(['ana']);
  vi.advanceTimersByTime(60_000);
  expect(expired).toEqual(['ana']);
});

it('restarts the grace period when a seat is held again, and clears everything at once', () => {
  const holds = new GraceTimers<string>(1000);
  const expired: string[] = [];
  holds.hold('cai', () => expired.push('first'));
  vi.advanceTimersByTime(900);
  holds.hold('cai', () => expired.push('second'));
  vi.advanceTimersByTime(900);
  expect(expired).toEqual([]);
  vi.advanceTimersByTime(100);
  expect(expired).toEqual(['second']);
  holds.hold('dee', () => expired.push('dee'));
  holds.clear();
  vi.advanceTimersByTime(5000);
  expect(expired).toEqual(['second']);
});
