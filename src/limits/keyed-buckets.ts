import { TokenBucket } from './token-bucket.js';

/** Buckets unused this long are forgotten once there are many, so a scan of many keys cannot grow the map for ever. */
const FORGET_AFTER_MS = 120_000;
const MANY = 10_000;

/** A token bucket per key (a staff member, a client address), made on first use: `burst` at once, refilled at `perSecond`. */
export class KeyedBuckets {
  private readonly buckets = new Map<string, { bucket: TokenBucket; usedAt: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  take(key: string): boolean {
    const now = Date.now();
    let entry = this.buckets.get(key);
    if (!entry) {
      if (this.buckets.size >= MANY) this.forgetIdle(now);
      this.buckets.set(key, (entry = { bucket: new TokenBucket(this.perSecond, this.burst), usedAt: now }));
    }
    entry.usedAt = now;
    return entry.bucket.take();
  }

  private forgetIdle(now: number): void {
    for (const [key, { usedAt }] of this.buckets) if (now - usedAt > FORGET_AFTER_MS) this.buckets.delete(key);
  }
}
