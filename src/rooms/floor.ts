import { EventEmitter } from 'node:events';
import type { FloorMode, FloorView } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import type { FloorState } from '../store/room-state.js';

export function initialFloor(turnLimitMs: number | null): FloorState {
  return { mode: 'open', queue: [], holder: null, turnLimitMs, turnEndsAt: null };
}

export type GrantSource = 'queue' | 'direct' | 'timer';

type FloorEvents = {
  /** Anything in the view changed. */
  changed: [];
  /** The floor moved from one holder (or none) to another (or none). */
  holderChanged: [previous: string | null, next: string | null];
  granted: [participantId: string, source: GrantSource, waitedMs: number | null];
  warning: [holder: string, endsAt: number];
};

/**
 * Turn-taking for one room: an ordered queue of raised hands, one floor holder, and optional timed turns with a
 * warning before the end. It knows nothing of media: the room pauses and resumes producers when it changes.
 */
export class Floor extends EventEmitter<FloorEvents> {
  private endTimer: NodeJS.Timeout | undefined;
  private warningTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly state: FloorState,
    private readonly warningMs: number,
  ) {
    super();
    if (state.holder && state.turnEndsAt) this.armTimers();
  }

  get mode(): FloorMode {
    return this.state.mode;
  }

  get holder(): string | null {
    return this.state.holder;
  }

  /** 1-based place in the queue, or 0 when not in it. */
  position(participantId: string): number {
    return this.state.queue.findIndex((entry) => entry.participantId === participantId) + 1;
  }

  view(): FloorView {
    return {
      mode: this.state.mode,
      holder: this.state.holder,
      queue: this.state.queue.map((entry) => entry.participantId),
      turnLimitSeconds: this.state.turnLimitMs === null ? null : this.state.turnLimitMs / 1000,
      turnEndsAt: this.state.turnEndsAt === null ? null : new Date(this.state.turnEndsAt).toISOString(),
    };
  }

  queueLength(): number {
    return this.state.queue.length;
  }

  raise(participantId: string): number {
    if (this.state.holder === participantId) throw new CircleError('BAD_REQUEST', 'you already have the floor');
    if (!this.position(participantId)) {
      this.state.queue.push({ participantId, raisedAt: Date.now() });
      this.emit('changed');
    }
    return this.position(participantId);
  }

  /** Lowers a hand (one's own, or a facilitator removing someone from the queue). */
  lower(participantId: string): void {
    const index = this.position(participantId) - 1;
    if (index < 0) return;
    this.state.queue.splice(index, 1);
    this.emit('changed');
  }

  /** Gives the floor to the first in the queue. */
  grantNext(source: GrantSource = 'queue'): string {
    const next = this.state.queue[0];
    if (!next) throw new CircleError('NOT_FOUND', 'no one is waiting for the floor');
    this.grant(next.participantId, source);
    return next.participantId;
  }

  /** Gives the floor to anyone; if they had a hand raised, it comes down. */
  grant(participantId: string, source: GrantSource = 'direct'): void {
    const index = this.position(participantId) - 1;
    const waitedMs = index >= 0 ? Date.now() - this.state.queue[index]!.raisedAt : null;
    if (index >= 0) this.state.queue.splice(index, 1);
    this.setHolder(participantId);
    this.emit('granted', participantId, source, waitedMs);
  }

  takeBack(): void {
    this.setHolder(null);
  }

  /** Moves someone in the queue to a 1-based position (clamped to the queue). */
  move(participantId: string, toPosition: number): void {
    const index = this.position(participantId) - 1;
    if (index < 0) throw new CircleError('NOT_FOUND', 'that participant has no hand raised');
    const [entry] = this.state.queue.splice(index, 1);
    const target = Math.min(Math.max(toPosition, 1), this.state.queue.length + 1) - 1;
    this.state.queue.splice(target, 0, entry!);
    this.emit('changed');
  }

  clear(): void {
    this.state.queue.length = 0;
    this.emit('changed');
  }

  setMode(mode: FloorMode): void {
    if (this.state.mode === mode) return;
    this.state.mode = mode;
    this.emit('changed');
  }

  setTurnLimit(ms: number | null): void {
    this.state.turnLimitMs = ms;
    this.emit('changed');
  }

  /** Adds time to the current turn (or starts a timer for it, when turns are untimed). */
  extend(ms: number): void {
    if (!this.state.holder) throw new CircleError('NOT_FOUND', 'no one has the floor');
    this.state.turnEndsAt = Math.max(this.state.turnEndsAt ?? Date.now(), Date.now()) + ms;
    this.armTimers();
    this.emit('changed');
  }

  /** Someone left the room: their hand comes down and, if they held it, the floor returns to the facilitator. */
  participantLeft(participantId: string): void {
    if (this.state.holder === participantId) this.setHolder(null);
    this.lower(participantId);
  }

  dispose(): void {
    this.clearTimers();
  }

  private setHolder(next: string | null): void {
    const previous = this.state.holder;
    this.state.holder = next;
    this.state.turnEndsAt = next && this.state.turnLimitMs !== null ? Date.now() + this.state.turnLimitMs : null;
    this.armTimers();
    if (previous !== next) this.emit('holderChanged', previous, next);
    this.emit('changed');
  }

  private armTimers(): void {
    this.clearTimers();
    const { holder, turnEndsAt } = this.state;
    if (!holder || turnEndsAt === null) return;
    const remaining = turnEndsAt - Date.now();
    if (remaining > this.warningMs) {
      this.warningTimer = setTimeout(() => this.emit('warning', holder, turnEndsAt), remaining - this.warningMs);
      this.warningTimer.unref?.();
    }
    this.endTimer = setTimeout(() => this.endTurn(), Math.max(remaining, 0));
    this.endTimer.unref?.();
  }

  /** The turn is over: the floor passes to the next raised hand, or back to the facilitator. */
  private endTurn(): void {
    if (this.state.queue.length) this.grantNext('timer');
    else this.setHolder(null);
  }

  private clearTimers(): void {
    clearTimeout(this.warningTimer);
    clearTimeout(this.endTimer);
    this.warningTimer = this.endTimer = undefined;
  }
}
