import { EventEmitter } from 'node:events';
import type { KeyValueStore, StoreEvents } from './kv.js';

/** The embedded default: one node, state in this process. */
export class MemoryKeyValueStore extends EventEmitter<StoreEvents> implements KeyValueStore {
  readonly shared = false;
  readonly available = true;
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  private readonly sets = new Map<string, Set<string>>();
  private readonly channels = new EventEmitter<Record<string, [string]>>();

  async get(key: string): Promise<string | undefined> {
    return this.live(key);
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: ttlMs ? Date.now() + ttlMs : Infinity });
  }

  async del(key: string): Promise<void> {
    this.entries.delete(key);
  }

  // Claims, releases and counters read and write in one step, with no await between: concurrent calls never interleave.
  async claim(key: string, value: string, ttlMs: number): Promise<string> {
    const held = this.live(key);
    if (held !== undefined && held !== value) return held;
    this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    return value;
  }

  async release(key: string, value: string): Promise<void> {
    if (this.live(key) === value) this.entries.delete(key);
  }

  async add(key: string, delta: number, ttlMs: number): Promise<number> {
    const count = Number(this.live(key) ?? 0) + delta;
    this.entries.set(key, { value: String(count), expiresAt: this.entries.get(key)?.expiresAt ?? Date.now() + ttlMs });
    return count;
  }

  async addMember(key: string, member: string): Promise<void> {
    const set = this.sets.get(key) ?? new Set();
    this.sets.set(key, set.add(member));
  }

  async removeMember(key: string, member: string): Promise<void> {
    this.sets.get(key)?.delete(member);
    if (this.sets.get(key)?.size === 0) this.sets.delete(key);
  }

  async members(key: string): Promise<string[]> {
    return [...(this.sets.get(key) ?? [])];
  }

  async publish(channel: string, message: string): Promise<void> {
    this.channels.emit(channel, message);
  }

  subscribe(channel: string, listener: (message: string) => void): void {
    this.channels.on(channel, listener);
  }

  /** The value at `key` unless it has expired (then it is forgotten). */
  private live(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) this.entries.delete(key);
    return this.entries.get(key)?.value;
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.sets.clear();
    this.channels.removeAllListeners();
  }
}
