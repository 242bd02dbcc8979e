import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { CircleError, type Ack } from '../protocol/errors.js';
import { REQUEST_NAMES, requestSchemas, type RequestName } from '../protocol/schemas.js';
import { SampledLog } from '../logging/sampled-log.js';
import type { ClientSession } from './client-session.js';
import { handlers, type HandlerDeps } from './handlers.js';

export interface DispatchLimits {
  maxPayloadBytes: number;
  /** Unknown events one connection may send before it is closed. */
  maxUnknownEvents: number;
  /** Refusals logged per second across the node; the rest are counted in the next line logged. */
  refusalLogsPerSecond: number;
}

const KNOWN = new Set<string>(REQUEST_NAMES);
const isKnown = (event: string): event is RequestName => KNOWN.has(event);

type AckFn = (response: Ack<unknown>) => void;

/** Logged at info so refusals that matter are visible without debug; the rest would drown the log. */
const NOTABLE_REFUSALS = new Set(['UNAUTHORIZED', 'FORBIDDEN', 'PAYLOAD_TOO_LARGE', 'UNKNOWN_EVENT']);

function describeIssue(error: { issues: { path: (string | number)[]; message: string }[] }): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid payload';
  return issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

function payloadBytes(payload: unknown): number {
  try {
    return JSON.stringify(payload)?.length ?? 0;
  } catch {
    return Infinity;
  }
}

/**
 * Every inbound event goes through here: rate limit, size, schema, handler, acknowledgement, metrics.
 * The handler runs only on a payload that passed its schema, so bad input changes nothing.
 */
export function createDispatcher(deps: HandlerDeps, metrics: Metrics, logger: Logger, limits: DispatchLimits) {
  const refusalLog = new SampledLog(logger, 'signaling request refused', limits.refusalLogsPerSecond);
  async function run(session: ClientSession, event: string, payload: unknown, requestId: string, acked: boolean) {
    // Every message spends the budget, known or not, acknowledged or not: a flood of anything is a flood.
    if (!session.bucket.take()) throw new CircleError('RATE_LIMITED', 'too many requests; slow down');
    if (!isKnown(event)) {
      session.strike(limits.maxUnknownEvents);
      throw new CircleError('UNKNOWN_EVENT', `unknown event "${event.slice(0, 64)}"`);
    }
    if (!acked) throw new CircleError('BAD_REQUEST', `${event} needs an acknowledgement callback`);
    if (payloadBytes(payload) > limits.maxPayloadBytes) {
      throw new CircleError('PAYLOAD_TOO_LARGE', `payload exceeds ${limits.maxPayloadBytes} bytes`);
    }
    const parsed = requestSchemas[event].safeParse(payload ?? {});
    if (!parsed.success) throw new CircleError('BAD_REQUEST', describeIssue(parsed.error));
    const handler = handlers[event] as (p: unknown, s: ClientSession, d: HandlerDeps) => Promise<unknown>;
    logger.debug({ requestId, event }, 'signaling request');
    return handler(parsed.data, session, deps);
  }

  return async function dispatch(session: ClientSession, event: string, args: unknown[]): Promise<void> {
    const started = performance.now();
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as AckFn) : undefined;
    const payload = ack ? args.slice(0, -1)[0] : args[0];
    const metricEvent = isKnown(event) ? event : 'unknown';
    const requestId = session.nextRequestId();

    let response: Ack<unknown>;
    try {
      response = { ok: true, data: await run(session, event, payload, requestId, ack !== undefined) };
    } catch (error) {
      if (error instanceof CircleError) {
        // A store that holds what does not parse is an integrity event for the SREs, not a client's mistake.
        const level = error.code === 'STORED_STATE_INVALID' ? 'error' : NOTABLE_REFUSALS.has(error.code) ? 'info' : 'debug';
        if (logger.isLevelEnabled(level)) {
          refusalLog.write(() => {
            const participant = session.membership?.participant.id;
            return { requestId, event: metricEvent, code: error.code, participant };
          }, level);
        }
        response = { ok: false, error: error.toBody() };
      } else {
        logger.error({ requestId, event: metricEvent, err: error }, 'signaling request failed');
        response = { ok: false, error: { code: 'INTERNAL', message: `internal error (request ${requestId})` } };
      }
    }

    metrics.signalingRequests.inc({ event: metricEvent, result: response.ok ? 'ok' : response.error.code });
    metrics.signalingDuration.observe({ event: metricEvent }, (performance.now() - started) / 1000);
    if (ack) ack(response);
    else if (!response.ok) {
      session.send('protocolError', { event: metricEvent, ...response.error });
    }
  };
}
