/**
 * Whether a room has its facilitator. Co-facilitators keep authority while the facilitator is away; only an
 * absence longer than `absenceMs` puts the room on hold, and the facilitator's return lifts it.
 */
export class FacilitatorPresence {
  private hold = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly absenceMs: number,
    private readonly onHoldStarted: () => void,
  ) {}

  get onHold(): boolean {
    return this.hold;
  }

  /** A facilitator is in: a pending or running hold ends. Answers whether the room was on hold. */
  arrived(): boolean {
    clearTimeout(this.timer);
    this.timer = undefined;
    const wasOnHold = this.hold;
    this.hold = false;
    return wasOnHold;
  }

  /** No facilitator is in: the hold starts after the absence period unless one arrives first. */
  absent(): void {
    if (this.timer || this.hold) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.hold = true;
      this.onHoldStarted();
    }, this.absenceMs);
    this.timer.unref();
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
