import { createHash, randomBytes } from 'node:crypto';
import type { Identity } from '../auth/tokens.js';

const hash = (token: string) => createHash('sha256').update(token).digest('base64url');
const seatKey = (roomId: string, participantId: string) => `${roomId}\n${participantId}`;

/**
 * Server-issued tokens for taking a seat back after a dropped connection. A clinic's join token may be short-lived;
 * a resume token stays good as long as the seat does. One per seat, replaced at every join or resume; only its hash
 * is kept.
 */
export class ResumeTokens {
  private readonly bySeat = new Map<string, { hash: string; identity: Identity }>();
  private readonly byHash = new Map<string, string>();

  issue(identity: Identity): string {
    const token = randomBytes(32).toString('base64url');
    const key = seatKey(identity.roomId, identity.participantId);
    this.forgetSeat(key);
    this.bySeat.set(key, { hash: hash(token), identity });
    this.byHash.set(hash(token), key);
    return token;
  }

  /** The identity a token was issued to, if it is the seat's current token. */
  identityFor(token: string): Identity | undefined {
    const key = this.byHash.get(hash(token));
    return key ? this.bySeat.get(key)?.identity : undefined;
  }

  /** Drops every token of a room, once the room's record is gone. */
  forgetRoom(roomId: string): void {
    for (const [key, entry] of this.bySeat) if (entry.identity.roomId === roomId) this.forgetSeat(key);
  }

  private forgetSeat(key: string): void {
    const entry = this.bySeat.get(key);
    if (entry) this.byHash.delete(entry.hash);
    this.bySeat.delete(key);
  }
}
