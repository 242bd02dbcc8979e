import type { AudienceKind, AudioOnlyReason, ConnectionQuality, MediaKind, SessionEndReason } from '../protocol/events.js';
import type { ModerationAction } from '../protocol/moderation-actions.js';
import type { Role } from '../protocol/roles.js';
import type { AudioOnlyTransition } from './room-quality.js';
import type { BreakClock } from './break-clock.js';
import type { Floor, GrantSource } from './floor.js';
import type { Participant } from './participant.js';
import type { RoomRecord } from './room-record.js';

/** The audit log's actor for what the clinic's system does through the server API. */
export const ADMINISTRATOR = 'admin';

/**
 * The narrow ports through which a room's rules reach it. Moderation and turn-taking depend on these, never on
 * `Room`, so dependencies point one way (room → rules → port) and the rules can be tested against a fake.
 */

/** The people in a room, as every rule sees them. */
export interface RoomPeople {
  /** Anyone in the room or its lobby, by participant id. */
  participant(participantId: string): Participant | undefined;
  waiting(): Participant[];
  admittedParticipants(): Participant[];
  /**
   * A carried-out moderation action: appended to the audit log (ids only) and counted. `administrator`: the
   * clinic's system through the server API.
   */
  audit(actor: Participant | typeof ADMINISTRATOR, action: ModerationAction, target?: Participant): void;
}

/** What the moderation rules need: the people, the durable record, and the changes only the room can make. */
export interface ModerationPort extends RoomPeople {
  readonly record: RoomRecord;
  readonly isOnHold: boolean;
  admit(participant: Participant): void;
  dismiss(participant: Participant, reason: SessionEndReason): void;
  /** Resolves once the SFU applies what the new role may send. */
  setRole(participant: Participant, role: Role): Promise<void>;
  /** Pauses the participant's `kind` at the SFU; lifting it later turns nothing on. */
  lockMedia(participant: Participant, kind: MediaKind): Promise<void>;
  unlockMedia(participant: Participant, kind: MediaKind): void;
  /** The lock or spotlight changed: everyone in the room sees it. */
  roomViewChanged(): void;
  /** The group's break: started and ended here, and on time by itself. */
  readonly breaks: BreakClock;
  /** Focus mode began or ended: the SFU forwards each client only the video it may receive now. */
  focusChanged(): void;
  /** The session is over for everyone; `actorId` is written to the audit log. */
  end(actorId: string): void;
}

/** What turn-taking needs: the people, the floor, and the SFU catching up with floor changes. */
export interface TurnTakingPort extends RoomPeople {
  readonly floor: Floor;
  /** Brings every admitted participant's audio in line with the floor; resolves once the SFU applied it. */
  applyFloorToAll(): Promise<void>;
  /** Resolves once the SFU pauses and resumes what the latest change of floor holder asks for. */
  floorSettled(): Promise<void>;
}

/** What side rooms need: the people, the record (which side rooms are open), and moving people between spaces. */
export interface SideRoomPort extends RoomPeople {
  readonly record: RoomRecord;
  /**
   * Puts `participants` in a side room (or, for null, back in the group): from then on they hear and see only
   * those in the same space. Resolves once the SFU forwards accordingly.
   */
  relocate(participants: Participant[], sideRoomId: string | null): Promise<void>;
}

/**
 * A change in who takes part and how, for the session's attendance report and the clinic's webhooks: ids only.
 * `joined` is a first entry (the lobby or the room), never a resume; `left` is for good (a drop is `reconnecting`).
 */
export type ParticipationEvent =
  | { type: 'session.started' | 'session.ended' }
  /** A break began or ended (clients' media paused at the SFU meanwhile). */
  | { type: 'session.break'; onBreak: boolean }
  | {
      type: 'participant.joined' | 'participant.admitted' | 'participant.left' | 'participant.removed' | 'participant.reconnecting' | 'participant.resumed';
      participantId: string;
    }
  | { type: 'participant.sideRoom'; participantId: string; inSideRoom: boolean }
  | { type: 'participant.audioOnly'; participantId: string; audioOnly: boolean }
  /** Told on every entry and whenever a call starts or stops carrying the seat's voice. */
  | { type: 'participant.call'; participantId: string; voiceOnCall: boolean }
  | { type: 'participant.quality'; participantId: string; quality: ConnectionQuality };

/** Speaking time and turns since the room last told: ids and numbers only, for the session's report. */
export interface SpokenSince {
  participantId: string;
  spokenMs: number;
  turns: number;
}

/**
 * What a room tells whoever watches it (metrics, logs), in the manner of mediasoup's `observer` emitters: no
 * watcher is needed for the room to work, and the room knows nothing of who listens.
 */
export type RoomObserverEvents = {
  moderation: [action: ModerationAction];
  floorGranted: [source: GrantSource, waitedMs: number | null];
  /** How a held or duplicated seat ended: its owner came back, the grace ran out, or a newer connection took it. */
  seatOutcome: [outcome: 'resumed' | 'expired' | 'replaced'];
  /** A forwarded stream's quality score (0–10) changed. */
  consumerScore: [score: number];
  audioOnlyTransition: [direction: AudioOnlyTransition, reason: AudioOnlyReason];
  /** Every link reading, for the node's loss and round-trip histograms. */
  linkSample: [sample: { downlinkLoss?: number; uplinkLoss?: number; rttMs?: number }];
  /** A message was sent; counted by how it was addressed, never by whom or what. */
  message: [audience: AudienceKind];
  participation: [event: ParticipationEvent];
  /** Who spoke, how long and in how many turns, since the last time: told every few seconds while anyone speaks. */
  talk: [spoken: SpokenSince[]];
  /** These people left a space (the group or a side room): their voices are no longer any other space's to take. */
  parted: [participants: Participant[]];
  /** A failure in work no request waits for (a timer, an event): logged, never thrown into the void. */
  taskFailed: [error: unknown, during: string];
};
