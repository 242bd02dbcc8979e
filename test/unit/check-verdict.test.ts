// The pre-session check's verdict from what it measured.
import { describe, expect, it } from 'vitest';
import { verdictOf, type CheckReadings } from '../../src/client/check-verdict.js';

const clean: CheckReadings = { connected: true, path: 'udp', roundTripMs: 30, loss: 0, uplinkBps: 1_500_000, downlinkBps: 1_200_000 };

describe('the check verdict', () => {
  it('a clean, wide link is ready for video; headphones are always advised', () => {
    expect(verdictOf(clean)).toEqual({ verdict: 'video', advice: [expect.stringContaining('headphones')] });
  });

  it('loss, a long round trip or a narrow link recommend audio only, with what to try', () => {
    expect(verdictOf({ ...clean, loss: 0.25 }).verdict).toBe('audio-only');
    expect(verdictOf({ ...clean, loss: 0.25 }).advice[0]).toContain('router');
    expect(verdictOf({ ...clean, roundTripMs: 800 }).verdict).toBe('audio-only');
    expect(verdictOf({ ...clean, uplinkBps: 200_000 }).verdict).toBe('audio-only');
    expect(verdictOf({ ...clean, downlinkBps: 100_000 }).advice[0]).toContain('too slow for video');
    expect(verdictOf({ ...clean, loss: 0.09 }).verdict).toBe('video');
  });

  it('no way through, half the packets lost or a round trip of seconds: the phone', () => {
    expect(verdictOf({ ...clean, connected: false }).verdict).toBe('phone');
    expect(verdictOf({ ...clean, loss: 0.5 }).verdict).toBe('phone');
    expect(verdictOf({ ...clean, roundTripMs: 2000 }).verdict).toBe('phone');
  });

  it('a relayed path is explained, and is no reason by itself to give up video', () => {
    const relayed = verdictOf({ ...clean, path: 'relay-tls' });
    expect(relayed.verdict).toBe('video');
    expect(relayed.advice.some((line) => line.includes('relay'))).toBe(true);
  });
});
