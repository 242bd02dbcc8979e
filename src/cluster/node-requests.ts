import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../logging/logger.js';
import { CircleError, ERROR_CODES } from '../protocol/errors.js';
import type { KeyValueStore } from '../store/kv.js';
import { parseStored } from '../store/stored-schemas.js';

const requestsTo = (nodeId: string) => `circle:node:${nodeId}:requests`;
const repliesTo = (nodeId: string) => `circle:node:${nodeId}:replies`;

const nodeId = z.string().min(1).max(128);
const wireRequest = z.object({ id: z.string().uuid(), from: nodeId, operation: z.string().min(1).max(64), input: z.unknown() }).strict();
const wireReply = z.union([
  z.object({ id: z.string().uuid(), ok: z.literal(true), data: z.unknown() }).strict(),
  z.object({ id: z.string().uuid(), ok: z.literal(false), error: z.object({ code: z.enum(ERROR_CODES), message: z.string().max(1000) }).strict() }).strict(),
]);

/** Runs an operation this node was asked for; a refusal is a `CircleError`, which the asking node throws as its own. */
export type OperationHandler = (operation: string, input: unknown) => Promise<unknown>;

interface Waiting {
  resolve: (data: unknown) => void;
  reject: (error: CircleError) => void;
  timer: NodeJS.Timeout;
}

/**
 * Requests from one node to another over the shared store's pub/sub (sealed there like every message): a node
 * asks the one that runs a room to act on it and waits for its answer, so any node can serve the whole cluster's
 * API without knowing how to reach the others. A node that does not answer within `timeoutMs` is `UNAVAILABLE`.
 */
export class NodeRequests {
  private readonly waiting = new Map<string, Waiting>();

  constructor(
    private readonly kv: KeyValueStore,
    private readonly selfId: string,
    private readonly logger: Logger,
    private readonly timeoutMs = 3000,
  ) {
    if (kv.shared) kv.subscribe(repliesTo(selfId), (message) => this.replied(message));
  }

  /** Answers other nodes' requests with `handler`. */
  serve(handler: OperationHandler): void {
    if (!this.kv.shared) return;
    this.kv.subscribe(requestsTo(this.selfId), (message) => void this.answer(message, handler));
  }

  ask(nodeId: string, operation: string, input: unknown): Promise<unknown> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new CircleError('UNAVAILABLE', 'the node that runs this room did not answer; try again shortly'));
      }, this.timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      this.kv.publish(requestsTo(nodeId), JSON.stringify({ id, from: this.selfId, operation, input })).catch((error: unknown) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        reject(error instanceof CircleError ? error : new CircleError('UNAVAILABLE', 'the shared state store is unavailable; try again shortly'));
      });
    });
  }

  private async answer(message: string, handler: OperationHandler): Promise<void> {
    const request = this.parsed(wireRequest, message, 'node request');
    if (!request) return;
    const { id, from, operation, input } = request;
    let reply: z.infer<typeof wireReply>;
    try {
      reply = { id, ok: true, data: await handler(operation, input) };
    } catch (error) {
      if (!(error instanceof CircleError)) this.logger.error({ err: error, operation }, 'node request failed');
      const { code, message: text } = error instanceof CircleError ? error : { code: 'INTERNAL' as const, message: `internal error on node ${this.selfId}` };
      reply = { id, ok: false, error: { code, message: text } };
    }
    await this.kv.publish(repliesTo(from), JSON.stringify(reply)).catch((error: unknown) => this.logger.warn({ err: error }, 'node reply not sent'));
  }

  private replied(message: string): void {
    const reply = this.parsed(wireReply, message, 'node reply');
    const waiting = reply && this.waiting.get(reply.id);
    if (!reply || !waiting) return; // unreadable, or timed out already
    clearTimeout(waiting.timer);
    this.waiting.delete(reply.id);
    if (reply.ok) waiting.resolve(reply.data);
    else waiting.reject(new CircleError(reply.error.code, reply.error.message));
  }

  private parsed<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, message: string, what: string): T | undefined {
    try {
      return parseStored(schema, message, what);
    } catch (error) {
      this.logger.error({ err: (error as Error).message }, `${what} ignored`);
      return undefined;
    }
  }
}
