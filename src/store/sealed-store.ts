import { EventEmitter } from 'node:events';
import type { Logger } from '../logging/logger.js';
import type { PrivacyKeys } from '../privacy/privacy-keys.js';
import type { KeyValueStore, StoreEvents } from './kv.js';

/**
 * The shared store as Circle's code sees it, kept private from the store itself: each key is stored under a keyed
 * HMAC of its name (no room id in a key), each value sealed with AES-256-GCM bound to its key (no display name,
 * role or participant list in clear, and nothing altered or moved between keys opens), each pub/sub message sealed
 * to its channel. Values the store compares in place (leases) are signed rather than sealed. Callers keep using
 * logical keys such as `circle:room:<id>:state`.
 */
export class SealedStore extends EventEmitter<StoreEvents> implements KeyValueStore {
  constructor(
    private readonly inner: KeyValueStore,
    private readonly keys: PrivacyKeys,
    private readonly logger: Logger,
  ) {
    super();
    inner.on('availability', (available) => this.emit('availability', available));
  }

  get shared(): boolean {
    return this.inner.shared;
  }

  get available(): boolean {
    return this.inner.available;
  }

  async get(key: string): Promise<string | undefined> {
    const stored = await this.inner.get(this.keys.storeKeyName(key));
    return stored === undefined ? undefined : this.keys.open(stored, key, 'value');
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    await this.inner.set(this.keys.storeKeyName(key), this.keys.seal(value, key), ttlMs);
  }

  async del(key: string): Promise<void> {
    await this.inner.del(this.keys.storeKeyName(key));
  }

  async claim(key: string, value: string, ttlMs: number): Promise<string> {
    const held = await this.inner.claim(this.keys.storeKeyName(key), this.keys.sign(value, key), ttlMs);
    return this.keys.open(held, key, 'lease');
  }

  async release(key: string, value: string): Promise<void> {
    await this.inner.release(this.keys.storeKeyName(key), this.keys.sign(value, key));
  }

  /** A counter's name is hashed like any key; its value is a bare count. */
  add(key: string, delta: number, ttlMs: number): Promise<number> {
    return this.inner.add(this.keys.storeKeyName(key), delta, ttlMs);
  }

  // A member is signed, not sealed: the store must find an equal member to remove it.
  async addMember(key: string, member: string): Promise<void> {
    await this.inner.addMember(this.keys.storeKeyName(key), this.keys.sign(member, key));
  }

  async removeMember(key: string, member: string): Promise<void> {
    await this.inner.removeMember(this.keys.storeKeyName(key), this.keys.sign(member, key));
  }

  /** The members that open; one that does not (written without this cluster's secret) is left out and logged. */
  async members(key: string): Promise<string[]> {
    const opened: string[] = [];
    for (const stored of await this.inner.members(this.keys.storeKeyName(key))) {
      try {
        opened.push(this.keys.open(stored, key, 'member'));
      } catch (error) {
        this.logger.error({ err: (error as Error).message }, 'store member ignored');
      }
    }
    return opened;
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.inner.publish(channel, this.keys.seal(message, channel));
  }

  subscribe(channel: string, listener: (message: string) => void): void {
    this.inner.subscribe(channel, (sealed) => {
      let message: string;
      try {
        message = this.keys.open(sealed, channel, 'message');
      } catch (error) {
        this.logger.error({ err: (error as Error).message }, 'store message ignored');
        return;
      }
      listener(message);
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
