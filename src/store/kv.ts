import type { EventEmitter } from 'node:events';

export type StoreEvents = {
  /** The store became reachable again (true) or stopped answering (false). */
  availability: [available: boolean];
};

/**
 * The few key-value operations Circle's shared state needs. In memory for one node (the embedded default), Redis
 * for several. Every operation of an unavailable store fails at once with `UNAVAILABLE`: nothing waits on it.
 */
export interface KeyValueStore extends EventEmitter<StoreEvents> {
  /** Whether other nodes share this store (Redis) or it lives and dies with this process (memory). */
  readonly shared: boolean;
  readonly available: boolean;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  del(key: string): Promise<void>;
  /** Sets `key` to `value` for `ttlMs` when it is absent or holds `value` already; answers what it holds now. */
  claim(key: string, value: string, ttlMs: number): Promise<string>;
  /** Deletes `key` only while it holds `value`. */
  release(key: string, value: string): Promise<void>;
  /**
   * Adds `delta` to the counter at `key` (created at 0, living `ttlMs` from its creation), atomically across nodes;
   * answers the new count. Counters hold numbers only, never anything to seal.
   */
  add(key: string, delta: number, ttlMs: number): Promise<number>;
  /** Adds `member` to the set at `key` (a set lives until its last member leaves). */
  addMember(key: string, member: string): Promise<void>;
  removeMember(key: string, member: string): Promise<void>;
  /** The set at `key`, in no particular order. */
  members(key: string): Promise<string[]>;
  /** Sends `message` to every node subscribed to `channel` (this one included). */
  publish(channel: string, message: string): Promise<void>;
  /** Listens on `channel` for as long as the store lives, across reconnects. */
  subscribe(channel: string, listener: (message: string) => void): void;
  close(): Promise<void>;
}
