import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { CircleConfig } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../protocol/events.js';
import { ClientSession, type CircleSocket } from './client-session.js';
import { createDispatcher } from './dispatch.js';
import type { HandlerDeps } from './handlers.js';
import { TokenBucket } from '../limits/token-bucket.js';

export type SignalingServer = Server<ClientToServerEvents, ServerToClientEvents>;

export function attachSignaling(
  httpServer: HttpServer,
  settings: CircleConfig['signaling'],
  deps: HandlerDeps,
  metrics: Metrics,
  logger: Logger,
): SignalingServer {
  const io: SignalingServer = new Server(httpServer, {
    serveClient: false,
    // Beyond this the connection is dropped outright; smaller oversized payloads get PAYLOAD_TOO_LARGE.
    maxHttpBufferSize: settings.maxHttpBufferBytes,
    pingInterval: settings.pingIntervalMs,
    pingTimeout: settings.pingTimeoutMs,
  });
  const dispatch = createDispatcher(deps, metrics, logger, settings);

  io.on('connection', (socket: CircleSocket) => {
    const session = new ClientSession(socket, new TokenBucket(settings.rateLimitPerSecond, settings.rateLimitBurst));
    // A connection that never joins holds resources for nothing.
    const joinTimer = setTimeout(() => {
      if (!session.everJoined) session.end('join-timeout');
    }, settings.joinTimeoutMs);

    socket.onAny((event: string, ...args: unknown[]) => void dispatch(session, event, args));
    socket.on('disconnect', () => {
      clearTimeout(joinTimer);
      if (session.membership) deps.registry.holdSeat(session.membership);
      session.detach();
    });
  });
  return io;
}
