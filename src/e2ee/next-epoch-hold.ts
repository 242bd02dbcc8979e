import type { FrameKeyRing } from './frame-keys.js';
import { keyIdOf, type FrameCodec } from './media-frames.js';
import type { Bytes } from './sframe.js';

/** How long frames naming the next epoch are held for its keys, from the first of them. */
export const NEXT_EPOCH_HOLD_MS = 250;

/**
 * A sender seals with a new epoch as soon as its own member has applied the commit, so its frames can reach a member
 * still applying the same commit. A frame naming the epoch after the one a receiver holds is held until that epoch's
 * keys are in, at most `boundMs` from the first such frame (none is held past that until an epoch enters), rather than
 * dropped: a gap in a voice, or a picture frozen until its next key frame. A removed member never gets the keys, so it
 * opens none of them after the wait either. A frame from the receiver's own epochs, or any other, is not held.
 */
export class NextEpochHold {
  private holdingUntil: number | undefined;
  private announce: () => void = () => undefined;
  private entered = this.nextEntry();

  constructor(
    private readonly rings: () => Iterable<FrameKeyRing>,
    private readonly boundMs = NEXT_EPOCH_HOLD_MS,
  ) {}

  /** An epoch's keys are in: frames held are tried again, and a frame ahead may be held afresh. */
  epochEntered(): void {
    this.holdingUntil = undefined;
    this.announce();
    this.entered = this.nextEntry();
  }

  /**
   * `open()` now, or, if that fails and the frame names the next epoch of a ring, once more when that epoch enters or
   * the bound passes (`late`). Rejects as `open` does when the frame does not open.
   */
  async open(codec: FrameCodec, data: Bytes, open: () => Promise<Bytes>): Promise<{ frame: Bytes; late: boolean }> {
    try {
      return { frame: await open(), late: false };
    } catch (error) {
      const now = Date.now();
      if (!this.namesNextEpoch(codec, data)) throw error;
      const until = (this.holdingUntil ??= now + this.boundMs);
      if (now >= until) throw error;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.entered, new Promise((resolve) => (timer = setTimeout(resolve, until - now)))]);
      clearTimeout(timer);
      return { frame: await open(), late: true };
    }
  }

  private namesNextEpoch(codec: FrameCodec, data: Bytes): boolean {
    let kid: bigint;
    try {
      kid = keyIdOf(codec, data);
    } catch {
      return false;
    }
    for (const ring of this.rings()) if (ring.namesNextEpoch(kid)) return true;
    return false;
  }

  private nextEntry(): Promise<void> {
    return new Promise((resolve) => (this.announce = resolve));
  }
}
