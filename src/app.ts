import { randomBytes } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { TokenService, type Identity } from './auth/tokens.js';
import type { CircleConfig } from './config/schema.js';
import { SessionReports } from './reports/session-reports.js';
import { WebhookSender } from './webhooks/webhooks.js';
import { WebhookOutbox } from './webhooks/outbox.js';
import { NodeRoster } from './cluster/node-roster.js';
import { NodeRequests } from './cluster/node-requests.js';
import { createInternalApp, createPublicApp, type Readiness } from './http/app.js';
import { publicServer } from './http/tls.js';
import { AddressLimits } from './limits/address-limits.js';
import type { Logger } from './logging/logger.js';
import { WorkerPool } from './media/worker-pool.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { observeRoom, roomCounts } from './metrics/room-metrics.js';
import { CallSeats } from './rooms/call-seats.js';
import { RoomRegistry } from './rooms/room-registry.js';
import { attachSignaling, type SignalingServer } from './signaling/server.js';
import type { KeyValueStore } from './store/kv.js';
import { MemoryKeyValueStore } from './store/memory-kv.js';
import { RedisKeyValueStore } from './store/redis-kv.js';
import { RoomDirectory } from './store/room-directory.js';
import { SealedStore } from './store/sealed-store.js';
import { PrivacyKeys } from './privacy/privacy-keys.js';
import { PhoneBridge } from './phone/phone-bridge.js';
import { TurnCredentials } from './turn/turn-credentials.js';
import { ConnectionChecks } from './check/connection-checks.js';

/** How long the webhook sequence's count lives in the store from its first event: as good as for ever. */
const WEBHOOK_SEQUENCE_LIFETIME_MS = 10 * 365 * 24 * 3600 * 1000;

export interface Circle {
  config: CircleConfig;
  httpServer: HttpServer;
  /** Health, readiness, metrics and administration, on `admin.host`:`admin.port`. */
  internalServer: HttpServer;
  io: SignalingServer;
  pool: WorkerPool;
  registry: RoomRegistry;
  metrics: Metrics;
  tokens: TokenService;
  kv: KeyValueStore;
  directory: RoomDirectory;
  /** The SIP dial-in bridge, when `phone.enabled`. */
  phone: PhoneBridge | undefined;
  /** Pre-session connection checks open now. */
  checks: ConnectionChecks;
  /** Resolves once the ports listen; the bound ones are answered (useful when configured as 0). */
  listen(): Promise<{ port: number; adminPort: number; sipPort: number | undefined }>;
  readiness(): Readiness;
  /**
   * Drains: readiness false and no new rooms at once; rooms carry on until they empty or `drainTimeoutMs`
   * passes, then their participants are told to reconnect (to another node) and workers and sockets close.
   */
  shutdown(drainTimeoutMs?: number): Promise<void>;
}

