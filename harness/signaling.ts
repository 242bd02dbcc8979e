import { io, type Socket } from 'socket.io-client';
import { fakeDtls, opusParameters } from './rtp.js';
import type { Ack } from '../src/protocol/errors.js';
import type { JoinResult } from '../src/protocol/events.js';

/**
 * A raw Socket.IO client for tests: it can send anything, including what the typed SDK would never send,
 * and returns the acknowledgement as received.
 */
export class TestClient {
  readonly socket: Socket;
  readonly received: { event: string; payload: unknown }[] = [];

  /** `extraHeaders`: sent with the handshake, e.g. a proxy's `x-forwarded-for`. */
  constructor(url: string, extraHeaders: Record<string, string> = {}) {
    this.socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders });
    this.socket.onAny((event: string, payload: unknown) => this.received.push({ event, payload }));
  }

  async connected(): Promise<this> {
    if (this.socket.connected) return this;
    await new Promise<void>((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', reject);
    });
    return this;
  }

  call<T = unknown>(event: string, payload?: unknown, timeoutMs = 10_000): Promise<Ack<T>> {
    return this.socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<Ack<T>>;
  }

  async ok<T = unknown>(event: string, payload?: unknown): Promise<T> {
    const response = await this.call<T>(event, payload);
    if (!response.ok) throw new Error(`${event} refused: ${response.error.code} ${response.error.message}`);
    return response.data;
  }

  /** Resolves with the first payload of `event` received from now on. */
  next<T = unknown>(event: string, timeoutMs = 5000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
      this.socket.once(event, (payload: T) => {
        clearTimeout(timer);
        resolve(payload);
      });
    });
  }

  events(event: string): unknown[] {
    return this.received.filter((r) => r.event === event).map((r) => r.payload);
  }

  close(): void {
    this.socket.disconnect();
  }
}

export async function connect(url: string): Promise<TestClient> {
  return new TestClient(url).connected();
}

/**
 * What a client SDK does after losing its node: resume through `entry`, following `MOVED`, until the room is back (a
 * live node takes it once the dead node's lease expires). `connected` sees each connection before it asks; `e2ee`: the
 * client says it can encrypt, as a page does.
 */
export async function resumeFollowingMoves(
  entry: string,
  resumeToken: string,
  { timeoutMs, e2ee, connected }: { timeoutMs: number; e2ee?: boolean; connected?: (client: TestClient) => void },
): Promise<{ client: TestClient; seat: JoinResult; ms: number }> {
  const started = Date.now();
  for (let url = entry; Date.now() - started < timeoutMs; ) {
    const client = await connect(url).catch(() => undefined);
    if (client) connected?.(client);
    const answer: Ack<JoinResult> | undefined = await client?.call<JoinResult>('resume', { resumeToken, ...(e2ee === undefined ? {} : { e2ee }) });
    if (answer?.ok) return { client: client!, seat: answer.data, ms: Date.now() - started };
    client?.close();
    // MOVED to a node that may be dead: a live one takes the room once its lease expires.
    url = answer && !answer.ok && answer.error.code === 'MOVED' && url === entry ? answer.error.location! : entry;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no resume within ${timeoutMs} ms`);
}

export async function devToken(
  url: string,
  body: { room: string; name: string; role?: string; participantId?: string },
): Promise<{ token: string; participantId: string }> {
  const response = await fetch(`${url}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`dev token: ${response.status} ${await response.text()}`);
  return (await response.json()) as { token: string; participantId: string };
}

export interface Seated {
  client: TestClient;
  participantId: string;
  result: { self: { admission: string }; resumeToken: string; admitted?: { peers: { participantId: string; role: string }[] } };
}

/** Connects and joins with a fresh dev token; the result tells whether the seat is admitted or waiting. */
export async function joinRoom(url: string, room: string, name: string, role: string): Promise<Seated> {
  const client = await connect(url);
  const { token, participantId } = await devToken(url, { room, name, role });
  const result = await client.ok<Seated['result']>('join', { token });
  return { client, participantId, result };
}

/** Opens a send transport and produces a microphone track with browser-like parameters; answers its id. */
export async function produceAudio(client: TestClient): Promise<string> {
  const transport = await client.ok<{ id: string }>('createTransport', { direction: 'send' });
  await client.ok('connectTransport', { transportId: transport.id, dtlsParameters: fakeDtls });
  const { producerId } = await client.ok<{ producerId: string }>('produce', {
    transportId: transport.id,
    kind: 'audio',
    rtpParameters: opusParameters(Math.floor(Math.random() * 1e9)),
    source: 'microphone',
  });
  return producerId;
}
