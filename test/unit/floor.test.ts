import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Floor, initialFloor } from '../../src/rooms/floor.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-11-23T10:00:00Z'));
});
afterEach(() => vi.useRealTimers());

function floor(turnLimitMs: number | null = null, warningMs = 15_000) {
  const state = initialFloor(turnLimitMs);
  const f = new Floor(state, warningMs);
  const events: string[] = [];
  f.on('holderChanged', (from, to) => events.push(`holder ${from}->${to}`));
  f.on('granted', (id, source, waited) => events.push(`granted ${id} ${source} ${waited}`));
  f.on('warning', (holder) => events.push(`warning ${holder}`));
  return { f, state, events };
}

describe('the hand queue', () => {
  it('serves first raised first, and a repeated raise keeps its place', () => {
    const { f } = floor();
    expect(['a', 'b', 'c'].map((id) => f.raise(id))).toEqual([1, 2, 3]);
    expect(f.raise('a')).toBe(1);
    expect(f.view().queue).toEqual(['a', 'b', 'c']);
  });

  it('orders concurrent raises by arrival, each once', () => {
    const { f } = floor();
    const ids = Array.from({ length: 8 }, (_, i) => `p${i}`);
    const positions = [...ids, ...ids].map((id) => f.raise(id));
    expect(positions.slice(0, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(positions.slice(8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(f.queueLength()).toBe(8);
  });

  it('lowers, moves within bounds and removes', () => {
    const { f } = floor();
    for (const id of ['a', 'b', 'c', 'd']) f.raise(id);
    f.move('d', 1);
    expect(f.view().queue).toEqual(['d', 'a', 'b', 'c']);
    f.move('d', 99);
    expect(f.view().queue).toEqual(['a', 'b', 'c', 'd']);
    f.move('a', 0);
    expect(f.view().queue).toEqual(['a', 'b', 'c', 'd']);
    f.lower('b');
    expect(f.position('c')).toBe(2);
    expect(f.position('b')).toBe(0);
    expect(() => f.move('b', 1)).toThrowError(/no hand raised/);
    f.clear();
    expect(f.view().queue).toEqual([]);
  });

  it('refuses a raise from the holder and the next from an empty queue', () => {
    const { f } = floor();
    f.grant('a');
    expect(() => f.raise('a')).toThrowError(/already have the floor/);
    expect(() => f.grantNext()).toThrowError(/no one is waiting/);
  });
});

describe('the floor', () => {
  it('gives the floor to the next, lowering their hand and reporting how long they waited', () => {
    const { f, events } = floor();
    f.raise('a');
    vi.advanceTimersByTime(30_000);
    f.raise('b');
    expect(f.grantNext()).toBe('a');
    expect(f.holder).toBe('a');
    expect(f.view().queue).toEqual(['b']);
    expect(events).toEqual(['holder null->a', 'granted a queue 30000']);
  });

  it('gives the floor directly to anyone, and takes it back', () => {
    const { f, events } = floor();
    f.raise('a');
    f.grant('z');
    f.takeBack();
    expect(f.holder).toBeNull();
    expect(f.view().queue).toEqual(['a']);
    expect(events).toEqual(['holder null->z', 'granted z direct null', 'holder z->null']);
  });

  it('returns the floor when its holder leaves, and drops a leaver from the queue', () => {
    const { f } = floor();
    f.raise('b');
    f.grant('a');
    f.participantLeft('a');
    f.participantLeft('b');
    expect(f.view()).toMatchObject({ holder: null, queue: [] });
  });
});

describe('timed turns', () => {
  it('warns before the end, then passes the floor to the next raised hand', () => {
    const { f, events } = floor(120_000, 15_000);
    f.raise('b');
    f.grant('a');
    expect(f.view().turnEndsAt).toBe('2026-11-23T10:02:00.000Z');
    vi.advanceTimersByTime(104_999);
    expect(events).not.toContain('warning a');
    vi.advanceTimersByTime(1);
    expect(events).toContain('warning a');
    vi.advanceTimersByTime(15_000);
    expect(f.holder).toBe('b');
    expect(events.at(-1)).toBe('granted b timer 120000');
    expect(f.view().turnEndsAt).toBe('2026-11-23T10:04:00.000Z');
  });

  it('returns the floor to the facilitator when no one is waiting', () => {
    const { f } = floor(60_000);
    f.grant('a');
    vi.advanceTimersByTime(60_000);
    expect(f.holder).toBeNull();
    expect(f.view().turnEndsAt).toBeNull();
  });

  it('extends the current turn, and can time an untimed one', () => {
    const { f } = floor(60_000);
    f.grant('a');
    vi.advanceTimersByTime(50_000);
    f.extend(30_000);
    vi.advanceTimersByTime(30_000);
    expect(f.holder).toBe('a');
    vi.advanceTimersByTime(10_000);
    expect(f.holder).toBeNull();

    const untimed = floor(null).f;
    untimed.grant('x');
    expect(untimed.view().turnEndsAt).toBeNull();
    untimed.extend(20_000);
    vi.advanceTimersByTime(20_000);
    expect(untimed.holder).toBeNull();
  });

  it('keeps running from serialised state (a restored room re-arms the timer)', () => {
    const { f, state } = floor(60_000);
    f.grant('a');
    f.raise('b');
    f.dispose();
    const restored = new Floor(JSON.parse(JSON.stringify(state)), 15_000);
    expect(restored.view()).toEqual(f.view());
    vi.advanceTimersByTime(60_000);
    expect(restored.holder).toBe('b');
  });
});
