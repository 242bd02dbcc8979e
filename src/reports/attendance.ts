import { CONNECTION_QUALITIES, type ConnectionQuality } from '../protocol/events.js';
import type { ParticipationEvent, SpokenSince } from '../rooms/room-port.js';

/** One participant's attendance in a session: ids and times only, never a name or anything said. */
export interface AttendanceEntry {
  participantId: string;
  /** ISO times of their first entry (the waiting room or the room) and of leaving for good (null: still in). */
  joinedAt: string;
  leftAt: string | null;
  /** Admitted and connected (a dropped connection's time is not counted). */
  minutesInRoom: number;
  minutesAudioOnly: number;
  minutesInSideRoom: number;
  /** In the room by telephone (dial-in). */
  minutesOnPhone: number;
  /** Dropped connections they came back from (a resume, a reload, a worker or node failover). */
  reconnects: number;
  removed: boolean;
  /** The worst their link was graded while in the room. */
  worstQuality: ConnectionQuality;
  /** Heard above the speech threshold (from audio levels, never the audio), wherever they spoke. */
  minutesSpoken: number;
  /** Stretches of speech, each after at least 2 s without. */
  turns: number;
}

export interface SessionReport {
  roomId: string;
  startedAt: string | null;
  endedAt: string | null;
  /** The worst link any participant had. */
  worstQuality: ConnectionQuality;
  /** Breaks the staff gave the group, in minutes (clients' microphones and cameras paused meanwhile). */
  minutesOnBreak: number;
  participants: AttendanceEntry[];
}

/** A clock as stored: running since `since` (epoch ms) or stopped, with what it counted before. */
export interface ClockData {
  since: number | null;
  totalMs: number;
}

/** A running clock: minutes counted while it runs. */
class Clock {
  private since: number | undefined;
  private totalMs = 0;

  static from({ since, totalMs }: ClockData): Clock {
    const clock = new Clock();
    clock.since = since ?? undefined;
    clock.totalMs = totalMs;
    return clock;
  }

  toData(): ClockData {
    return { since: this.since ?? null, totalMs: this.totalMs };
  }

  set(running: boolean, now: number): void {
    if (running && this.since === undefined) this.since = now;
    if (!running && this.since !== undefined) {
      this.totalMs += now - this.since;
      this.since = undefined;
    }
  }

  minutes(now: number): number {
    return Math.round(((this.totalMs + (this.since === undefined ? 0 : now - this.since)) / 60_000) * 100) / 100;
  }
}

interface AttendeeFields {
  joinedAt: number;
  leftAt: number | null;
  admitted: boolean;
  connected: boolean;
  audioOnly: boolean;
  inSideRoom: boolean;
  onPhone: boolean;
  reconnects: number;
  removed: boolean;
  worst: number;
  spokenMs: number;
  turns: number;
}

type ClockName = 'inRoom' | 'audioOnlyClock' | 'sideRoomClock' | 'phoneClock';

type Attendee = AttendeeFields & Record<ClockName, Clock>;

/**
 * A ledger as the shared store keeps it (ids, times and counts only), so the node that takes a session over after
 * its node's death carries the attendance on. `savedAt`: when it was written, the last time its node was known alive.
 */
export interface LedgerData {
  savedAt: number;
  startedAt: number | null;
  endedAt: number | null;
  breakClock: ClockData;
  attendees: [string, AttendeeFields & Record<ClockName, ClockData>][];
}

const rank = (quality: ConnectionQuality) => CONNECTION_QUALITIES.indexOf(quality);

/**
 * Builds a session's attendance from its participation events as they happen, in memory on the node that runs the
 * room. Times are the node's clock; the report can be read at any time and is final once the session ends.
 */
export class AttendanceLedger {
  private readonly attendees = new Map<string, Attendee>();
  private startedAt: number | null = null;
  private endedAt: number | null = null;
  private breakClock = new Clock();

