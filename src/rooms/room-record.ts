import type { AuditEntry, MediaLocks } from '../protocol/events.js';
import type { ModerationAction } from '../protocol/moderation-actions.js';
import { CircleError } from '../protocol/errors.js';
import type { Role } from '../protocol/roles.js';
import type { FloorState, HeldSeat, RecordData, Seat, SessionSettings, StandingDecisions } from '../store/room-state.js';
import { initialFloor } from './floor.js';

const NO_LOCKS: MediaLocks = { audio: false, video: false };

/** The audit log keeps the latest entries; a session with more moderation than this is exceptional. */
const AUDIT_LIMIT = 2000;

/** Side rooms listed at once at most: a group of 25 holds at most 12 (each has staff and someone with them). */
const SIDE_ROOM_LIMIT = 50;

/** The node's settings a session's own override. */
export type SessionDefaults = { [K in keyof SessionSettings]: NonNullable<SessionSettings[K]> };

/** Who is asking to enter: enough to decide from the record alone. */
export interface Entrant {
  participantId: string;
  role: Role;
}

/**
 * What a room must remember beyond its router's life: who was admitted or removed, whether it is locked or has
 * ended, the floor, the audit log, and seats held for people the server disconnected. Every rule about this
 * durable state lives here: each change goes through a method that keeps the record's invariants and marks it
 * changed (`touchedAt`), so the store writes it and retention counts from it.
 */
export class RoomRecord {
  private lockedNow = false;
  private groupMessagesNow = true;
  private callsIntoHeldSeatsNow = true;
  private focusNow = false;
  private askCheckInNow = true;
  private breakEndsAtNow: number | null = null;
  private endedNow = false;
  private startedNow = false;
  private startedAtNow: number | null = null;
  private spotlightNow: string | null = null;
  private readonly admittedIds = new Set<string>();
  private readonly removedIds = new Set<string>();
  private readonly auditLog: AuditEntry[] = [];
  private auditDroppedCount = 0;
  private readonly held = new Map<string, HeldSeat>();
  private readonly decisions = new Map<string, StandingDecisions>();
  private readonly sideRooms = new Set<string>();
  private sessionSettings: SessionSettings = { requireAdmission: null, maxParticipants: null, e2eeMode: null, e2eeDialIn: null };
  readonly floor: FloorState;
  touchedAt = Date.now();

  constructor(
    readonly roomId: string,
    turnLimitMs: number | null = null,
  ) {
    this.floor = initialFloor(turnLimitMs);
  }

  /** The session's settings in force: its own where the clinic set them, else the node's `defaults`. */
  settingsOver(defaults: SessionDefaults): SessionDefaults {
    return {
      requireAdmission: this.sessionSettings.requireAdmission ?? defaults.requireAdmission,
      maxParticipants: this.sessionSettings.maxParticipants ?? defaults.maxParticipants,
      e2eeMode: this.sessionSettings.e2eeMode ?? defaults.e2eeMode,
      e2eeDialIn: this.sessionSettings.e2eeDialIn ?? defaults.e2eeDialIn,
    };
  }

  /** A newcomer waits to be admitted: a client, where the session asks for admission (or has not started yet). */
  mustWait(role: Role, defaults: SessionDefaults): boolean {
    return role === 'client' && (this.settingsOver(defaults).requireAdmission || !this.started);
  }

  /**
   * The clinic sets the session up before it starts: the waiting room, its size, how the floor works. Once a
   * facilitator has started it, its facilitators change it live instead.
   */
  configure(settings: Partial<SessionSettings> & { floorMode?: FloorState['mode']; turnLimitMs?: number | null }): void {
    if (this.startedNow || this.endedNow) throw new CircleError('BAD_REQUEST', 'the session has started; its facilitators change it live');
    const { floorMode, turnLimitMs, ...own } = settings;
    this.sessionSettings = { ...this.sessionSettings, ...own };
    if (floorMode !== undefined) this.floor.mode = floorMode;
    if (turnLimitMs !== undefined) this.floor.turnLimitMs = turnLimitMs;
    this.touch();
  }

  /** Whether clients may write to everyone (staff always may). */
  get groupMessages(): boolean {
    return this.groupMessagesNow;
  }

  get callsIntoHeldSeats(): boolean {
    return this.callsIntoHeldSeatsNow;
  }

  setCallsIntoHeldSeats(enabled: boolean): void {
    this.callsIntoHeldSeatsNow = enabled;
    this.touch();
  }

