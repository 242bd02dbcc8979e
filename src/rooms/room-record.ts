import type { AuditEntry, ModerationAction } from '../protocol/events.js';
import { initialFloor, type FloorState } from './floor.js';
import type { SeatState } from './participant.js';

/** A record as plain JSON-ready data: what the shared store keeps. */
export interface RecordData {
  locked: boolean;
  ended: boolean;
  started: boolean;
  spotlight: string | null;
  admitted: string[];
  removed: string[];
  audit: AuditEntry[];
  heldSeats: [string, { seat: SeatState; until: number }][];
  floor: FloorState;
}

/** The audit log keeps the latest entries; a session with more moderation than this is exceptional. */
const AUDIT_LIMIT = 2000;

/**
 * What a room must remember beyond its router's life: who was admitted or removed, whether it is locked or has
 * ended, and the audit log. Plain data, so a store can persist it as JSON.
 */
export class RoomRecord {
  locked = false;
  ended = false;
  /** Whether a facilitator has joined this session yet: clients get no media before. */
  started = false;
  spotlight: string | null = null;
  readonly admitted = new Set<string>();
  readonly removed = new Set<string>();
  readonly audit: AuditEntry[] = [];
  /**
   * Seats of participants the server itself disconnected (a media worker died): theirs again if they rejoin
   * before `until` (epoch ms), the same grace a dropped connection gets.
   */
  readonly heldSeats = new Map<string, { seat: SeatState; until: number }>();

  /** Whether a seat is held for `participantId` and still within its grace. */
  holdsSeatFor(participantId: string): boolean {
    return (this.heldSeats.get(participantId)?.until ?? 0) > Date.now();
  }

  /** The held seat of `participantId`, if still within its grace; taking it releases it. */
  takeHeldSeat(participantId: string): SeatState | undefined {
    const seat = this.holdsSeatFor(participantId) ? this.heldSeats.get(participantId)?.seat : undefined;
    this.heldSeats.delete(participantId);
    return seat;
  }
  readonly floor: FloorState;
  touchedAt = Date.now();

  constructor(
    readonly roomId: string,
    turnLimitMs: number | null = null,
  ) {
    this.floor = initialFloor(turnLimitMs);
  }

  toData(): RecordData {
    return {
      locked: this.locked,
      ended: this.ended,
      started: this.started,
      spotlight: this.spotlight,
      admitted: [...this.admitted],
      removed: [...this.removed],
      audit: this.audit,
      heldSeats: [...this.heldSeats],
      floor: this.floor,
    };
  }

  static fromData(roomId: string, data: RecordData): RoomRecord {
    const record = new RoomRecord(roomId);
    Object.assign(record, { locked: data.locked, ended: data.ended, started: data.started, spotlight: data.spotlight });
    for (const id of data.admitted) record.admitted.add(id);
    for (const id of data.removed) record.removed.add(id);
    record.audit.push(...data.audit);
    for (const [id, held] of data.heldSeats) record.heldSeats.set(id, held);
    Object.assign(record.floor, data.floor);
    return record;
  }

  log(actor: string, action: ModerationAction, target?: string): void {
    this.audit.push({ at: new Date().toISOString(), actor, action, ...(target ? { target } : {}) });
    if (this.audit.length > AUDIT_LIMIT) this.audit.splice(0, this.audit.length - AUDIT_LIMIT);
    this.touch();
  }

  touch(): void {
    this.touchedAt = Date.now();
  }
}
