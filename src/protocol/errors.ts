/** The closed set of error codes a client can receive; docs/protocol.md says when each is used. */
export const ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'NOT_JOINED',
  'ALREADY_JOINED',
  'ROOM_FULL',
  'ROOM_LOCKED',
  'SESSION_ENDED',
  'REMOVED',
  'NOT_ADMITTED',
  'ON_HOLD',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'UNKNOWN_EVENT',
  'UNAVAILABLE',
  'MOVED',
  /** The session requires end-to-end encryption and the joining client did not say it can encrypt (`join.e2ee`). */
  'E2EE_UNSUPPORTED',
  /** What the shared store holds for this session does not parse: refused, never opened from half a record. */
  'STORED_STATE_INVALID',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** With `MOVED`: the signaling URL of the node that runs the room; the client joins there. */
  location?: string;
}

/** An error meant for the client: its code and message reach the peer unchanged. */
export class CircleError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly location?: string,
  ) {
    super(message);
    this.name = 'CircleError';
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message, ...(this.location ? { location: this.location } : {}) };
  }
}

export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