  /** Focus mode: clients receive only the staff's video. */
  get focus(): boolean {
    return this.focusNow;
  }

  setFocus(on: boolean): void {
    this.focusNow = on;
    this.touch();
  }

  /** Whether clients are asked a safety check-in as they arrive (the answers themselves are never in the record). */
  get askCheckIn(): boolean {
    return this.askCheckInNow;
  }

  setAskCheckIn(ask: boolean): void {
    this.askCheckInNow = ask;
    this.touch();
  }

  /** When the group's break ends (ms since the epoch); null: no break. */
  get breakEndsAt(): number | null {
    return this.breakEndsAtNow;
  }

  setBreakEndsAt(endsAt: number | null): void {
    this.breakEndsAtNow = endsAt;
    this.touch();
  }

  get locked(): boolean {
    return this.lockedNow;
  }

  get ended(): boolean {
    return this.endedNow;
  }

  /** Whether a facilitator has joined this session yet: clients get no media before. */
  get started(): boolean {
    return this.startedNow;
  }

  /** When the session started, for the session clock; null before it has. */
  get startedAt(): Date | null {
    return this.startedAtNow === null ? null : new Date(this.startedAtNow);
  }

  get spotlight(): string | null {
    return this.spotlightNow;
  }

  get audit(): readonly AuditEntry[] {
    return this.auditLog;
  }

  /** How many of the oldest entries the log let go of to stay within its limit: the log says it is not whole. */
  get auditDropped(): number {
    return this.auditDroppedCount;
  }

  get heldSeatCount(): number {
    return this.held.size;
  }

  wasAdmitted(participantId: string): boolean {
    return this.admittedIds.has(participantId);
  }

  wasRemoved(participantId: string): boolean {
    return this.removedIds.has(participantId);
  }

  /**
   * Refusals that depend only on the record: an ended session, a removed participant, a lock. A lock keeps
   * newcomers out, even of the lobby; staff and anyone already admitted this session (or `seated` now) may return.
   */
  assertMayEnter(entrant: Entrant, seated: boolean): void {
    const id = entrant.participantId;
    if (this.endedNow) throw new CircleError('SESSION_ENDED', 'this session has ended');
    if (this.removedIds.has(id)) throw new CircleError('REMOVED', 'you were removed from this session');
    const returning = seated || entrant.role !== 'client' || this.admittedIds.has(id) || this.holdsSeatFor(id);
    if (this.lockedNow && !returning) throw new CircleError('ROOM_LOCKED', 'the room is locked');
  }

  /** A facilitator joined: the session has started, and clients may be admitted from now on. */
  start(): void {
    if (this.startedNow) return;
    this.startedNow = true;
    this.startedAtNow = Date.now();
    this.touch();
  }

  setLocked(locked: boolean): void {
    this.lockedNow = locked;
    this.touch();
  }

  setGroupMessages(enabled: boolean): void {
    this.groupMessagesNow = enabled;
    this.touch();
  }

  /** Someone entered the room proper; a lock will not keep them out if they return. */
  admit(participantId: string): void {
    this.admittedIds.add(participantId);
    this.touch();
  }

  /** Out for the rest of the session: refused on every way back in, and no seat is kept for them. */
  remove(participantId: string): void {
    this.removedIds.add(participantId);
    this.held.delete(participantId);
    this.touch();
  }

  /** A promotion, demotion or hand-over: the role this participant has on every way back in. */
  setRole(participantId: string, role: Role): void {
    this.decisions.set(participantId, { ...this.standingFor(participantId), role });
    this.touch();
  }

  /** A facilitator's locks on this participant's microphone and camera, as they stand now. */
  setLocks(participantId: string, locks: MediaLocks): void {
    this.decisions.set(participantId, { ...this.standingFor(participantId), locks: { ...locks } });
    this.touch();
  }

  /** The staff's standing decisions about `participantId`: no role change and no locks unless they made some. */
  standingFor(participantId: string): StandingDecisions {
    const standing = this.decisions.get(participantId);
    return { ...standing, locks: { ...(standing?.locks ?? NO_LOCKS) } };
  }

  /** `null` takes the spotlight off; answers whether it changed. */
  setSpotlight(participantId: string | null): boolean {
    const changed = this.spotlightNow !== participantId;
    this.spotlightNow = participantId;
    this.touch();
    return changed;
  }

