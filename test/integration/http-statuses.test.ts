import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { jsonRoute } from '../../src/api/json-route.js';
import { createLogger } from '../../src/logging/logger.js';
import { CircleError, type ErrorCode } from '../../src/protocol/errors.js';

// The HTTP status each refusal of an HTTP endpoint answers with, through express over a real socket: the codes HTTP
// has a status for get it (429 and 413 as clients and proxies expect), the session's own refusals a 409.
let server: Server;
let base: string;
beforeAll(async () => {
  const app = express();
  app.use((_req, res, next) => {
    res.locals.requestId = 'req-1';
    next();
  });
  app.get('/refuse/:code', jsonRoute(createLogger('silent', (id) => id), 'refuse', (req) => {
    throw new CircleError(req.params.code as ErrorCode, 'refused');
  }));
  app.get('/fail', jsonRoute(createLogger('silent', (id) => id), 'fail', () => {
    throw new Error('a bug, with a stack');
  }));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

it('answers each refusal with its HTTP status and code, and a bug with 500 and the request id only', async () => {
  const statusOf = async (code: string) => {
    const response = await fetch(`${base}/refuse/${code}`);
    return [response.status, ((await response.json()) as { error: { code: string } }).error.code];
  };
  expect(await statusOf('RATE_LIMITED')).toEqual([429, 'RATE_LIMITED']);
  expect(await statusOf('PAYLOAD_TOO_LARGE')).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  expect(await statusOf('BAD_REQUEST')).toEqual([400, 'BAD_REQUEST']);
  expect(await statusOf('FORBIDDEN')).toEqual([403, 'FORBIDDEN']);
  expect(await statusOf('UNAVAILABLE')).toEqual([503, 'UNAVAILABLE']);
  expect(await statusOf('ROOM_LOCKED')).toEqual([409, 'ROOM_LOCKED']);
  const failed = await fetch(`${base}/fail`);
  expect(failed.status).toBe(500);
  expect(await failed.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error (request req-1)' } });
});
