import { io } from 'socket.io-client';
import type { JoinResult } from '../protocol/events.js';
import type { RequestName, RequestPayload } from '../protocol/schemas.js';
import { RequestError, request, type CircleSocket } from './request.js';

/**
 * The signaling connection: one Socket.IO socket at a time, to the entry URL (a load balancer in front of the
 * nodes) or to the node that runs the room, following `MOVED` between them.
 */
export class Connection {
  private current: CircleSocket | undefined;
  /** The node this client talks to now: the entry, or the node running its room. */
  private currentUrl: string;

  /** `onSocket` wires each new socket's events: a move or a return to the entry opens a new one. */
  constructor(
    private readonly entryUrl: string,
    private readonly onSocket: (socket: CircleSocket) => void,
    /** Where `MOVED` may send this client besides the entry's origin; undefined: wherever the server says. */
    private readonly allowedOrigins?: readonly string[],
  ) {
    this.currentUrl = entryUrl;
  }

  get socket(): CircleSocket | undefined {
    return this.current;
  }

  /** Whether the room runs on a node other than the entry. */
  get awayFromEntry(): boolean {
    return this.currentUrl !== this.entryUrl;
  }

  /** The current socket, connecting if there is none. */
  open(): CircleSocket {
    if (this.current) return this.current;
    const socket: CircleSocket = io(this.currentUrl, {
      transports: ['websocket'],
      // Back within about 2 s of the network returning (a therapy group is waiting); the jitter keeps a room
      // whose connections dropped together from returning in one burst.
      reconnectionDelay: 500,
      reconnectionDelayMax: 2000,
      randomizationFactor: 0.5,
    });
    this.current = socket;
    this.onSocket(socket);
    return socket;
  }

  request<K extends RequestName>(event: K, payload: RequestPayload<K>) {
    if (!this.current) throw new Error('not connected');
    return request(this.current, event, payload);
  }

  /**
   * Sends a join or resume; when the room runs on another node (`MOVED`), connects there and asks again.
   * A few hops at most: the directory names one owner, and a stale answer is corrected on the next try.
   */
  async followingMoves(ask: (socket: CircleSocket) => Promise<JoinResult>): Promise<JoinResult> {
    for (let hop = 0; ; hop += 1) {
      try {
        return await ask(this.open());
      } catch (error) {
        const moved = error instanceof RequestError && error.code === 'MOVED' && error.location;
        if (!moved || hop >= 3 || !this.mayMoveTo(error.location!)) throw error;
        this.switchTo(error.location!);
      }
    }
  }

  private mayMoveTo(url: string): boolean {
    if (!this.allowedOrigins || !URL.canParse(url)) return URL.canParse(url);
    const origin = new URL(url).origin;
    return origin === new URL(this.entryUrl).origin || this.allowedOrigins.includes(origin);
  }

  /** A node going away: the entry knows where the room runs next. */
  returnToEntry(): void {
    this.switchTo(this.entryUrl);
  }

  close(): void {
    this.current?.disconnect();
    this.current = undefined;
  }

  /** Drops the current socket (it holds no seat) and talks to another node from now on. */
  private switchTo(url: string): void {
    this.current?.removeAllListeners();
    this.current?.io.removeAllListeners();
    this.current?.disconnect();
    this.current = undefined;
    this.currentUrl = url;
  }
}

/**
 * Tries `attempt` until it succeeds or `keepTrying` says stop, with exponential backoff and jitter between tries
 * so that a whole room does not return in one burst.
 */
export async function withBackoff(
  attempt: () => Promise<void>,
  keepTrying: () => boolean,
  onFailure: (error: Error) => void,
): Promise<void> {
  for (let tries = 0; keepTrying(); tries += 1) {
    try {
      await attempt();
      return;
    } catch (error) {
      onFailure(error as Error);
      await new Promise((resolve) => setTimeout(resolve, Math.min(8000, 250 * 2 ** tries) * (0.5 + Math.random())));
    }
  }
}
