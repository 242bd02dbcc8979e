import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createClient } from 'redis';
import type { Logger } from '../logging/logger.js';
import { CircleError } from '../protocol/errors.js';
import type { KeyValueStore, StoreEvents } from './kv.js';

// Atomic on the Redis side, so two nodes claiming one room at the same moment cannot both win.
const CLAIM = `local held = redis.call('GET', KEYS[1])
if (not held) or held == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
return held`;
const ADD = `local count = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return count`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface RedisConnection {
  /** redis:// or rediss:// (TLS). */
  url: string;
  password?: string;
  /** PEM of a private CA that signed the server's certificate. */
  tlsCaFile?: string;
}

/**
 * Shared state in Redis (node-redis). Commands are never queued while Redis is away: they fail at once with
 * `UNAVAILABLE`, so a running room never waits on the store; the client reconnects by itself meanwhile.
 */
export class RedisKeyValueStore extends EventEmitter<StoreEvents> implements KeyValueStore {
  readonly shared = true;
  private readonly client;
  /** Pub/sub needs a connection of its own; it queues subscriptions until connected and renews them after. */
  private readonly subscriber;
  private up = false;
  private closing = false;

  constructor(connection: RedisConnection, private readonly logger: Logger) {
    super();
    this.client = createClient({
      url: connection.url,
      // A password in the URL wins; the separate one lets it come from its own secret.
      ...(connection.password ? { password: connection.password } : {}),
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 2000,
        reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2000),
        // Only with rediss:// (which turns TLS on); the server's certificate is checked against this CA and its name.
        ...(connection.tlsCaFile ? { ca: readFileSync(connection.tlsCaFile) } : {}),
      },
    });
    this.subscriber = this.client.duplicate({ disableOfflineQueue: false });
    this.subscriber.on('error', () => undefined); // reported once through the main connection
    // Connected is not usable: a Redis that wants a password answers every command with NOAUTH.
    this.client.on('ready', () => {
      this.client.ping().then(
        () => this.setAvailable(true),
        (error: Error) => this.logger.error({ err: error.message }, 'redis refuses commands; check store.redisPassword'),
      );
    });
    this.client.on('end', () => this.setAvailable(false));
    this.client.on('error', (error: Error) => {
      // node-redis reports every failed reconnect; one line per outage is enough.
      if (this.up) logger.warn({ err: error.message }, 'redis connection lost');
      this.setAvailable(false);
    });
  }

  /** Connects in the background: a node starts (not ready) while Redis is away, and becomes ready with it. */
  start(): void {
    for (const connection of [this.client, this.subscriber]) {
      connection.connect().catch((error: Error) => this.logger.error({ err: error.message }, 'redis connect failed'));
    }
  }

  get available(): boolean {
    return this.up;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.run(() => this.client.get(key))) ?? undefined;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    await this.run(() => this.client.set(key, value, ttlMs ? { PX: ttlMs } : {}));
  }

  async del(key: string): Promise<void> {
    await this.run(() => this.client.del(key));
  }

  async claim(key: string, value: string, ttlMs: number): Promise<string> {
    return String(await this.run(() => this.client.eval(CLAIM, { keys: [key], arguments: [value, String(ttlMs)] })));
  }

  async release(key: string, value: string): Promise<void> {
    await this.run(() => this.client.eval(RELEASE, { keys: [key], arguments: [value] }));
  }

  async add(key: string, delta: number, ttlMs: number): Promise<number> {
    return Number(await this.run(() => this.client.eval(ADD, { keys: [key], arguments: [String(delta), String(ttlMs)] })));
  }

  async addMember(key: string, member: string): Promise<void> {
    await this.run(() => this.client.sAdd(key, member));
  }

  async removeMember(key: string, member: string): Promise<void> {
    await this.run(() => this.client.sRem(key, member));
  }

  async members(key: string): Promise<string[]> {
    return this.run(() => this.client.sMembers(key));
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.run(() => this.client.publish(channel, message));
  }

  subscribe(channel: string, listener: (message: string) => void): void {
    this.subscriber.subscribe(channel, listener).catch((error: Error) => this.logger.error({ err: error.message }, 'redis subscribe failed'));
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const connection of [this.client, this.subscriber]) if (connection.isOpen) await connection.disconnect();
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    if (!this.up) throw new CircleError('UNAVAILABLE', 'the shared state store is unavailable; try again shortly');
    try {
      return await command();
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'redis command failed');
      throw new CircleError('UNAVAILABLE', 'the shared state store is unavailable; try again shortly');
    }
  }

  private setAvailable(available: boolean): void {
    if (this.up === available || (available && this.closing)) return;
    this.up = available;
    if (available) this.logger.info('redis available');
    this.emit('availability', available);
  }
}
