import { EventEmitter } from 'node:events';
import type { KeyValueStore, StoreEvents } from './kv.js';

/** The embedded default: one node, state in this process. */
export class MemoryKeyValueStore extends EventEmitter<StoreEvents> implements KeyValueStore {
  readonly shared = false;
  readonly available = true;
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  private readonly channels = new EventEmitter<Record<string, [string]>>();

  async get(key: string): Promise<string | undefined> {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) this.entries.delete(key);
    return this.entries.get(key)?.value;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: ttlMs ? Date.now() + ttlMs : Infinity });
  }

  async del(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async claim(key: string, value: string, ttlMs: number): Promise<string> {
    const held = await this.get(key);
    if (held !== undefined && held !== value) return held;
    await this.set(key, value, ttlMs);
    return value;
  }

  async release(key: string, value: string): Promise<void> {
    if ((await this.get(key)) === value) this.entries.delete(key);
  }

  async publish(channel: string, message: string): Promise<void> {
    this.channels.emit(channel, message);
  }

  subscribe(channel: string, listener: (message: string) => void): void {
    this.channels.on(channel, listener);
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.channels.removeAllListeners();
  }
}
