import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ESTIMATE_CATCHES_UP_MS, QualityLadder, type LinkSample } from '../../src/quality/ladder.js';

const settings = loadConfig({ env: { NODE_ENV: 'test' } }).quality;
const clean: LinkSample = { loss: 0, bitrateBps: 2_000_000 };
const lossy: LinkSample = { loss: 0.25, bitrateBps: undefined };
const weak: LinkSample = { loss: 0.08, bitrateBps: 2_000_000 };
const starved: LinkSample = { loss: 0, bitrateBps: 150_000 };

/** Feeds one sample a second from `from` to `to` (ms) and returns each change as [time, level]. */
function run(ladder: QualityLadder, sample: LinkSample, from: number, to: number): [number, number][] {
  const steps: [number, number][] = [];
  for (let now = from; now <= to; now += 1000) {
    const level = ladder.observe(sample, now);
    if (level !== undefined) steps.push([now, level]);
  }
  return steps;
}

/** Feeds one sample a second from `from` until the ladder changes level; returns when. */
function untilStep(ladder: QualityLadder, sample: LinkSample, from: number): number {
  for (let now = from; now < from + 600_000; now += 1000) if (ladder.observe(sample, now) !== undefined) return now;
  throw new Error('the ladder never moved');
}

describe('the audio-only ladder', () => {
  it('drops to audio-only after heavy loss lasts degradeAfterMs, not before', () => {
    const ladder = new QualityLadder(3, settings);
    run(ladder, clean, 0, 10_000);
    const steps = run(ladder, lossy, 11_000, 30_000);
    expect(steps).toEqual([[11_000 + settings.degradeAfterMs, 0]]);
  });

  it('drops on a starved bitrate estimate while video flows', () => {
    const ladder = new QualityLadder(3, settings);
    expect(run(ladder, starved, 0, 10_000)[0]).toEqual([settings.degradeAfterMs, 0]);
  });

  it('ignores the bitrate estimate while audio-only (it is stale without video) and recovers on loss alone', () => {
    const ladder = new QualityLadder(3, settings);
    run(ladder, lossy, 0, 10_000);
    expect(ladder.level).toBe(0);
    const steps = run(ladder, { loss: 0, bitrateBps: 150_000 }, 11_000, 11_000 + settings.recoverAfterMs);
    expect(steps).toEqual([[11_000 + settings.recoverAfterMs, 1]]);
  });

  it('comes back one layer at a time, each after stepUpAfterMs of a clean link', () => {
    const ladder = new QualityLadder(3, settings);
    run(ladder, lossy, 0, 10_000);
    const steps = run(ladder, clean, 11_000, 60_000);
    const first = 11_000 + settings.recoverAfterMs;
    // The first step up waits for the congestion estimate to catch up with the healed link (ESTIMATE_CATCHES_UP_MS).
    expect(steps).toEqual([
      [first, 1],
      [first + ESTIMATE_CATCHES_UP_MS + settings.stepUpAfterMs, 2],
      [first + ESTIMATE_CATCHES_UP_MS + 2 * settings.stepUpAfterMs, 3],
    ]);
  });

  it('back from audio-only, reads the estimate only once it has caught up; loss counts throughout', () => {
    const healing: LinkSample = { loss: 0, bitrateBps: 120_000 };
    const ladder = new QualityLadder(3, settings);
    run(ladder, lossy, 0, 10_000);
    const back = untilStep(ladder, { loss: 0, bitrateBps: undefined }, 11_000);
    expect(ladder.level).toBe(1);
    // The starved estimate the controller resumes from neither drops the link again nor lets it climb.
    expect(run(ladder, healing, back + 1000, back + ESTIMATE_CATCHES_UP_MS - 1000)).toEqual([]);
    // Once caught up, a starved estimate is believed.
    expect(run(ladder, healing, back + ESTIMATE_CATCHES_UP_MS, back + ESTIMATE_CATCHES_UP_MS + settings.degradeAfterMs)).toEqual([
      [back + ESTIMATE_CATCHES_UP_MS + settings.degradeAfterMs, 0],
    ]);
    // Heavy loss right after the return still drops it.
    const again = new QualityLadder(3, settings);
    run(again, lossy, 0, 10_000);
    const returned = untilStep(again, { loss: 0, bitrateBps: undefined }, 11_000);
    expect(run(again, lossy, returned + 1000, returned + 1000 + settings.degradeAfterMs)).toEqual([[returned + 1000 + settings.degradeAfterMs, 0]]);
  });

  it('steps down one layer at a time on moderate loss, never to audio-only on it', () => {
    const ladder = new QualityLadder(3, settings);
    const steps = run(ladder, weak, 0, 60_000);
    expect(steps.map(([, level]) => level)).toEqual([2, 1]);
  });

  it('does not flap on a link at the edge: each failed try at video doubles the wait, up to the cap', () => {
    const ladder = new QualityLadder(3, settings);
    let now = 0;
    run(ladder, lossy, now, (now += 5000));
    const waits: number[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const start = now + 1000;
      const recoveredAt = untilStep(ladder, { loss: 0, bitrateBps: undefined }, start);
      expect(ladder.level).toBe(1);
      waits.push(recoveredAt - start);
      // Video brings the loss straight back.
      now = untilStep(ladder, lossy, recoveredAt + 1000);
      expect(ladder.level).toBe(0);
    }
    const first = settings.recoverAfterMs;
    expect(waits).toEqual([first, 2 * first, 4 * first, 8 * first, 16 * first].map((w) => Math.min(w, settings.maxRecoverAfterMs)));
  });

  it('a two-level uplink ladder: video off on heavy loss, back after a clean spell', () => {
    const ladder = new QualityLadder(1, settings);
    expect(run(ladder, weak, 0, 30_000)).toEqual([]);
    expect(run(ladder, lossy, 31_000, 40_000)).toEqual([[31_000 + settings.degradeAfterMs, 0]]);
    expect(run(ladder, clean, 41_000, 80_000)).toEqual([[41_000 + settings.recoverAfterMs, 1]]);
  });

  it('holds steady with no readings at all', () => {
    const ladder = new QualityLadder(3, settings);
    expect(run(ladder, { loss: undefined, bitrateBps: undefined }, 0, 60_000)).toEqual([]);
  });
});
