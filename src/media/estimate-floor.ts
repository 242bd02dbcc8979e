import type { types } from 'mediasoup';
import { SIMULCAST_LAYERS } from '../protocol/simulcast.js';

/** As long as the link ladder reads no estimate after video returns (`ESTIMATE_CATCHES_UP_MS`). */
const FLOOR_HELD_MS = 10_000;

/**
 * A floor under a receive transport's bandwidth estimate while video comes back after audio-only.
 *
 * mediasoup's congestion controller (libwebrtc's) resumes from the starved link's estimate, and with only audio to
 * carry it raises it no further than about 1.5× the bitrate it sees acknowledged: below even the smallest layer of
 * one camera. mediasoup then sends no layer at all, nothing more is acknowledged, and video never comes back (seen on
 * a loaded machine: 36 kbit/s estimated, no probe, no video for 30 s). A floor of each running video's smallest
 * layer lets those layers go at once; the estimate grows from what they carry, and the floor is lifted once the
 * ladder reads the estimate again, so a link that is still weak shows it in loss and estimate as before.
 */
export class EstimateFloor {
  private timer: NodeJS.Timeout | undefined;

  /** `ceilingBps`: never above what a fresh transport starts with (`mediasoup.initialAvailableOutgoingBitrate`). */
  constructor(private readonly ceilingBps: number) {}

  /** Video returns on `transport`, `videos` streams of it running. */
  async videoReturns(transport: types.Transport, videos: number): Promise<void> {
    if (videos === 0 || transport.closed) return;
    this.stop();
    const floor = Math.min(this.ceilingBps, videos * SIMULCAST_LAYERS[0].maxBitrate);
    await transport.setMinOutgoingBitrate(floor);
    this.timer = setTimeout(() => {
      if (!transport.closed) transport.setMinOutgoingBitrate(0).catch(() => undefined); // closing meanwhile needs nothing
    }, FLOOR_HELD_MS).unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
