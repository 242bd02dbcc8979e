/**
 * The grace periods of people whose connection dropped: each runs out after `graceMs` unless its owner comes
 * back first. Generic over who waits, so the rooms domain decides what holding and leaving mean.
 */
export class GraceTimers<Key> {
  private readonly timers = new Map<Key, NodeJS.Timeout>();

  constructor(private readonly graceMs: number) {}

  /** Starts (or restarts) `key`'s grace period; `expire` runs at its end unless `release` came first. */
  hold(key: Key, expire: () => void): void {
    this.release(key);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      expire();
    }, this.graceMs);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** The owner is back (or gone for good): no longer waiting. */
  release(key: Key): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
