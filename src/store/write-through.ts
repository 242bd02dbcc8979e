import type { Logger } from '../logging/logger.js';
import type { KeyValueStore } from './kv.js';

/**
 * What a node keeps written through to the shared store on a timer. A key is written only when its value changed
 * since its last successful write, or, given a heartbeat, when that write is older than it (a reader then knows the
 * writer was alive). Passes never overlap, so a slow store does not pile writes up, and a failed pass is simply
 * retried by the next one: nothing waits on the store. When the store comes back everything is written afresh, since
 * a restarted Redis may have lost it.
 */
export class WriteThrough {
  private readonly written = new Map<string, { value: string | undefined; at: number }>();
  private passing = false;

  constructor(
    private readonly kv: KeyValueStore,
    /** What is written, for the log line of a failed pass ("room state", "webhook outbox"…). */
    private readonly what: string,
    private readonly logger: Logger,
    private readonly heartbeatMs = Number.POSITIVE_INFINITY,
  ) {
    kv.on('availability', (available) => available && this.written.clear());
  }

  /**
   * Writes `value` under `key` for `ttlMs`, unless it is what this node wrote there last, less than a heartbeat ago.
   * `stored` is what the store receives when it carries more than the value compared (the time of writing, say);
   * an undefined value deletes the key.
   */
  async write(key: string, value: string | undefined, ttlMs: number, stored = value): Promise<void> {
    const now = Date.now();
    const last = this.written.get(key);
    if (last && last.value === value && now - last.at < this.heartbeatMs) return;
    if (stored === undefined) await this.kv.del(key);
    else await this.kv.set(key, stored, ttlMs);
    this.written.set(key, { value, at: now });
  }

  /** The key is no longer this node's to write: its last value is not kept to skip the next write. */
  forget(key: string): void {
    this.written.delete(key);
  }

  /** One pass of writes, unless one is still running or the store is away; a failure waits for the next pass. */
  async pass(writes: () => Promise<void>): Promise<void> {
    if (this.passing || !this.kv.available) return;
    this.passing = true;
    try {
      await writes();
    } catch (error) {
      this.logger.debug({ err: (error as Error).message }, `${this.what} not written; retrying`);
    } finally {
      this.passing = false;
    }
  }
}
