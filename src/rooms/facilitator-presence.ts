import { isModerator } from '../protocol/roles.js';
import type { Participant } from './participant.js';

/**
 * Whether a room's group is led. Co-facilitators keep authority while the facilitator is away; only an absence
 * longer than `absenceMs` puts the room on hold, and the facilitator's return lifts it. Staff who all step out
 * to side rooms put the group on hold at once: they chose to leave it, and a staff member's return lifts it.
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

  /**
   * Looks at who is in the session: the group is led while a facilitator is in the session and some staff member
   * is in the group. Answers whether the hold started or ended now (a hold after an absence starts later).
   */
  review(people: Iterable<Participant>): boolean {
    const staff = [...people].filter((p) => isModerator(p.role));
    if (!staff.some((p) => p.role === 'facilitator')) {
      this.startAbsence();
      return false;
    }
    return this.setHold(!staff.some((p) => p.sideRoomId === null));
  }

  dispose(): void {
    clearTimeout(this.timer);
  }

  /** No facilitator is in: the hold starts after the absence period unless one arrives first. */
  private startAbsence(): void {
    if (this.timer || this.hold) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.hold = true;
      this.onHoldStarted();
    }, this.absenceMs);
    this.timer.unref();
  }

  /** Ends a pending absence and sets the hold; answers whether it changed. */
  private setHold(hold: boolean): boolean {
    clearTimeout(this.timer);
    this.timer = undefined;
    const changed = this.hold !== hold;
    this.hold = hold;
    return changed;
  }
}
