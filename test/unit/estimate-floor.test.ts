import { afterEach, expect, it, vi } from 'vitest';
import type { types } from 'mediasoup';
import { EstimateFloor } from '../../src/media/estimate-floor.js';

afterEach(() => vi.useRealTimers());

/** A receive transport as the floor sees it: the minimum outgoing bitrates it is given, in order. */
function transport() {
  const minimums: number[] = [];
  const fake = { closed: false, setMinOutgoingBitrate: async (bps: number) => void minimums.push(bps) };
  return { fake, minimums, asTransport: fake as unknown as types.Transport };
}

it('floors the estimate at each running video’s smallest layer, never above a fresh transport’s start, and lifts it after 10 s', async () => {
  vi.useFakeTimers();
  const { minimums, asTransport } = transport();
  const floor = new EstimateFloor(1_000_000);
  await floor.videoReturns(asTransport, 2);
  expect(minimums).toEqual([300_000]);
  vi.advanceTimersByTime(9_999);
  expect(minimums).toEqual([300_000]);
  vi.advanceTimersByTime(1);
  expect(minimums).toEqual([300_000, 0]);

  await floor.videoReturns(asTransport, 11);
  expect(minimums.at(-1)).toBe(1_000_000);
});

it('does nothing without video or on a closed transport; a new return restarts the 10 s; stop keeps the floor from being lifted twice', async () => {
  vi.useFakeTimers();
  const { fake, minimums, asTransport } = transport();
  const floor = new EstimateFloor(1_000_000);
  await floor.videoReturns(asTransport, 0);
  expect(minimums).toEqual([]);

  await floor.videoReturns(asTransport, 1);
  vi.advanceTimersByTime(6_000);
  await floor.videoReturns(asTransport, 1);
  vi.advanceTimersByTime(6_000);
  expect(minimums).toEqual([150_000, 150_000]);
  vi.advanceTimersByTime(4_000);
  expect(minimums).toEqual([150_000, 150_000, 0]);

  await floor.videoReturns(asTransport, 1);
  floor.stop();
  vi.advanceTimersByTime(20_000);
  expect(minimums).toEqual([150_000, 150_000, 0, 150_000]);

  fake.closed = true;
  await floor.videoReturns(asTransport, 1);
  expect(minimums).toHaveLength(4);
});
