import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenService } from './auth/tokens.js';
import type { CircleConfig } from './config/schema.js';
import { createHttpApp, type Readiness } from './http/app.js';
import type { Logger } from './logging/logger.js';
import { WorkerPool } from './media/worker-pool.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { RoomRegistry } from './rooms/room-registry.js';
import { attachSignaling, type SignalingServer } from './signaling/server.js';

export interface Circle {
  config: CircleConfig;
  httpServer: HttpServer;
  io: SignalingServer;
  pool: WorkerPool;
  registry: RoomRegistry;
  metrics: Metrics;
  tokens: TokenService;
  /** Resolves once listening; `port` is the bound one (useful when configured as 0). */
  listen(): Promise<{ port: number }>;
  readiness(): Readiness;
  /** Readiness false, participants told to reconnect elsewhere, workers and sockets closed. */
  shutdown(): Promise<void>;
}

export async function createCircle(config: CircleConfig, logger: Logger): Promise<Circle> {
  let registry: RoomRegistry | undefined;
  let pool: WorkerPool | undefined;
  const metrics = createMetrics(() =>
    registry && pool ? { ...registry.counts(), workersAlive: () => pool!.alive } : undefined,
  );
  pool = await WorkerPool.start(config.mediasoup, logger, () => metrics.workerDeaths.inc());
  registry = new RoomRegistry(
    pool,
    {
      emptyRoomTimeoutMs: config.rooms.emptyRoomTimeoutMs,
      recordRetentionMs: config.rooms.recordRetentionMs,
      maxParticipants: config.rooms.maxParticipantsPerRoom,
      requireAdmission: config.rooms.requireAdmission,
      observersVisibleToClients: config.rooms.observersVisibleToClients,
      facilitatorAbsenceMs: config.rooms.facilitatorAbsenceMs,
      transport: {
        enableTcp: config.mediasoup.enableTcp,
        initialAvailableOutgoingBitrate: config.mediasoup.initialAvailableOutgoingBitrate,
      },
      turnWarningMs: config.floor.turnWarningSeconds * 1000,
      resumeGraceMs: config.sessions.resumeGraceMs,
      defaultTurnLimitMs: config.floor.defaultTurnSeconds ? config.floor.defaultTurnSeconds * 1000 : null,
      onModeration: (action) => metrics.moderationActions.inc({ action }),
      onError: (error, during) => logger.error({ err: error, during }, 'room task failed'),
      onSeatOutcome: (outcome) => metrics.reconnects.inc({ outcome }),
      onFloorGrant: (source, waitedMs) => {
        metrics.floorGrants.inc({ source });
        if (waitedMs !== null) metrics.floorWait.observe(waitedMs / 1000);
      },
    },
    logger,
  );
  const tokens = new TokenService(config.auth);
  let shuttingDown = false;

  const readiness = (): Readiness => {
    const workers = `${pool!.alive}/${pool!.size}`;
    const ready = !shuttingDown && registry!.accepting && pool!.alive === pool!.size;
    return { ready, checks: { workers, accepting: registry!.accepting && !shuttingDown } };
  };

  const app = createHttpApp({ config, tokens, metrics, logger, readiness, registry });
  const httpServer = createServer(app);
  const io = attachSignaling(httpServer, config.signaling, { tokens, registry }, metrics, logger);

  return {
    config,
    httpServer,
    io,
    pool,
    registry,
    metrics,
    tokens,
    readiness,
    listen: () =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.http.port, config.http.host, () => {
          httpServer.off('error', reject);
          resolve({ port: (httpServer.address() as AddressInfo).port });
        });
      }),
    async shutdown() {
      if (shuttingDown) return;
      shuttingDown = true;
      registry!.stopAcceptingRooms();
      registry!.closeAll('server-shutdown');
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await pool!.close();
      httpServer.closeAllConnections();
    },
  };
}
