import { z } from 'zod';
import type { Logger } from '../logging/logger.js';
import type { KeyValueStore } from '../store/kv.js';
import { parseStored } from '../store/stored-schemas.js';
import { WriteThrough } from '../store/write-through.js';
import type { Delivery, WebhookSender } from './webhooks.js';

const outboxKey = (nodeId: string) => `circle:webhooks:outbox:${nodeId}`;
/** A node's undelivered events outlive it this long for another node to take them over. */
const OUTBOX_LIFETIME_MS = 24 * 3600_000;

const storedOutbox = z
  .array(z.object({ id: z.string().uuid(), type: z.string().min(1).max(64), body: z.string().max(1_000_000), attempts: z.number().int().min(0) }).strict())
  .max(100_000) satisfies z.ZodType<Delivery[], z.ZodTypeDef, unknown>;

/**
 * A node's undelivered webhook events, written through to the shared store (sealed like the rest) within
 * `intervalMs` of each change, so that when the node dies another takes them over and delivers them under the
 * same ids and sequence numbers. A node's first act with the store is to take over its own outbox from before a
 * restart. Alone (in-memory store) the queue lives and dies with the process.
 */
export class WebhookOutbox {
  private readonly writes: WriteThrough;
  private readonly timer: NodeJS.Timeout | undefined;
  private restored = false;

  constructor(
    private readonly kv: KeyValueStore,
    private readonly nodeId: string,
    intervalMs: number,
    private readonly sender: Pick<WebhookSender, 'undelivered' | 'adopt'>,
    private readonly logger: Logger,
  ) {
    this.writes = new WriteThrough(kv, 'webhook outbox', logger);
    if (!kv.shared) return;
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Delivers what a departed node left undelivered from here; throws (to be tried again) if the store fails. */
  async takeOver(nodeId: string): Promise<void> {
    const stored = await this.kv.get(outboxKey(nodeId));
    if (stored !== undefined) {
      try {
        const deliveries = parseStored(storedOutbox, stored, 'webhook outbox');
        this.sender.adopt(deliveries);
        this.logger.info({ node: nodeId, deliveries: deliveries.length }, 'undelivered webhooks taken over');
      } catch (error) {
        // Written without this cluster's secret, or altered: nothing in it can be trusted to send.
        this.logger.error({ node: nodeId, err: (error as Error).message }, 'webhook outbox unreadable; dropped');
      }
    }
    await this.kv.del(outboxKey(nodeId));
  }

  /** Writes the outbox if it changed since the last write. */
  flush(): Promise<void> {
    return this.writes.pass(async () => {
      if (!this.restored) {
        await this.takeOver(this.nodeId);
        this.restored = true;
      }
      const undelivered = this.sender.undelivered();
      // Nothing left to deliver: no outbox at all, rather than an empty one.
      await this.writes.write(outboxKey(this.nodeId), undelivered.length ? JSON.stringify(undelivered) : undefined, OUTBOX_LIFETIME_MS);
    });
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
