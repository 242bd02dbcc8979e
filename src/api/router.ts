import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { z } from 'zod';
import type { TokenService } from '../auth/tokens.js';
import type { CircleConfig } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import { jsonRoute, parseInput } from './json-route.js';
import { CircleError } from '../protocol/errors.js';
import { KeyedBuckets } from '../limits/keyed-buckets.js';
import { ApiKeys, coversRoom, presentedBearer, requireScope, type ApiGrant, type ApiScope } from './api-keys.js';
import { openApiDocument } from './openapi.js';
import type { PhoneBridge } from '../phone/phone-bridge.js';
import type { RoomOperations } from './room-operations.js';
import * as api from './schemas.js';

export interface ApiDeps {
  config: CircleConfig;
  /** The dial-in bridge, when `phone.enabled`. */
  phone: PhoneBridge | undefined;
  tokens: TokenService;
  /** The rooms' operations, wherever each room runs. */
  rooms: RoomOperations;
  logger: Logger;
}

/**
 * The server API for the clinic's systems (`/api/v1` on the internal listener): tokens, live rooms, ending a
 * session, muting and removing someone; its OpenAPI document at `/api/v1/openapi.json`. Every request but the
 * document's needs one of `api.keys`. Names of participants only when asked for (`?names=true`).
 */
export function createApiRouter({ config, tokens, rooms, logger, phone }: ApiDeps): Router {
  const router = express.Router();
  const keys = new ApiKeys(config.api.keys);
  const budgets = new KeyedBuckets(config.api.requestsPerMinutePerKey / 60, config.api.requestsPerMinutePerKey);
  const grantOf = (req: Request) => req.res!.locals.apiGrant as ApiGrant;
  /** The route's scope, for the room in its path if it names one: checked before anything else is read. */
  const scoped =
    (scope: ApiScope) =>
    (req: Request, _res: Response, next: NextFunction): void => {
      try {
        requireScope(grantOf(req), scope, req.params.roomId);
        next();
      } catch (error) {
        next(error);
      }
    };
  const document = openApiDocument();
  const withNames = (req: Request) => parseInput(api.namesQuery, req.query, 'query').names === 'true';

  router.get('/openapi.json', (_req, res) => void res.json(document));
  router.use((req, res, next) => {
    const grant = keys.identify(presentedBearer(req.header('authorization')));
    if (!grant) {
      res.status(401).json({ error: { code: 'UNAUTHORIZED', message: 'an API key is required' } });
      return;
    }
    if (!budgets.take(grant.name)) {
      res.status(429).json({ error: { code: 'RATE_LIMITED', message: `at most ${config.api.requestsPerMinutePerKey} requests a minute per API key` } });
      return;
    }
    res.locals.apiKey = grant.name;
    res.locals.apiGrant = grant;
    next();
  });
  router.use(express.json({ limit: '8kb' }));

  router.post(
    '/rooms/:roomId/tokens',
    scoped('mint'),
    jsonRoute(logger, 'mintToken', async (req) => {
      const { roomId } = parseInput(api.roomPath, req.params, 'path');
      const request = parseInput(api.mintTokenRequest, req.body ?? {}, 'body');
      // Staff tokens run a session: a scope of their own.
      if (request.role === 'facilitator' || request.role === 'cofacilitator') requireScope(grantOf(req), 'mint-staff', roomId);
      if (request.ttlSeconds > config.auth.maxTokenLifetimeSeconds) {
        throw new CircleError('BAD_REQUEST', `body.ttlSeconds: at most ${config.auth.maxTokenLifetimeSeconds}`);
      }
      const minted = await tokens.mint({ roomId, displayName: request.name, role: request.role, participantId: request.participantId }, request.ttlSeconds);
      return { ...minted, expiresAt: new Date(Date.now() + request.ttlSeconds * 1000).toISOString() };
    }),
  );
  router.post('/rooms/:roomId/dial-in', scoped('mint'), jsonRoute(logger, 'createDialIn', (req) => phoneOnlySeat(phone, req.params, req.body)));
  router.get(
    '/rooms',
    scoped('read'),
    jsonRoute(logger, 'listRooms', async (req) => {
      const { rooms: all, unreachableNodes } = await rooms.listRooms(withNames(req));
      return { rooms: all.filter((room) => coversRoom(grantOf(req), room.roomId)), unreachableNodes };
    }),
  );
  router.get(
    '/rooms/:roomId',
    scoped('read'),
    jsonRoute(logger, 'describeRoom', (req) => rooms.onRoom('describeRoom', { ...parseInput(api.roomPath, req.params, 'path'), withNames: withNames(req) })),
  );
  router.put(
    '/sessions/:roomId',
    scoped('moderate'),
    jsonRoute(logger, 'setUpSession', (req) => rooms.onRoom('setUpSession', { ...parseInput(api.roomPath, req.params, 'path'), ...parseInput(api.sessionSetup, req.body ?? {}, 'body') })),
  );
  router.get(
    '/sessions/:roomId',
    scoped('read'),
    jsonRoute(logger, 'describeSession', (req) => rooms.onRoom('describeSession', parseInput(api.roomPath, req.params, 'path'))),
  );
  router.get(
    '/rooms/:roomId/report',
    scoped('read'),
    jsonRoute(logger, 'sessionReport', (req) => rooms.onRoom('sessionReport', parseInput(api.roomPath, req.params, 'path'))),
  );
  router.post(
    '/rooms/:roomId/end',
    scoped('moderate'),
    jsonRoute(logger, 'endRoom', (req) => rooms.endRoom(parseInput(api.roomPath, req.params, 'path').roomId)),
  );
  router.post(
    '/rooms/:roomId/participants/:participantId/mute',
    scoped('moderate'),
    jsonRoute(logger, 'muteParticipant', (req) => rooms.onRoom('muteParticipant', parseInput(api.participantPath, req.params, 'path'))),
  );
  router.post(
    '/rooms/:roomId/participants/:participantId/remove',
    scoped('moderate'),
    jsonRoute(logger, 'removeParticipant', (req) => rooms.onRoom('removeParticipant', parseInput(api.participantPath, req.params, 'path'))),
  );
  // A scope refused: answered as every other refusal is, code and message.
  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!(error instanceof CircleError)) return next(error);
    res.status(403).json({ error: { code: error.code, message: error.message } });
  });
  return router;
}

/** A seat for someone who only ever calls in: its PIN (they go through the waiting room like anyone else). */
export async function phoneOnlySeat(phone: PhoneBridge | undefined, params: unknown, body: unknown): Promise<z.infer<typeof api.dialInResponse>> {
  const { roomId } = parseInput(api.roomPath, params, 'path');
  const request = parseInput(api.dialInRequest, body ?? {}, 'body');
  if (!phone) throw new CircleError('UNAVAILABLE', 'dial-in is off on this node (phone.enabled)');
  return phone.seatPin({ roomId, participantId: request.participantId, displayName: request.name, role: request.role });
}
