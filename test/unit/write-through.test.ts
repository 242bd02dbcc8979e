import { expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { MemoryKeyValueStore } from '../../src/store/memory-kv.js';
import { WriteThrough } from '../../src/store/write-through.js';

const logger = createLogger('silent', (id) => id);

/** A memory store that counts what reaches it, and can be made to fail or to stay away. */
function countingStore() {
  const kv = new MemoryKeyValueStore();
  const calls = { set: 0, del: 0 };
  let failing = false;
  const set = kv.set.bind(kv);
  const del = kv.del.bind(kv);
  kv.set = async (...args) => {
    if (failing) throw new Error('store away');
    calls.set += 1;
    return set(...args);
  };
  kv.del = async (key) => {
    calls.del += 1;
    return del(key);
  };
  return { kv, calls, fail: (on: boolean) => (failing = on) };
}

it('writes a key only when its value changed, again after a heartbeat, afresh after the store came back, and deletes it for no value', async () => {
  vi.useFakeTimers();
  try {
    const { kv, calls } = countingStore();
    const writes = new WriteThrough(kv, 'test state', logger, 1000);
    await writes.write('k', 'a', 60_000, 'a at 1');
    await writes.write('k', 'a', 60_000, 'a at 2');
    expect(calls.set).toBe(1);
    expect(await kv.get('k')).toBe('a at 1'); // what is stored may carry more than what is compared
    await writes.write('k', 'b', 60_000);
    expect([calls.set, await kv.get('k')]).toEqual([2, 'b']);
    vi.advanceTimersByTime(1000);
    await writes.write('k', 'b', 60_000);
    expect(calls.set).toBe(3); // the heartbeat: unchanged, written again
    kv.emit('availability', true);
    await writes.write('k', 'b', 60_000);
    expect(calls.set).toBe(4); // a restarted store may have lost it
    await writes.write('k', undefined, 60_000);
    await writes.write('k', undefined, 60_000);
    expect([calls.del, await kv.get('k')]).toEqual([1, undefined]);
    writes.forget('k');
    await writes.write('k', undefined, 60_000);
    expect(calls.del).toBe(2);
  } finally {
    vi.useRealTimers();
  }
});

it('runs one pass at a time; a failed write is retried by the next pass, not remembered as written', async () => {
  const { kv, calls, fail } = countingStore();
  const writes = new WriteThrough(kv, 'test state', logger);
  let release!: () => void;
  const slow = writes.pass(() => new Promise<void>((resolve) => (release = resolve)));
  let ranWhileBusy = false;
  await writes.pass(async () => void (ranWhileBusy = true));
  expect(ranWhileBusy).toBe(false);
  release();
  await slow;

  fail(true);
  await writes.pass(() => writes.write('k', 'a', 60_000)); // logged, not thrown
  fail(false);
  await writes.pass(() => writes.write('k', 'a', 60_000));
  expect([calls.set, await kv.get('k')]).toEqual([1, 'a']);
});
