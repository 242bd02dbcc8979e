import { createHash, randomBytes } from 'node:crypto';
import type { Identity } from '../auth/tokens.js';
import type { KeyValueStore } from '../store/kv.js';
import { parseStored, storedIdentity } from '../store/stored-schemas.js';

const hash = (token: string) => createHash('sha256').update(token).digest('base64url');
const seatKey = (roomId: string, participantId: string) => `${roomId}\n${participantId}`;
const storeKey = (tokenHash: string) => `circle:resume:${tokenHash}`;

/** Where the seat a token was issued for stands now. */
export type SeatStanding = 'connected' | 'held' | 'gone';

/**
 * Server-issued tokens for taking a seat back after a dropped connection. A clinic's join token may be short-lived;
 * a resume token stays good as long as the seat does. One per seat, replaced at every join or resume; only its hash
 * is kept. With a shared store the identity is written there too, so a client whose node died resumes on another.
 *
 * A stored identity lives no longer than the resume grace: written for `graceMs`, renewed while its participant is
 * connected, written once more (for exactly the grace) when the connection drops, then left to expire with the
 * seat. Tokens this node issued keep working from memory while the store is away, and are written once it is back.
 */
export class ResumeTokens {
  private readonly bySeat = new Map<string, { hash: string; identity: Identity; heldUntil?: number }>();
  private readonly byHash = new Map<string, string>();
  private readonly renewTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kv: KeyValueStore,
    private readonly graceMs: number,
    private readonly standingOf: (identity: Identity) => SeatStanding,
  ) {
    // A store that comes back may have lost everything: every identity is written again.
    kv.on('availability', (available) => available && this.renewAll({ rewriteHeld: true }));
    // Three renewals per grace, so a live connection's identity never lapses whatever the timer's jitter (a grace
    // under 750 ms, which only tests use, renews less often than that and may lapse).
    if (graceMs > 0) {
      this.renewTimer = setInterval(() => this.renewAll({ rewriteHeld: false }), Math.max(graceMs / 3, 250));
      this.renewTimer.unref();
    }
  }

  issue(identity: Identity): string {
    const token = randomBytes(32).toString('base64url');
    const tokenHash = hash(token);
    const key = seatKey(identity.roomId, identity.participantId);
    this.forgetSeat(key, { inStore: true });
    this.bySeat.set(key, { hash: tokenHash, identity });
    this.byHash.set(tokenHash, key);
    this.write(tokenHash, identity, this.graceMs);
    return token;
  }

  /** The participant's connection dropped: their identity stays resumable for exactly the grace, no longer. */
  hold(identity: Identity): void {
    const entry = this.bySeat.get(seatKey(identity.roomId, identity.participantId));
    if (!entry) return;
    entry.heldUntil = Date.now() + this.graceMs;
    this.write(entry.hash, identity, this.graceMs);
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

  stop(): void {
    clearInterval(this.renewTimer);
  }

  /** Renews live identities; a held one is written once (its expiry already set), or again after a store outage. */
  private renewAll({ rewriteHeld }: { rewriteHeld: boolean }): void {
    const now = Date.now();
    for (const [key, entry] of this.bySeat) {
      const standing = this.standingOf(entry.identity);
      if (standing === 'connected') {
        entry.heldUntil = undefined;
        this.write(entry.hash, entry.identity, this.graceMs);
      } else if (standing === 'held') {
        // Held since a drop this node saw (hold() wrote it then) or a room closing with its seats held (first seen
        // now): the grace counts from then.
        const firstSeen = entry.heldUntil === undefined;
        entry.heldUntil ??= now + this.graceMs;
        if (entry.heldUntil <= now) this.forgetSeat(key, { inStore: false });
        else if (firstSeen || rewriteHeld) this.write(entry.hash, entry.identity, entry.heldUntil - now);
      } else {
        // Left, removed, or the seat's room closed here: in the store it expires by itself (and another node may
        // hold the room now, whose participants still resume with it).
        this.forgetSeat(key, { inStore: false });
      }
    }
  }

  private forgetSeat(key: string, { inStore }: { inStore: boolean }): void {
    const entry = this.bySeat.get(key);
    if (entry) {
      this.byHash.delete(entry.hash);
      if (inStore && this.kv.shared) this.kv.del(storeKey(entry.hash)).catch(() => undefined); // expires by itself otherwise
    }
    this.bySeat.delete(key);
  }

  private write(tokenHash: string, identity: Identity, ttlMs: number): void {
    // Not awaited: a join never waits on the store; a failed write is repeated at the next renewal.
    if (this.kv.shared && ttlMs > 0) this.kv.set(storeKey(tokenHash), JSON.stringify(identity), ttlMs).catch(() => undefined);
  }
}