/** Listens; answers the bound port. */
function listenOn(server: HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Whichever store holds the state, Circle's code reaches it sealed (see SealedStore). */
function createStore({ store }: CircleConfig, keys: PrivacyKeys, logger: Logger): KeyValueStore {
  if (!store.redisUrl) return new SealedStore(new MemoryKeyValueStore(), keys, logger);
  const redis = new RedisKeyValueStore({ url: store.redisUrl, password: store.redisPassword, tlsCaFile: store.redisTlsCaFile }, logger);
  redis.start();
  return new SealedStore(redis, keys, logger);
}

/** The TURN relay's credentials, when a secret is shared with one; without it clients are told of no relay. */
function relayFor({ turn, mediasoup }: CircleConfig, logger: Logger): TurnCredentials | undefined {
  if (!turn.secret) {
    logger.warn('turn.secret is not set: no TURN relay is offered, so clients whose network blocks the media ports cannot connect');
    return undefined;
  }
  return new TurnCredentials({ ...turn, host: turn.host || (mediasoup.announcedIp ?? '127.0.0.1') });
}

export async function createCircle(config: CircleConfig, logger: Logger): Promise<Circle> {
  let registry: RoomRegistry | undefined;
  let pool: WorkerPool | undefined;
  let checks: ConnectionChecks | undefined;
  let shuttingDown = false;
  const keys = new PrivacyKeys(config.privacy.secret);
  const kv = createStore(config, keys, logger);
  const metrics = createMetrics(() =>
    registry && pool
      ? {
          ...roomCounts(() => registry!.openRooms()),
          workersAlive: () => pool!.alive,
          workerUsage: () => pool!.resourceUsage(),
          storeUp: () => kv.available,
          draining: () => shuttingDown,
          checksOpen: () => checks?.list().length ?? 0,
        }
      : undefined,
  );
  pool = await WorkerPool.start(config.mediasoup, logger, () => metrics.workerDeaths.inc());
  const { enableTcp, initialAvailableOutgoingBitrate, listenIp } = config.mediasoup;
  const transport = { enableTcp, initialAvailableOutgoingBitrate, listenIp };
  const nodeId = config.cluster.nodeId || `${os.hostname()}-${randomBytes(3).toString('hex')}`;
  // The URL is known once listening (the port may be 0): set in listen() below.
  const directory = new RoomDirectory(kv, { nodeId, url: config.cluster.publicUrl }, config.cluster.leaseMs);
  registry = new RoomRegistry(
    pool,
    {
      emptyRoomTimeoutMs: config.rooms.emptyRoomTimeoutMs,
      recordRetentionMs: config.rooms.recordRetentionMs,
      maxParticipants: config.rooms.maxParticipantsPerRoom,
      maxRooms: config.rooms.maxRoomsPerNode,
      requireAdmission: config.rooms.requireAdmission,
      observersVisibleToClients: config.rooms.observersVisibleToClients,
      talkBalance: config.rooms.talkBalance,
      e2eeMode: config.e2ee.mode,
      e2eeDialIn: config.e2ee.dialIn,
      facilitatorAbsenceMs: config.rooms.facilitatorAbsenceMs,
      moderationPerSecond: config.rooms.moderationPerSecond,
      moderationBurst: config.rooms.moderationBurst,
      transport,
      botTransports: config.load.botTransports,
      turnWarningMs: config.floor.turnWarningSeconds * 1000,
      resumeGraceMs: config.sessions.resumeGraceMs,
      defaultTurnLimitMs: config.floor.defaultTurnSeconds ? config.floor.defaultTurnSeconds * 1000 : null,
      snapshotIntervalMs: config.store.snapshotIntervalMs,
      leaseMs: config.cluster.leaseMs,
      allowedOrigins: config.cluster.allowedOrigins,
      quality: config.quality,
      messages: config.messages,
    },
    logger,
    { kv, directory },
  );
  // The events' sequence lives in the shared store: one count for the cluster, across restarts, for as long as it keeps it.
  const nextWebhookSequence = () => kv.add('circle:webhooks:sequence', 1, WEBHOOK_SEQUENCE_LIFETIME_MS);
  const webhooks = new WebhookSender(config.webhooks, nextWebhookSequence, (outcome) => metrics.webhookDeliveries.inc({ outcome }), logger);
  const reports = new SessionReports(
    (report) => {
      metrics.sessionsEnded.inc({ worst_quality: report.worstQuality });
      webhooks.report(report);
    },
    { kv, intervalMs: config.store.snapshotIntervalMs, heartbeatMs: config.cluster.leaseMs / 3, retentionMs: config.rooms.recordRetentionMs },
    logger,
  );
  // The cluster: who is alive, what a departed node left (its undelivered webhooks), and requests between nodes.
  const roster = new NodeRoster(kv, nodeId, config.cluster.leaseMs, logger);
  const outbox = new WebhookOutbox(kv, nodeId, config.store.snapshotIntervalMs, webhooks, logger);
  roster.onDeparture((departed) => outbox.takeOver(departed));
  roster.start();
  const cluster = { directory, roster, requests: new NodeRequests(kv, nodeId, logger) };
  registry.observer.on('newroom', (room) => {
    observeRoom(room, metrics);
    room.observer.on('participation', (event) => webhooks.participation(room.id, event));
    reports.follow(room);
  });
  const tokens = new TokenService(config.auth);

  // Ready needs the store reached once (a node that never could would only answer UNAVAILABLE); after that a Redis
  // outage leaves readiness alone: it hits every pod at once, and unready pods all at once would empty the Service
  // and block node drains behind the disruption budget, while running rooms go on. It shows in /readyz's checks,
  // circle_store_up and the CircleStoreDown alert.
  let storeReached = kv.available;
  kv.on('availability', (available) => (storeReached ||= available));
  const readiness = (): Readiness => {
    const workers = `${pool!.alive}/${pool!.size}`;
    const ready = !shuttingDown && registry!.accepting && pool!.alive === pool!.size && storeReached;
    return { ready, checks: { workers, accepting: registry!.accepting && !shuttingDown, store: kv.available ? 'up' : 'down' } };
  };

  // Each session says whether it takes calls: an end-to-end encrypted one only where it allows them (`e2ee.dialIn`,
  // or the session's own), the bridge then a member of its circles that every page lists (README, "End-to-end
  // encryption and the phone").
  const phone = config.phone.enabled ? new PhoneBridge(config.phone, kv, { directory, keys }, new CallSeats(registry), metrics.phone, logger) : undefined;
  const dialIn = phone && ((identity: Identity) => phone.dialInFor(identity));
  // The check page offers the phone where this node's sessions take calls unless they say otherwise.
  const callsByDefault = config.e2ee.mode === 'off' || config.e2ee.dialIn === 'allowed';
  const publicListener = publicServer(config.http, createPublicApp({ config, tokens, logger }), logger);
  const httpServer = publicListener.server;
  const internalServer = createServer(createInternalApp({ config, metrics, logger, readiness, registry, tokens, reports, cluster, phone }));
  const addresses = new AddressLimits(config.signaling);
  const turn = relayFor(config, logger);
  const iceServers = turn && ((ttlSeconds?: number) => [turn.issue(ttlSeconds)]);
  checks = new ConnectionChecks(pool, transport, config.check, (outcome) => metrics.connectionChecks.inc({ outcome }));
  const deps = { tokens, registry, addresses, dialIn, iceServers, checks, dialInNumber: phone && callsByDefault ? config.phone.displayNumber : '' };
  const io = attachSignaling(httpServer, config.signaling, deps, metrics, logger);

  return {
    config,
    httpServer,
    internalServer,
    io,
    pool,
    registry,
    metrics,
    tokens,
    kv,
    directory,
    phone,
    checks,
    readiness,
    async listen() {
      const port = await listenOn(httpServer, config.http.port, config.http.host);
      directory.self.url ||= `${publicListener.secure ? 'https' : 'http'}://${config.mediasoup.announcedIp ?? '127.0.0.1'}:${port}`;
      const adminPort = await listenOn(internalServer, config.admin.port, config.admin.host);
      return { port, adminPort, sipPort: await phone?.listen() };
    },
    async shutdown(drainTimeoutMs = config.shutdown.drainTimeoutMs) {
      if (shuttingDown) return;
      shuttingDown = true;
      registry!.stopAcceptingRooms();
      const deadline = Date.now() + drainTimeoutMs;
      while (registry!.participantCount() > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(500, deadline - Date.now())));
      }
      logger.info({ participantsMoved: registry!.participantCount() }, 'drained; moving the remaining participants');
      // Callers are hung up first: their seats are then held and written with everyone else's.
      await phone?.close();
      checks.closeAll();
      await registry!.closeAll('server-shutdown');
      // What is left to deliver is written, and this node leaves the roster at once, for another to send it.
      reports.stop();
      outbox.stop();
      await outbox.flush();
      await roster.stop();
      // The listener's close waits for every connection to end. One that never sends a request (a browser's
      // preconnect, a stalled or hostile client) would hold it until the header timeout; no one is served any more,
      // so each is cut as the sockets are.
      const signalingClosed = new Promise<void>((resolve) => io.close(() => resolve()));
      httpServer.closeAllConnections();
      await signalingClosed;
      await pool!.close();
      await kv.close();
      publicListener.stop();
      internalServer.close();
      internalServer.closeAllConnections();
    },
  };
}
