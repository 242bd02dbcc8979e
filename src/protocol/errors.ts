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
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

/** An error meant for the client: its code and message reach the peer unchanged. */
export class CircleError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CircleError';
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message };
  }
}

export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
