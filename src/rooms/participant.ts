import type { Identity } from '../auth/tokens.js';
import type { ParticipantMedia } from '../media/participant-media.js';
import type { LinkQuality } from '../quality/link-quality.js';
import type { MediaLocks, PeerInfo, Readiness, SelfView, ServerToClientEvents, SessionEndReason } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import type { Role } from '../protocol/roles.js';
import type { Seat } from '../store/room-state.js';

export type ServerEventName = keyof ServerToClientEvents;
export type ServerEventArgs<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>;

/** How the domain reaches one participant's client, whatever carries it. */
export interface ParticipantChannel {
  send<E extends ServerEventName>(event: E, ...args: ServerEventArgs<E>): void;
  /** The seat is gone (room closed); the client may join again on the same connection. */
  detach(): void;
  /** The session is over for this connection; it is told why and disconnected. */
  end(reason: SessionEndReason): void;
  /** A telephone call (the phone bridge) rather than the browser SDK. */
  readonly viaPhone?: boolean;
  /** A call's caller number, last two digits, where the trunk gave one (for the staff's eyes only). */
  readonly callerDigits?: string;
}

/** A telephone carrying a seat's voice while the seat's browser stays connected for the video. */
export interface PhoneLeg {
  readonly channel: ParticipantChannel;
  /** The call's own transports, producer and consumers (the bridge's DirectTransports). */
  readonly media: ParticipantMedia;
  /**
   * The seat's browser said yes to this call. Until then the call hears nothing and is not heard: the browser keeps
   * the voice, and the call has no transport.
   */
  confirmed: boolean;
}

export class Participant {
  /** The current role: the token's, unless a facilitator has promoted, demoted or handed over since. */
  role: Role;
  admitted = false;
  readonly locks: MediaLocks = { audio: false, video: false };
  /**
   * What the participant itself wants sent. The SFU runs a producer only when this, the facilitator's locks and
   * the floor all allow it; so lifting a lock or granting the floor never turns on what they turned off.
   */
  readonly wants: MediaLocks = { audio: true, video: true };
  /** A phone call carrying this seat's voice while `connectionChannel` (a browser) keeps the video; null when none. */
  phone: PhoneLeg | null = null;
  /** What the room says to this seat: it reaches the connection and, while a phone carries the voice, the call too. */
  readonly channel: ParticipantChannel;
  waitingSince = new Date();
  /** The side room this participant is in; null in the group. Only those in the same space hear each other. */
  sideRoomId: string | null = null;
  connection: 'connected' | 'reconnecting' = 'connected';
  /** The pre-session check this participant's browser ran while waiting (shown to the staff in the lobby). */
  readiness: Readiness | null = null;

  constructor(
    readonly identity: Identity,
    readonly media: ParticipantMedia,
    /** The connection holding the seat: a browser's session, or a phone call that holds it alone. */
    readonly connectionChannel: ParticipantChannel,
    readonly link: LinkQuality,
  ) {
    this.role = identity.role;
    this.channel = {
      viaPhone: connectionChannel.viaPhone,
      send: (event, ...args) => {
        connectionChannel.send(event, ...args);
        this.phone?.channel.send(event, ...args);
      },
      detach: () => {
        connectionChannel.detach();
        this.phone?.channel.detach();
      },
      end: (reason) => {
        connectionChannel.end(reason);
        this.phone?.channel.end(reason);
      },
    };
    media.on('consumersClosed', (consumerIds) => connectionChannel.send('consumersClosed', { consumerIds }));
  }

  /** The connection's media and, while a phone carries the voice, the call's. */
  mediaSets(): ParticipantMedia[] {
    return this.phone ? [this.media, this.phone.media] : [this.media];
  }

  /** The media a phone call of this seat uses: the connection's when the call holds the seat alone, else its leg's. */
  get phoneMedia(): ParticipantMedia | undefined {
    if (this.connectionChannel.viaPhone) return this.media;
    return this.phone?.confirmed ? this.phone.media : undefined;
  }

  /** The seat's voice is on a phone: the call holds the seat alone, or carries the voice beside the browser. */
  get onPhone(): boolean {
    return this.connectionChannel.viaPhone === true || this.phone?.confirmed === true;
  }

  /** The last two digits of the number of the call in this seat, if any and if the trunk gave one. */
  get callerDigits(): string | undefined {
    return this.connectionChannel.viaPhone ? this.connectionChannel.callerDigits : this.phone?.confirmed ? this.phone.channel.callerDigits : undefined;
  }

  get id(): string {
    return this.identity.participantId;
  }

  get seat(): Seat {
    return {
      role: this.role,
      admitted: this.admitted,
      locks: { ...this.locks },
      waitingSince: this.waitingSince.toISOString(),
      audioOnly: this.link.manual,
      sideRoomId: this.sideRoomId,
    };
  }

  /** Takes the seat as it stood: role, admission, locks, the audio-only choice, the side room. */
  restore(seat: Seat): void {
    this.link.manual = seat.audioOnly;
    this.sideRoomId = seat.sideRoomId;
    this.role = seat.role;
    this.admitted = seat.admitted;
    this.waitingSince = new Date(seat.waitingSince);
    Object.assign(this.locks, seat.locks);
  }

  /**
   * Applies what the staff decided about this person earlier in the session: the role they have now (a token's
   * role only starts it) and a facilitator's locks, which also count as the participant having turned it off.
   */
  applyStanding(standing: { role?: Role; locks: MediaLocks }): void {
    if (standing.role) this.role = standing.role;
    for (const kind of ['audio', 'video'] as const) {
      this.locks[kind] = standing.locks[kind];
      if (standing.locks[kind]) this.wants[kind] = false;
    }
  }

  /** In the same space (the group, or one side room): only then do they hear and see each other. */
  isWith(other: Participant): boolean {
    return this.sideRoomId === other.sideRoomId;
  }

  /** Media and most requests are for those in the room proper, not the lobby. */
  assertAdmitted(): void {
    if (!this.admitted) throw new CircleError('NOT_ADMITTED', 'you are waiting to be admitted');
  }

  /**
   * `forStaff`: with what only facilitators and co-facilitators see (locks, connection quality and path, side room).
   * `away`: the viewer is in another space, so none of this participant's producers are theirs to receive.
   */
  describe(forStaff: boolean, away: boolean): PeerInfo {
    return {
      participantId: this.id,
      displayName: this.identity.displayName,
      role: this.role,
      producers: away ? [] : this.mediaSets().flatMap((media) => media.describeProducers()),
      connection: this.connection,
      away,
      phone: this.onPhone,
      ...(forStaff
        ? {
            locks: { ...this.locks },
            quality: this.link.grade(this.connection, Date.now()),
            path: this.link.path,
            sideRoomId: this.sideRoomId,
            ...(this.callerDigits ? { phoneDigits: this.callerDigits } : {}),
          }
        : {}),
    };
  }

  selfView(): SelfView {
    return {
      participantId: this.id,
      role: this.role,
      admission: this.admitted ? 'admitted' : 'waiting',
      locks: { ...this.locks },
      link: this.link.view(this.connection, Date.now()),
      sideRoomId: this.sideRoomId,
      voiceOnPhone: this.phone?.confirmed === true,
    };
  }
}
