import type { Socket } from 'socket.io-client';
import type { ClientToServerEvents, RequestResults, ServerToClientEvents } from '../protocol/events.js';
import type { Ack, ErrorBody, ErrorCode } from '../protocol/errors.js';
import type { RequestName, RequestPayload } from '../protocol/schemas.js';

export type CircleSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A refusal from the server, with its code from the closed set in the protocol. */
export class RequestError extends Error {
  readonly code: ErrorCode | 'TIMEOUT';
  /** With `MOVED`: where the room runs. */
  readonly location: string | undefined;

  constructor(body: ErrorBody | { code: 'TIMEOUT'; message: string }) {
    super(body.message);
    this.name = 'RequestError';
    this.code = body.code;
    this.location = 'location' in body ? body.location : undefined;
  }
}

export async function request<K extends RequestName>(
  socket: CircleSocket,
  event: K,
  payload: RequestPayload<K>,
  timeoutMs = 10_000,
): Promise<RequestResults[K]> {
  // socket.io-client's typings cannot follow a generic event name through timeout(); the shape is the same.
  const timed = socket.timeout(timeoutMs) as unknown as {
    emit(event: K, payload: RequestPayload<K>, ack: (error: Error | null, response: Ack<RequestResults[K]>) => void): void;
  };
  return new Promise((resolve, reject) => {
    timed.emit(event, payload, (error, response) => {
      if (error) reject(new RequestError({ code: 'TIMEOUT', message: `${event} timed out` }));
      else if (response.ok) resolve(response.data);
      else reject(new RequestError(response.error));
    });
  });
}
