import { randomUUID } from 'node:crypto';
import path from 'node:path';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { z } from 'zod';
import { displayName, opaqueId, type TokenService } from '../auth/tokens.js';
import { ApiKeys, presentedBearer } from '../api/api-keys.js';
import { createApiRouter, phoneOnlySeat } from '../api/router.js';
import type { CircleConfig } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { CircleError } from '../protocol/errors.js';
import { jsonRoute, parseInput } from '../api/json-route.js';
import { roomPath } from '../api/schemas.js';
import { ROLES } from '../protocol/roles.js';
import type { PhoneBridge } from '../phone/phone-bridge.js';
import type { SessionReports } from '../reports/session-reports.js';
import type { RoomRegistry } from '../rooms/room-registry.js';
import { RoomOperations, type ClusterReach } from '../api/room-operations.js';

export interface Readiness {
  ready: boolean;
  checks: Record<string, string | boolean>;
}

export interface HttpDeps {
  config: CircleConfig;
  tokens: TokenService;
  metrics: Metrics;
  logger: Logger;
  readiness: () => Readiness;
  registry: RoomRegistry;
  reports: SessionReports;
  cluster: ClusterReach;
  /** The dial-in bridge, when `phone.enabled`. */
  phone?: PhoneBridge;
}

const devTokenRequest = z
  .object({ room: opaqueId, name: displayName, role: z.enum(ROLES).default('client'), participantId: opaqueId.optional() })
  .strict();

const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Every response carries a request id: the caller's, if it sent a well-formed one, else a new one. */
const requestIds: RequestHandler = (req, res, next) => {
  const incoming = req.header('x-request-id');
  res.locals.requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('x-request-id', res.locals.requestId as string);
  next();
};

/** Errors answer with a typed code and the request id; the stack goes to the log, never to the caller. */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    const requestId = res.locals.requestId as string;
    const status = typeof error?.status === 'number' && error.status < 500 ? error.status : 500;
    if (status >= 500) logger.error({ requestId, err: error }, 'http request failed');
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL';
    res.status(status).json({ error: { code, message: status < 500 ? 'bad request' : `internal error (request ${requestId})` } });
  };
}

/**
 * The content security policy the web app runs under: its own scripts and styles only, media from the camera
 * and microphone, and signaling to this origin and the other nodes `cluster.allowedOrigins` names (a `MOVED`
 * client goes there; nowhere else).
 */
function contentSecurityPolicy(config: CircleConfig) {
  return helmet.contentSecurityPolicy({
    useDefaults: true,
    directives: {
      // Socket.IO's WebSocket goes to the ws(s):// twin of each origin.
      'connect-src': ["'self'", ...config.cluster.allowedOrigins.flatMap((origin) => [origin, origin.replace(/^http/, 'ws')])],
      'media-src': ["'self'", 'blob:', 'mediastream:'],
      // The microphone's noise suppression is WebAssembly in an AudioWorklet: compiling it needs this, nothing more.
      'script-src': ["'self'", "'wasm-unsafe-eval'"],
      'img-src': ["'self'", 'data:'],
      'style-src': ["'self'"],
      'font-src': ["'self'"],
      // The demo page is served over plain http on loopback; a deployment terminates TLS in front.
      'upgrade-insecure-requests': null,
    },
  });
}

/**
 * The public port: signaling (attached by Socket.IO), the web app when `http.serveWebApp` says so, and demo
 * tokens when `auth.devTokens` does. Nothing else: health, metrics and administration are on the internal port.
 */
export function createPublicApp({ config, tokens, logger }: Pick<HttpDeps, 'config' | 'tokens' | 'logger'>): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestIds);
  app.use(helmet({ contentSecurityPolicy: false, strictTransportSecurity: false }));
  app.use(contentSecurityPolicy(config));

  if (config.auth.devTokens) {
    // A local demo only (refused in production): a clinic's own backend mints real tokens.
    app.post(
      '/dev/token',
      express.json({ limit: '4kb' }),
      jsonRoute(logger, 'devToken', (req) => {
        const { room, name, role, participantId } = parseInput(devTokenRequest, req.body, 'body');
        return tokens.mint({ roomId: room, displayName: name, role, participantId }, config.auth.devTokenTtlSeconds);
      }),
    );
  }

  if (config.http.serveWebApp) {
    app.use(express.static(path.resolve(config.http.publicDir), { index: 'index.html', extensions: ['html'], maxAge: 0 }));
  }
  app.use(errorHandler(logger));
  return app;
}

/**
 * The internal port (`admin.host`, `admin.port`): liveness, readiness, Prometheus metrics and the administrators'
 * endpoints, for the orchestrator, Prometheus and the clinic's operators; never exposed to participants.
 */
export function createInternalApp({ config, metrics, logger, readiness, registry, tokens, reports, cluster, phone }: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestIds);
  app.use(helmet());

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', (_req, res) => {
    const state = readiness();
    res.status(state.ready ? 200 : 503).json(state);
  });

  app.get('/metrics', async (_req, res, next) => {
    try {
      res.setHeader('content-type', metrics.registry.contentType);
      res.send(await metrics.registry.metrics());
    } catch (error) {
      next(error);
    }
  });

  // The clinic systems' API, with its own keys (api.keys); any node answers for every room.
  const rooms = new RoomOperations({ registry, reports, config }, cluster);
  app.use('/api/v1', createApiRouter({ config, tokens, rooms, logger, phone }));

  // Administration, for clinic administrators and incident review: the bearer secret, compared in constant time.
  const adminSecret = new ApiKeys([ApiKeys.create('admin', config.admin.bearerSecret)]);
  app.use('/admin', (req, res, next) => {
    if (adminSecret.identify(presentedBearer(req.header('authorization')))) return next();
    res.status(401).json({ error: { code: 'UNAUTHORIZED', message: 'bearer secret required' } });
  });

  // The audit log of a room (moderation actions, ids only).
  app.get(
    '/admin/rooms/:roomId/audit',
    jsonRoute(logger, 'adminAudit', async (req) => {
      // Any node answers: a room running elsewhere (or whose node died) is read from the shared store.
      const record = await registry.anyRecord(req.params.roomId ?? '');
      if (!record) throw new CircleError('NOT_FOUND', 'no such room (or its record has expired)');
      return { ended: record.ended, locked: record.locked, entries: record.audit, dropped: record.auditDropped };
    }),
  );

  // Ends a session from any node (a facilitator cannot, or a clinic's system ends sessions on a schedule).
  app.post(
    '/admin/rooms/:roomId/end',
    jsonRoute(logger, 'adminEnd', (req) => rooms.endRoom(parseInput(roomPath, req.params, 'path').roomId)),
  );

  // A phone-only seat (someone without a browser): the same as the server API's POST /api/v1/rooms/{roomId}/dial-in.
  app.post('/admin/rooms/:roomId/dial-in', express.json({ limit: '4kb' }), jsonRoute(logger, 'adminDialIn', (req) => phoneOnlySeat(phone, req.params, req.body)));

  app.use(errorHandler(logger));
  return app;
}
