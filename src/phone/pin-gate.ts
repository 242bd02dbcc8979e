import type { Identity } from '../auth/tokens.js';
import type { KeyValueStore } from '../store/kv.js';
import type { DialInPins } from './dial-in-pins.js';

export type PinVerdict = { seat: Identity } | { refused: 'wrong' | 'unknown-session' | 'limited' };

export interface PinLimits {
  /** Wrong PINs for one session per hour, across the cluster; past it, that session's entries wait. */
  pinFailuresPerSessionPerHour: number;
  /**
   * Wrong PINs per minute across the cluster, counted for entries that name no live session and for sessions that
   * had a wrong PIN this hour; past it, those entries wait. A session nobody guessed at is never slowed.
   */
  pinFailuresPerMinute: number;
  /** The session's staff are told once this many wrong PINs for it came within the hour. */
  pinFailureNoticeAt: number;
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
/** How often an entry held back by the limits tries again. */
const RETRY_MS = 1000;

interface Reservation {
  sessionKey: string | undefined;
  clusterKey: string | undefined;
  /** Wrong PINs for the session this hour, this entry included. */
  sessionCount: number;
}

/**
 * Checks keyed PINs and bounds guessing across the cluster, in the shared store. Every entry reserves its place in
 * the counts before the seat is looked up (so concurrent calls cannot overshoot) and gives it back when the PIN is
 * right: only wrong PINs stay counted. Limits slow entries down rather than turn them away (an entry that finds
 * them full waits, until its call's PIN prompt ends), and they are keyed by session: guessing at one session never
 * slows the callers of another that nobody guessed at. docs/security.md computes what this allows an attacker.
 */
export class PinGate {
  constructor(
    private readonly pins: DialInPins,
    private readonly kv: KeyValueStore,
    private readonly limits: PinLimits,
    /** Staff of the room should hear of `wrongPins` wrong PINs for their session within the hour. */
    private readonly notice: (roomId: string, wrongPins: number) => void,
  ) {}

  /** `stillWanted`: false once the call no longer waits for this answer (hung up, its prompt over). */
  async check(pin: string, stillWanted: () => boolean): Promise<PinVerdict> {
    const roomId = await this.pins.roomOf(pin);
    let reservation: Reservation | undefined;
    while (!(reservation = await this.reserve(roomId))) {
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      // Asked after the wait: a call that hung up meanwhile takes no place in the counts.
      if (!stillWanted()) return { refused: 'limited' };
    }
    const seat = roomId ? await this.pins.seatFor(pin) : undefined;
    if (seat) {
      await this.giveBack(reservation);
      return { seat };
    }
    if (roomId && reservation.sessionCount >= this.limits.pinFailureNoticeAt) this.notice(roomId, reservation.sessionCount);
    return { refused: roomId ? 'wrong' : 'unknown-session' };
  }

  private async reserve(roomId: string | undefined): Promise<Reservation | undefined> {
    const now = Date.now();
    const sessionKey = roomId && `circle:phone:pin-failures:session:${roomId}:${Math.floor(now / HOUR_MS)}`;
    let sessionCount = 0;
    if (sessionKey) {
      sessionCount = await this.kv.add(sessionKey, 1, HOUR_MS);
      if (sessionCount > this.limits.pinFailuresPerSessionPerHour) {
        await this.kv.add(sessionKey, -1, HOUR_MS);
        return undefined;
      }
    }
    // The cluster's limit: for entries that name no live session, and for sessions guessed at this hour.
    if (sessionKey && sessionCount === 1) return { sessionKey, clusterKey: undefined, sessionCount };
    const clusterKey = `circle:phone:pin-failures:cluster:${Math.floor(now / MINUTE_MS)}`;
    if ((await this.kv.add(clusterKey, 1, MINUTE_MS)) > this.limits.pinFailuresPerMinute) {
      await this.giveBack({ sessionKey, clusterKey, sessionCount });
      return undefined;
    }
    return { sessionKey, clusterKey, sessionCount };
  }

  private async giveBack({ sessionKey, clusterKey }: Reservation): Promise<void> {
    if (sessionKey) await this.kv.add(sessionKey, -1, HOUR_MS);
    if (clusterKey) await this.kv.add(clusterKey, -1, MINUTE_MS);
  }
}
