import { performance } from 'node:perf_hooks';
import { FRAME_MS } from './phone-audio.js';

/** Frames sent back to back after the event loop stalled, at most; past that the clock starts afresh. */
const MAX_CATCH_UP = 5;

/**
 * One 20 ms clock for every call on the node: each tick, each call mixes and sends one frame. It keeps to the wall
 * clock rather than adding 20 ms to whenever a timer fired, so the frames do not drift late one by one.
 */
export class FrameClock {
  private readonly listeners = new Set<(frame: number) => void>();
  private timer: NodeJS.Timeout | undefined;
  private due = 0;
  /** Counts the frames: whatever is shared between calls (a space's mix) is worked out once per frame. */
  private frame = 0;

  /** `onLate`: a tick ran more than a frame late, so the mixed audio's timing slipped (a metric counts them). */
  constructor(private readonly onLate: () => void = () => undefined) {}

  add(listener: (frame: number) => void): void {
    this.listeners.add(listener);
    if (!this.timer) {
      this.due = performance.now() + FRAME_MS;
      this.schedule();
    }
  }

  delete(listener: (frame: number) => void): void {
    this.listeners.delete(listener);
    if (this.listeners.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.tick(), Math.max(0, this.due - performance.now()));
  }

  private tick(): void {
    const now = performance.now();
    if (now - this.due > FRAME_MS) this.onLate();
    let frames = 0;
    while (this.due <= now && frames < MAX_CATCH_UP) {
      this.frame += 1;
      for (const listener of this.listeners) listener(this.frame);
      this.due += FRAME_MS;
      frames += 1;
    }
    if (this.due <= now) this.due = now + FRAME_MS;
    if (this.listeners.size > 0) this.schedule();
    else this.timer = undefined;
  }
}
