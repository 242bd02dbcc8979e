/**
 * Seats kept for people whose connection dropped: each is released after the grace period unless its owner
 * comes back first. Generic over what a seat is, so the rooms domain decides what holding and leaving mean.
 */
export class SeatHolds<Seat> {
  private readonly timers = new Map<Seat, NodeJS.Timeout>();

  constructor(private readonly graceMs: number) {}

  /** Keeps `seat` for the grace period, then calls `expire` unless `release` came first. */
  hold(seat: Seat, expire: () => void): void {
    this.release(seat);
    const timer = setTimeout(() => {
      this.timers.delete(seat);
      expire();
    }, this.graceMs);
    timer.unref();
    this.timers.set(seat, timer);
  }

  /** The owner is back (or gone for good): the seat is no longer waiting. */
  release(seat: Seat): void {
    clearTimeout(this.timers.get(seat));
    this.timers.delete(seat);
  }

  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
