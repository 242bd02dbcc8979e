import { createHash, randomBytes } from 'node:crypto';
import type { Identity } from '../auth/tokens.js';
import type { KeyValueStore } from '../store/kv.js';
import { parseStored, storedIdentity } from '../store/stored-schemas.js';

const hash = (token: string) => createHash('sha256').update(token).digest('base64url');
const seatKey = (roomId: string, participantId: string) => `${roomId}\n${participantId}`;
const storeKey = (tokenHash: string) => `circle:resume:${tokenHash}`;

/**
 * Server-issued tokens for taking a seat back after a dropped connection. A clinic's join token may be short-lived;
 * a resume token stays good as long as the seat does. One per seat, replaced at every join or resume; only its hash
 * is kept. With a shared store the hashes are written there too, so a client whose node died resumes on another;
 * tokens this node issued keep working from memory while the store is away, and are written once it is back.
 */
export class ResumeTokens {
  private readonly bySeat = new Map<string, { hash: string; identity: Identity }>();
  private readonly byHash = new Map<string, string>();

  constructor(
    private readonly kv: KeyValueStore,
    private readonly ttlMs: number,
  ) {
    kv.on('availability', (available) => available && this.writeAll());
  }

  issue(identity: Identity): string {
    const token = randomBytes(32).toString('base64url');
    const tokenHash = hash(token);
    const key = seatKey(identity.roomId, identity.participantId);
    this.forgetSeat(key);
    this.bySeat.set(key, { hash: tokenHash, identity });
    this.byHash.set(tokenHash, key);
    this.write(tokenHash, identity);
    return token;
  }

  /** The identity a token was issued to, if it is the seat's current token (here or, shared, on any node). */
  async identityFor(token: string): Promise<Identity | undefined> {
    const tokenHash = hash(token);
    const key = this.byHash.get(tokenHash);
    const local = key ? this.bySeat.get(key)?.identity : undefined;
    if (local || !this.kv.shared) return local;
    const stored = await this.kv.get(storeKey(tokenHash));
    return stored ? parseStored(storedIdentity, stored, 'resume identity') : undefined;
  }

  /** Drops every token of a room, once the room's record is gone. */
  forgetRoom(roomId: string): void {
    for (const [key, entry] of this.bySeat) if (entry.identity.roomId === roomId) this.forgetSeat(key);
  }

  private forgetSeat(key: string): void {
    const entry = this.bySeat.get(key);
    if (entry) {
      this.byHash.delete(entry.hash);
      if (this.kv.shared) this.kv.del(storeKey(entry.hash)).catch(() => undefined); // expires by itself otherwise
    }
    this.bySeat.delete(key);
  }

  private write(tokenHash: string, identity: Identity): void {
    // Not awaited: a join never waits on the store; a failed write is repeated when the store returns.
    if (this.kv.shared) this.kv.set(storeKey(tokenHash), JSON.stringify(identity), this.ttlMs).catch(() => undefined);
  }

  private writeAll(): void {
    for (const { hash: tokenHash, identity } of this.bySeat.values()) this.write(tokenHash, identity);
  }
}
