import { expect, it } from 'vitest';
import { TokenBucket } from '../../src/limits/token-bucket.js';

it('allows a burst, then refills at the configured rate', () => {
  let now = 0;
  const bucket = new TokenBucket(10, 3, () => now);
  expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  now += 100; // one token back after 1/10 s
  expect([bucket.take(), bucket.take()]).toEqual([true, false]);
  now += 10_000; // never more than the burst
  expect(Array.from({ length: 5 }, () => bucket.take()).filter(Boolean)).toHaveLength(3);
});
