import type { Identity } from '../auth/tokens.js';
import type { ParticipantMedia } from '../media/participant-media.js';
import type { LinkQuality } from '../quality/link-quality.js';
import type { ConnectionPath, MediaKind, MediaLocks, PeerInfo, Readiness, SelfView, ServerToClientEvents, SessionEndReason } from '../protocol/events.js';
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
  /** A call: a connection that carries a voice and nothing else (no page to show video on or to ask). */
  readonly isCall?: boolean;
  /** A call's caller number, last two digits, where the network gave one (for the staff's eyes only). */
  readonly callerDigits?: string;
  /** The page seals and opens its frames itself (it said so on joining): it can be in an encrypted circle. */
  readonly canEncrypt?: boolean;
}

/** A call carrying a seat's voice while the seat's page stays connected for the video. */
export interface CallLeg {
  readonly channel: ParticipantChannel;
  /** The call's own transports, producer and consumers. */
  readonly media: ParticipantMedia;
  /**
   * The seat's page said yes to this call. Until then the call hears nothing and is not heard: the page keeps the
   * voice, and the call has no transport.
   */
  readonly confirmed: boolean;
}

/**
 * Where a seat's lasting facts are kept (the room's record): the seat writes its own admission, role, locks,
 * removal and hold there as they happen, so nobody keeps the two in step by hand.
 */
export interface SeatLedger {
  admit(participantId: string): void;
  setRole(participantId: string, role: Role): void;
  setLocks(participantId: string, locks: MediaLocks): void;
  remove(participantId: string): void;
  holdSeat(participantId: string, seat: Seat, until: number): void;
}

/**
 * A participant in a room: one person's seat (role, admission, locks, wishes, side room) and the legs that carry it
 * (the connection holding it and, beside a page, a call carrying its voice). Its state changes only through the
 * methods below, each named for what happened; what lasts the session is written to the ledger by the same method.
 */
export class Participant {
  #role: Role;
  #admitted = false;
  readonly #locks: MediaLocks = { audio: false, video: false };
  /**
   * What the participant itself wants sent. The SFU runs a producer only when this, the facilitator's locks and
   * the floor all allow it; so lifting a lock or granting the floor never turns on what they turned off.
   */
  readonly #wants: MediaLocks = { audio: true, video: true };
  #callLeg: { channel: ParticipantChannel; media: ParticipantMedia; confirmed: boolean } | null = null;
  #waitingSince = new Date();
  #sideRoomId: string | null = null;
  #connection: 'connected' | 'reconnecting' = 'connected';
  #readiness: Readiness | null = null;
  /** What the room says to this seat: it reaches the connection and, while a call carries the voice, the call too. */
  readonly channel: ParticipantChannel;

  constructor(
    readonly identity: Identity,
    readonly media: ParticipantMedia,
    /** The connection holding the seat: a page's session, or a call that holds it alone. */
    readonly connectionChannel: ParticipantChannel,
    readonly link: LinkQuality,
    private readonly ledger: SeatLedger,
  ) {
    this.#role = identity.role;
    this.channel = {
      isCall: connectionChannel.isCall,
      send: (event, ...args) => {
        connectionChannel.send(event, ...args);
        this.#callLeg?.channel.send(event, ...args);
      },
      detach: () => {
        connectionChannel.detach();
        this.#callLeg?.channel.detach();
      },
      end: (reason) => {
        connectionChannel.end(reason);
        this.#callLeg?.channel.end(reason);
      },
    };
    media.on('consumersClosed', (consumerIds) => connectionChannel.send('consumersClosed', { consumerIds }));
  }

  get id(): string {
    return this.identity.participantId;
  }

  /** The current role: the token's, unless a facilitator has promoted, demoted or handed over since. */
  get role(): Role {
    return this.#role;
  }

  get admitted(): boolean {
    return this.#admitted;
  }

  get locks(): Readonly<MediaLocks> {
    return this.#locks;
  }

  get wants(): Readonly<MediaLocks> {
    return this.#wants;
  }

  /** The side room this participant is in; null in the group. Only those in the same space hear each other. */
  get sideRoomId(): string | null {
    return this.#sideRoomId;
  }

