import type { Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents, SessionEndReason } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import type { ParticipantChannel, ServerEventArgs, ServerEventName } from '../rooms/participant.js';
import type { Membership } from '../rooms/room-registry.js';
import { TokenBucket } from '../limits/token-bucket.js';
import type { ConnectionCheck } from '../check/connection-checks.js';

export type CircleSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** One Socket.IO connection: its membership of a room, if any, and its request budget. */
export class ClientSession implements ParticipantChannel {
  membership: Membership | undefined;
  /** Whether this connection was ever in a room; one that never was is closed after the join timeout. */
  everJoined = false;
  /** A pre-session connection check this connection runs (one at a time; closed with the connection). */
  check: ConnectionCheck | undefined;
  /** The page said, joining or resuming, that it seals and opens its frames itself. */
  canEncrypt = false;
  private requestCount = 0;
  private joining = false;
  private checkStarting = false;
  private unknownEvents = 0;

  constructor(
    private readonly socket: CircleSocket,
    readonly bucket: TokenBucket,
    /** The client's address, for the per-address limits. */
    readonly address: string,
  ) {}

  get connected(): boolean {
    return this.socket.connected;
  }

  nextRequestId(): string {
    this.requestCount += 1;
    return `${this.socket.id.slice(0, 8)}-${this.requestCount}`;
  }

  /**
   * Runs a join or resume unless this connection is in a room or already joining: two racing on one connection
   * would otherwise both take a seat, and one would be orphaned.
   */
  async joinOnce<T>(join: () => Promise<T>): Promise<T> {
    if (this.membership || this.joining) throw new CircleError('ALREADY_JOINED', 'this connection already holds a seat');
    this.joining = true;
    try {
      return await join();
    } finally {
      this.joining = false;
    }
  }

  /** One more event the protocol does not have; past `allowed`, the connection is closed. */
  strike(allowed: number): void {
    this.unknownEvents += 1;
    if (this.unknownEvents === allowed + 1) this.close('protocol-abuse');
  }

  attach(membership: Membership): void {
    this.membership = membership;
    this.everJoined = true;
  }

  /**
   * Runs `start` for a check in place of any this connection runs. One at a time: concurrent requests would each
   * open a check and all but the last be left running, so a second while one is starting is refused.
   */
  async replaceCheck<T extends { check: ConnectionCheck }>(start: () => Promise<T>): Promise<T> {
    if (this.checkStarting) throw new CircleError('RATE_LIMITED', 'a connection check is already starting');
    this.checkStarting = true;
    this.check?.close();
    try {
      const started = await start();
      const { check } = started;
      if (!this.connected) {
        check.close();
        throw new CircleError('NOT_JOINED', 'the connection closed while the check was starting');
      }
      this.check = check;
      check.onClose(() => this.check === check && (this.check = undefined));
      return started;
    } finally {
      this.checkStarting = false;
    }
  }

  /** Whose check starts are counted: the seat of a connection that came with a token, else the client's address. */
  get checkLimitKey(): string {
    const identity = this.membership?.participant.identity;
    return identity ? `seat:${identity.roomId}:${identity.participantId}` : this.address;
  }

  requireCheck(): ConnectionCheck {
    if (!this.check) throw new CircleError('NOT_FOUND', 'start a connection check first');
    return this.check;
  }

  requireMembership(): Membership {
    if (!this.membership) throw new CircleError('NOT_JOINED', 'join a room first');
    return this.membership;
  }

  send<E extends ServerEventName>(event: E, ...args: ServerEventArgs<E>): void {
    (this.socket.emit as (event: E, ...args: ServerEventArgs<E>) => boolean)(event, ...args);
  }

  detach(): void {
    this.membership = undefined;
  }

  end(reason: SessionEndReason): void {
    this.membership = undefined;
    this.close(reason);
  }

  /** Tells the client why, then disconnects; a membership still attached is held as for any dropped connection. */
  private close(reason: SessionEndReason): void {
    this.socket.emit('sessionEnded', { reason });
    // After the current request's acknowledgement is queued (the facilitator who ends the session still gets
    // its answer); the connection then closes once its buffer has drained.
    setImmediate(() => this.socket.disconnect(true));
  }
}
