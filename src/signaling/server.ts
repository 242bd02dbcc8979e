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
import { SampledLog } from '../logging/sampled-log.js';
import { addressKey, clientAddress } from '../limits/client-address.js';

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
  const refusedConnections = new SampledLog(logger, 'connection refused: too many from one address', settings.refusalLogsPerSecond);

  // Before the connection is accepted: one address may hold only so many.
  io.use((socket, next) => {
    const forwarded = socket.handshake.headers[settings.clientAddressHeader];
    const address = addressKey(clientAddress(socket.handshake.address, Array.isArray(forwarded) ? forwarded.join(',') : forwarded, settings.trustedProxyHops));
    if (!deps.addresses.connect(address)) {
      refusedConnections.write(() => ({ address }), 'warn');
      return next(Object.assign(new Error('too many connections from this address'), { data: { code: 'RATE_LIMITED' } }));
    }
    socket.data.address = address;
    socket.once('disconnect', () => deps.addresses.disconnect(address));
    next();
  });

  io.on('connection', (socket: CircleSocket) => {
    const bucket = new TokenBucket(settings.rateLimitPerSecond, settings.rateLimitBurst);
    const session = new ClientSession(socket, bucket, socket.data.address as string);
    // A connection that never joins holds resources for nothing; one running a connection check is given until it
    // ends (a check closes by itself after its lifetime).
    let joinTimer: NodeJS.Timeout;
    const endUnjoined = () => {
      if (session.everJoined) return;
      if (session.check) joinTimer = setTimeout(endUnjoined, settings.joinTimeoutMs);
      else session.end('join-timeout');
    };
    joinTimer = setTimeout(endUnjoined, settings.joinTimeoutMs);

    socket.onAny((event: string, ...args: unknown[]) => void dispatch(session, event, args));
    socket.on('disconnect', () => {
      clearTimeout(joinTimer);
      session.check?.close();
      if (session.membership) deps.registry.holdSeat(session.membership);
      session.detach();
    });
  });
  return io;
}