  get connection(): 'connected' | 'reconnecting' {
    return this.#connection;
  }

  /** The pre-session check this participant's page ran while waiting (shown to the staff in the lobby). */
  get readiness(): Readiness | null {
    return this.#readiness;
  }

  get waitingSince(): Date {
    return this.#waitingSince;
  }

  /** A call carrying this seat's voice while the connection (a page) keeps the video; null when none. */
  get callLeg(): CallLeg | null {
    return this.#callLeg;
  }

  /** Let into the room proper from the waiting room (or on arrival): lasting for the session. */
  admit(): void {
    this.#admitted = true;
    this.ledger.admit(this.id);
  }

  /** Kept in the waiting room whatever the seat was: a call that must wait for the staff. */
  keepWaiting(): void {
    this.#admitted = false;
  }

  /** Promoted, demoted or handed over: the role they have on every way back in. */
  changeRole(role: Role): void {
    this.#role = role;
    this.ledger.setRole(this.id, role);
  }

  /**
   * A facilitator's lock on `kind`. It also counts as the participant having turned it off, so lifting the lock
   * later turns nothing on.
   */
  lock(kind: MediaKind): void {
    this.#locks[kind] = true;
    this.#wants[kind] = false;
    this.ledger.setLocks(this.id, this.#locks);
  }

  /** The lock is lifted; what they send stays off until they turn it on themselves. */
  unlock(kind: MediaKind): void {
    this.#locks[kind] = false;
    this.ledger.setLocks(this.id, this.#locks);
  }

  /** The participant turns `kind` on or off; refused while a facilitator's lock holds it off. */
  wish(kind: MediaKind, on: boolean): void {
    if (on && this.#locks[kind]) throw new CircleError('FORBIDDEN', `your ${kind === 'audio' ? 'microphone' : 'camera'} was turned off by a facilitator`);
    this.#wants[kind] = on;
  }

  /** A new producer of `kind`: they want it sent, unless a facilitator's lock holds it off. */
  startsSending(kind: MediaKind): void {
    this.#wants[kind] = !this.#locks[kind];
  }

  /** Moved to a side room (or back to the group, null). */
  moveTo(sideRoomId: string | null): void {
    this.#sideRoomId = sideRoomId;
  }

  /** The connection dropped: the seat waits for it; the path belonged to its transports. */
  dropped(): void {
    this.#connection = 'reconnecting';
    this.link.path = null;
  }

  /** The participant's own choice of audio-only; answers whether it changed anything. */
  chooseAudioOnly(enabled: boolean): boolean {
    if (this.link.manual === enabled) return false;
    this.link.manual = enabled;
    return true;
  }

  /** Their link's path (direct or relayed); answers whether it is new. */
  pathSeen(path: ConnectionPath): boolean {
    if (path === this.link.path) return false;
    this.link.path = path;
    return true;
  }

  /** What their pre-session check found. */
  checked(readiness: Readiness): void {
    this.#readiness = readiness;
  }

  /** Out for the rest of the session: refused on every way back in, and no seat is kept for them. */
  removeFromSession(): void {
    this.ledger.remove(this.id);
  }

  /** The room closes under the seat (a worker died, the node drains): the seat is kept for them until `until`. */
  holdUntil(until: number): void {
    this.ledger.holdSeat(this.id, this.seat, until);
  }

  /** A call asks to carry this seat's voice beside the page: it waits for the page's yes. */
  callAsks(channel: ParticipantChannel, media: ParticipantMedia): CallLeg {
    this.#callLeg = { channel, media, confirmed: false };
    return this.#callLeg;
  }

  /** The page said yes: the call carries the voice from now on. */
  callConfirmed(): void {
    if (this.#callLeg) this.#callLeg.confirmed = true;
  }

  /** A call carries the voice from the start (it held the seat alone and the page came back to it). */
  callCarries(channel: ParticipantChannel, media: ParticipantMedia): void {
    this.#callLeg = { channel, media, confirmed: true };
  }

  /** The leg the seat's previous connection had goes on with this one, as it is. */
  takeCallLeg(leg: CallLeg): void {
    this.#callLeg = leg;
  }

  /** The call leg goes (hung up, declined, handed on or taking the seat itself): answers it. */
  releaseCall(): CallLeg | null {
    const leg = this.#callLeg;
    this.#callLeg = null;
    return leg;
  }

  /** The connection's media and, while a call carries the voice, the call's. */
  mediaSets(): ParticipantMedia[] {
    return this.#callLeg ? [this.media, this.#callLeg.media] : [this.media];
  }

  /** The media a call of this seat uses: the connection's when the call holds the seat alone, else its leg's. */
  get callMedia(): ParticipantMedia | undefined {
    if (this.connectionChannel.isCall) return this.media;
    return this.#callLeg?.confirmed ? this.#callLeg.media : undefined;
  }

  /** The seat's voice is on a call: the call holds the seat alone, or carries the voice beside the page. */
  get voiceOnCall(): boolean {
    return this.connectionChannel.isCall === true || this.#callLeg?.confirmed === true;
  }

  /** The last two digits of the number of the call in this seat, if any and if the network gave one. */
  get callerDigits(): string | undefined {
    return this.connectionChannel.isCall ? this.connectionChannel.callerDigits : this.#callLeg?.confirmed ? this.#callLeg.channel.callerDigits : undefined;
  }

  get seat(): Seat {
    return {
      role: this.#role,
      admitted: this.#admitted,
      locks: { ...this.#locks },
      waitingSince: this.#waitingSince.toISOString(),
      audioOnly: this.link.manual,
      sideRoomId: this.#sideRoomId,
    };
  }

  /** Takes the seat as it stood: role, admission, locks, the audio-only choice, the side room. */
  restore(seat: Seat): void {
    this.link.manual = seat.audioOnly;
    this.#sideRoomId = seat.sideRoomId;
    this.#role = seat.role;
    this.#admitted = seat.admitted;
    this.#waitingSince = new Date(seat.waitingSince);
    Object.assign(this.#locks, seat.locks);
    if (seat.admitted) this.ledger.admit(this.id);
  }

  /**
   * Applies what the staff decided about this person earlier in the session: the role they have now (a token's
   * role only starts it) and a facilitator's locks, which also count as the participant having turned it off.
   */
  applyStanding(standing: { role?: Role; locks: MediaLocks }): void {
    if (standing.role) this.#role = standing.role;
    for (const kind of ['audio', 'video'] as const) {
      this.#locks[kind] = standing.locks[kind];
      if (standing.locks[kind]) this.#wants[kind] = false;
    }
  }

  /** In the same space (the group, or one side room): only then do they hear and see each other. */
  isWith(other: Participant): boolean {
    return this.#sideRoomId === other.sideRoomId;
  }

  /** Media and most requests are for those in the room proper, not the lobby. */
  assertAdmitted(): void {
    if (!this.#admitted) throw new CircleError('NOT_ADMITTED', 'you are waiting to be admitted');
  }

  /**
   * `forStaff`: with what only facilitators and co-facilitators see (locks, connection quality and path, side room).
   * `away`: the viewer is in another space, so none of this participant's producers are theirs to receive.
   */
  describe(forStaff: boolean, away: boolean): PeerInfo {
    return {
      participantId: this.id,
      displayName: this.identity.displayName,
      role: this.#role,
      producers: away ? [] : this.mediaSets().flatMap((media) => media.describeProducers()),
      connection: this.#connection,
      away,
      phone: this.voiceOnCall,
      ...(forStaff
        ? {
            locks: { ...this.#locks },
            quality: this.link.grade(this.#connection, Date.now()),
            path: this.link.path,
            sideRoomId: this.#sideRoomId,
            ...(this.callerDigits ? { phoneDigits: this.callerDigits } : {}),
          }
        : {}),
    };
  }

  selfView(): SelfView {
    return {
      participantId: this.id,
      role: this.#role,
      admission: this.#admitted ? 'admitted' : 'waiting',
      locks: { ...this.#locks },
      link: this.link.view(this.#connection, Date.now()),
      sideRoomId: this.#sideRoomId,
      voiceOnPhone: this.#callLeg?.confirmed === true,
    };
  }
}
