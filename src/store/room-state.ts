import type { E2eeDialIn, E2eeMode } from '../protocol/e2ee.js';
import type { AuditEntry, FloorMode, MediaLocks } from '../protocol/events.js';
import type { Role } from '../protocol/roles.js';

/**
 * A room's durable state as plain, JSON-ready data: what the shared store keeps and another node restores a room
 * from. The room domain builds and reads these shapes; the store only writes them and parses them back.
 */

/**
 * A seat: what a participant holds in a room apart from their connection and media (role, admission, a
 * facilitator's locks). It is carried over whenever the same person comes back.
 */
export interface Seat {
  role: Role;
  admitted: boolean;
  locks: MediaLocks;
  waitingSince: string;
  /** The participant chose audio-only. */
  audioOnly: boolean;
  /** The side room they are in, or null in the group. */
  sideRoomId: string | null;
}

/** A seat kept for someone the server disconnected (a media worker or node died): theirs until `until` (epoch ms). */
export interface HeldSeat {
  seat: Seat;
  until: number;
}

/**
 * What the staff decided about one participant that lasts the session, whatever the participant does (leave,
 * reload, a new tab, a new token, a node failover): their role since a promotion, demotion or hand-over, and a
 * facilitator's locks. A token's role is only the starting role.
 */
export interface StandingDecisions {
  role?: Role;
  locks: MediaLocks;
}

/** The floor's state: it lives in the room's record. */
export interface FloorState {
  mode: FloorMode;
  /** Raised hands, first raised first. */
  queue: { participantId: string; raisedAt: number }[];
  holder: string | null;
  /** Speaking turns end after this long; null for no limit. */
  turnLimitMs: number | null;
  turnEndsAt: number | null;
}

/** A session's own settings where they differ from the node's (set through the server API before it starts). */
export interface SessionSettings {
  requireAdmission: boolean | null;
  maxParticipants: number | null;
  /** End-to-end encryption chosen for this session; null: the node's `e2ee.mode`. */
  e2eeMode: E2eeMode | null;
  /** Whether the session, encrypted, takes calls; null: the node's `e2ee.dialIn`. */
  e2eeDialIn: E2eeDialIn | null;
}

/** A room's record: the session's decisions that outlive any one connection. */
export interface RecordData {
  locked: boolean;
  groupMessages: boolean;
  /** Whether a call may go straight into a seat held for its own drop. */
  phoneIntoHeldSeats: boolean;
  /** Focus mode: clients receive only the staff's video. */
  focus: boolean;
  /** Whether clients are asked a safety check-in (never their answers). */
  askCheckIn: boolean;
  /** When the group's break ends (ms since the epoch); null: none. */
  breakEndsAt: number | null;
  ended: boolean;
  started: boolean;
  /** When the first facilitator started the session (ms since the epoch); null before, or from older versions. */
  startedAt: number | null;
  spotlight: string | null;
  admitted: string[];
  removed: string[];
  audit: AuditEntry[];
  /** Entries dropped from the front of the audit log to keep it within its limit. */
  auditDropped: number;
  heldSeats: [string, HeldSeat][];
  decisions: [string, StandingDecisions][];
  floor: FloorState;
  /** The side rooms open now, by id; who is in each is in their seats. */
  sideRooms: string[];
  /** What the clinic set for this session before it started; null: the node's configuration. */
  settings: SessionSettings;
}

/** A room's durable state: its record and the seat of everyone inside when it was taken. */
export interface RoomState {
  roomId: string;
  record: RecordData;
  seats: [string, Seat][];
}
