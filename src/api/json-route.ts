import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Logger } from '../logging/logger.js';
import { CircleError, type ErrorCode } from '../protocol/errors.js';

/** HTTP statuses of the refusals the HTTP endpoints give; any other code is a conflict with the session's state (409). */
const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  STORED_STATE_INVALID: 500,
};

/** Parses a request's `where` (path, query, body); a refusal names the field, e.g. `body.ttlSeconds: …`. */
export function parseInput<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new CircleError('BAD_REQUEST', `${where}${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message}`);
}

/**
 * An HTTP endpoint answering JSON: parse, call the domain, answer. Refusals keep their code and message; anything
 * else is `INTERNAL` with the request id (the stack goes to the log). A server API request is logged with its key's
 * name and the operation, never a room or participant id from the path.
 */
export function jsonRoute(logger: Logger, operation: string, handle: (req: Request) => Promise<unknown> | unknown) {
  return async (req: Request, res: Response) => {
    const requestId = res.locals.requestId as string;
    const apiKey = res.locals.apiKey as string | undefined;
    if (apiKey) logger.info({ apiKey, operation, requestId }, 'api request');
    try {
      res.json(await handle(req));
    } catch (error) {
      if (error instanceof CircleError) {
        res.status(STATUS[error.code] ?? 409).json({ error: { code: error.code, message: error.message } });
        return;
      }
      logger.error({ requestId, err: error }, 'http request failed');
      res.status(500).json({ error: { code: 'INTERNAL', message: `internal error (request ${requestId})` } });
    }
  };
}