  /** The session is over: no one may join it again. The audit log says who ended it. */
  end(actorId: string): void {
    if (this.endedNow) return;
    this.endedNow = true;
    this.held.clear();
    this.log(actorId, 'end');
  }

  /** Keeps `seat` for its owner until `until` (epoch ms), unless the session ended or they were removed. */
  holdSeat(participantId: string, seat: Seat, until: number): void {
    if (this.endedNow || this.removedIds.has(participantId)) return;
    this.held.set(participantId, { seat, until });
    this.touch();
  }

  /** Whether a seat is held for `participantId` and still within its grace. */
  holdsSeatFor(participantId: string): boolean {
    return (this.held.get(participantId)?.until ?? 0) > Date.now();
  }

  /** The held seat of `participantId`, if still within its grace; taking it releases it. */
  takeHeldSeat(participantId: string): Seat | undefined {
    const seat = this.holdsSeatFor(participantId) ? this.held.get(participantId)?.seat : undefined;
    if (this.held.delete(participantId)) this.touch();
    return seat;
  }

  /**
   * A side room closes when its staff leave it, but one whose members never came back (a worker died, and they
   * left) stays listed; past the limit the oldest is forgotten, and anyone returning to it returns to the group.
   */
  openSideRoom(sideRoomId: string): void {
    this.sideRooms.add(sideRoomId);
    for (const oldest of [...this.sideRooms].slice(0, Math.max(0, this.sideRooms.size - SIDE_ROOM_LIMIT))) this.sideRooms.delete(oldest);
    this.touch();
  }

  closeSideRoom(sideRoomId: string): void {
    if (this.sideRooms.delete(sideRoomId)) this.touch();
  }

  /** Where someone whose seat says `sideRoomId` belongs: there while it is open, else (or for null) the group. */
  sideRoomStillOpen(sideRoomId: string | null): string | null {
    return sideRoomId !== null && this.sideRooms.has(sideRoomId) ? sideRoomId : null;
  }

  /** Appends a carried-out moderation action (ids only, never names). */
  log(actor: string, action: ModerationAction, target?: string): void {
    this.auditLog.push({ at: new Date().toISOString(), actor, action, ...(target ? { target } : {}) });
    if (this.auditLog.length > AUDIT_LIMIT) this.auditDroppedCount += this.auditLog.splice(0, this.auditLog.length - AUDIT_LIMIT).length;
    this.touch();
  }

  /** Something the record does not hold itself changed (the floor, the seats inside): worth writing again. */
  touch(): void {
    this.touchedAt = Date.now();
  }

  toData(): RecordData {
    return {
      locked: this.lockedNow,
      groupMessages: this.groupMessagesNow,
      phoneIntoHeldSeats: this.callsIntoHeldSeatsNow,
      focus: this.focusNow,
      askCheckIn: this.askCheckInNow,
      breakEndsAt: this.breakEndsAtNow,
      ended: this.endedNow,
      started: this.startedNow,
      startedAt: this.startedAtNow,
      spotlight: this.spotlightNow,
      admitted: [...this.admittedIds],
      removed: [...this.removedIds],
      audit: this.auditLog,
      auditDropped: this.auditDroppedCount,
      heldSeats: [...this.held],
      decisions: [...this.decisions],
      floor: this.floor,
      sideRooms: [...this.sideRooms],
      settings: { ...this.sessionSettings },
    };
  }

  static fromData(roomId: string, data: RecordData): RoomRecord {
    const record = new RoomRecord(roomId);
    record.lockedNow = data.locked;
    record.groupMessagesNow = data.groupMessages;
    record.callsIntoHeldSeatsNow = data.phoneIntoHeldSeats;
    record.focusNow = data.focus;
    record.askCheckInNow = data.askCheckIn;
    record.breakEndsAtNow = data.breakEndsAt;
    record.endedNow = data.ended;
    record.startedNow = data.started;
    record.startedAtNow = data.startedAt;
    record.spotlightNow = data.spotlight;
    for (const id of data.admitted) record.admittedIds.add(id);
    for (const id of data.removed) record.removedIds.add(id);
    record.auditLog.push(...data.audit);
    record.auditDroppedCount = data.auditDropped;
    for (const [id, held] of data.heldSeats) record.held.set(id, held);
    for (const [id, standing] of data.decisions) record.decisions.set(id, standing);
    Object.assign(record.floor, data.floor);
    for (const id of data.sideRooms) record.sideRooms.add(id);
    record.sessionSettings = { ...data.settings };
    return record;
  }
}
