import type { RoomRecord } from './room-record.js';

/** The lengths a facilitator may choose, in minutes. */
export const BREAK_MINUTES = [5, 10, 15] as const;
export type BreakMinutes = (typeof BREAK_MINUTES)[number];

/**
 * The group's break: when it ends, kept in the room's record (so a reopened room keeps it), and the timer that ends it.
 * While it runs, no client's microphone or camera is forwarded (`RoomMedia.mayFlow`); wishes, locks, hands and the
 * floor are untouched, so when it ends everyone's media is as it was before.
 */
export class BreakClock {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly record: RoomRecord,
    /** The break began or ended: the SFU and everyone catch up. */
    private readonly changed: (onBreak: boolean) => Promise<void>,
    private readonly failed: (error: unknown) => void,
  ) {
    // A room reopened during a break (a worker died, the node failed over) ends it on time.
    this.arm();
  }

  get onBreak(): boolean {
    return this.record.breakEndsAt !== null;
  }

  async start(minutes: BreakMinutes, now = Date.now()): Promise<void> {
    this.record.setBreakEndsAt(now + minutes * 60_000);
    this.arm();
    await this.changed(true);
  }

  /** Ends it now (early, or on time): answers whether there was one. */
  async end(): Promise<boolean> {
    if (!this.onBreak) return false;
    this.record.setBreakEndsAt(null);
    this.arm();
    await this.changed(false);
    return true;
  }

  dispose(): void {
    clearTimeout(this.timer);
  }

  private arm(): void {
    clearTimeout(this.timer);
    const endsAt = this.record.breakEndsAt;
    if (endsAt === null) return;
    this.timer = setTimeout(() => this.end().catch(this.failed), Math.max(0, endsAt - Date.now())).unref();
  }
}