  constructor(
    readonly roomId: string,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * A ledger carried on from its stored form. Its node died some time after `savedAt`: everyone still in lost their
   * connection then (a break, too, ends there), and whoever comes back to the new node resumes as after any drop.
   */
  static restore(roomId: string, data: LedgerData, clock: () => number = Date.now): AttendanceLedger {
    const ledger = new AttendanceLedger(roomId, clock);
    ledger.startedAt = data.startedAt;
    ledger.endedAt = data.endedAt;
    ledger.breakClock = Clock.from(data.breakClock);
    ledger.breakClock.set(false, data.savedAt);
    for (const [participantId, stored] of data.attendees) {
      const attendee: Attendee = { ...stored, inRoom: Clock.from(stored.inRoom), audioOnlyClock: Clock.from(stored.audioOnlyClock), sideRoomClock: Clock.from(stored.sideRoomClock), phoneClock: Clock.from(stored.phoneClock) };
      attendee.connected = false;
      ledger.runClocks(attendee, data.savedAt);
      ledger.attendees.set(participantId, attendee);
    }
    return ledger;
  }

  /** The ledger as the store keeps it. */
  toData(): LedgerData {
    const attendees = [...this.attendees].map(([participantId, attendee]): LedgerData['attendees'][number] => {
      const { inRoom, audioOnlyClock, sideRoomClock, phoneClock, ...fields } = attendee;
      return [participantId, { ...fields, inRoom: inRoom.toData(), audioOnlyClock: audioOnlyClock.toData(), sideRoomClock: sideRoomClock.toData(), phoneClock: phoneClock.toData() }];
    });
    return { savedAt: this.clock(), startedAt: this.startedAt, endedAt: this.endedAt, breakClock: this.breakClock.toData(), attendees };
  }

  get ended(): boolean {
    return this.endedAt !== null;
  }

  /** Speaking time and turns since the room last told (ids and numbers only). */
  spoke(spoken: SpokenSince[], now = this.clock()): void {
    if (this.endedAt !== null) return; // the report is final
    for (const { participantId, spokenMs, turns } of spoken) {
      const attendee = this.attendee(participantId, now);
      attendee.spokenMs += spokenMs;
      attendee.turns += turns;
    }
  }

  /** `now`: when it happened, if it is recorded later (while the stored ledger is read). */
  record(event: ParticipationEvent, now = this.clock()): void {
    if (this.endedAt !== null) return; // the report is final
    if (event.type === 'session.started') this.startedAt ??= now;
    if (event.type === 'session.break') this.breakClock.set(event.onBreak, now);
    if (event.type === 'session.ended') {
      this.endedAt = now;
      this.breakClock.set(false, now);
      for (const attendee of this.attendees.values()) if (attendee.leftAt === null) this.leave(attendee, now);
    }
    if (!('participantId' in event)) return;
    const attendee = this.attendee(event.participantId, now);
    switch (event.type) {
      case 'participant.joined':
        attendee.leftAt = null;
        attendee.connected = true;
        break;
      case 'participant.admitted':
        attendee.admitted = true;
        break;
      case 'participant.reconnecting':
        attendee.connected = false;
        attendee.worst = Math.max(attendee.worst, rank('reconnecting'));
        break;
      case 'participant.resumed':
        attendee.connected = true;
        attendee.leftAt = null;
        attendee.reconnects += 1;
        break;
      case 'participant.left':
      case 'participant.removed':
        attendee.removed ||= event.type === 'participant.removed';
        this.leave(attendee, now);
        break;
      case 'participant.sideRoom':
        attendee.inSideRoom = event.inSideRoom;
        break;
      case 'participant.audioOnly':
        attendee.audioOnly = event.audioOnly;
        break;
      case 'participant.call':
        attendee.onPhone = event.voiceOnCall;
        break;
      case 'participant.quality':
        if (attendee.admitted) attendee.worst = Math.max(attendee.worst, rank(event.quality));
        break;
    }
    this.runClocks(attendee, now);
  }

  report(): SessionReport {
    const now = this.endedAt ?? this.clock();
    const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());
    const participants = [...this.attendees].map(([participantId, a]) => ({
      participantId,
      joinedAt: new Date(a.joinedAt).toISOString(),
      leftAt: iso(a.leftAt),
      minutesInRoom: a.inRoom.minutes(now),
      minutesAudioOnly: a.audioOnlyClock.minutes(now),
      minutesInSideRoom: a.sideRoomClock.minutes(now),
      minutesOnPhone: a.phoneClock.minutes(now),
      reconnects: a.reconnects,
      removed: a.removed,
      worstQuality: CONNECTION_QUALITIES[a.worst]!,
      minutesSpoken: Math.round((a.spokenMs / 60_000) * 100) / 100,
      turns: a.turns,
    }));
    const worst = Math.max(0, ...[...this.attendees.values()].map((a) => a.worst));
    const minutesOnBreak = this.breakClock.minutes(now);
    return { roomId: this.roomId, startedAt: iso(this.startedAt), endedAt: iso(this.endedAt), worstQuality: CONNECTION_QUALITIES[worst]!, minutesOnBreak, participants };
  }

  private attendee(participantId: string, now: number): Attendee {
    let attendee = this.attendees.get(participantId);
    if (!attendee) {
      attendee = {
        joinedAt: now,
        leftAt: null,
        admitted: false,
        connected: true,
        audioOnly: false,
        inSideRoom: false,
        onPhone: false,
        reconnects: 0,
        removed: false,
        worst: 0,
        spokenMs: 0,
        turns: 0,
        inRoom: new Clock(),
        audioOnlyClock: new Clock(),
        sideRoomClock: new Clock(),
        phoneClock: new Clock(),
      };
      this.attendees.set(participantId, attendee);
    }
    return attendee;
  }

  private leave(attendee: Attendee, now: number): void {
    attendee.leftAt = now;
    attendee.connected = false;
    attendee.inSideRoom = false;
    this.runClocks(attendee, now);
  }

  /** In the room while admitted and connected; audio-only, side-room and phone time only while in the room. */
  private runClocks(attendee: Attendee, now: number): void {
    const inRoom = attendee.admitted && attendee.connected && attendee.leftAt === null;
    attendee.inRoom.set(inRoom, now);
    attendee.audioOnlyClock.set(inRoom && attendee.audioOnly, now);
    attendee.sideRoomClock.set(inRoom && attendee.inSideRoom, now);
    attendee.phoneClock.set(inRoom && attendee.onPhone, now);
  }
}
