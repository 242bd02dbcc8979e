import type { Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents, SessionEndReason } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import type { ParticipantChannel, ServerEventArgs, ServerEventName } from '../rooms/participant.js';
import type { Membership } from '../rooms/room-registry.js';
import { TokenBucket } from './rate-limit.js';

export type CircleSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** One Socket.IO connection: its membership of a room, if any, and its request budget. */
export class ClientSession implements ParticipantChannel {
  membership: Membership | undefined;
  /** Whether this connection was ever in a room; one that never was is closed after the join timeout. */
  everJoined = false;
  private requestCount = 0;

  constructor(
    private readonly socket: CircleSocket,
    readonly bucket: TokenBucket,
  ) {}

  get connected(): boolean {
    return this.socket.connected;
  }

  nextRequestId(): string {
    this.requestCount += 1;
    return `${this.socket.id.slice(0, 8)}-${this.requestCount}`;
  }

  attach(membership: Membership): void {
    this.membership = membership;
    this.everJoined = true;
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
    this.socket.emit('sessionEnded', { reason });
    // After the current request's acknowledgement is queued (the facilitator who ends the session still gets
    // its answer); the connection then closes once its buffer has drained.
    setImmediate(() => this.socket.disconnect(true));
  }
}
