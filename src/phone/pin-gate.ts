import type { Identity } from '../auth/tokens.js';
import { KeyedBuckets } from '../limits/keyed-buckets.js';
import { TokenBucket } from '../limits/token-bucket.js';
import type { DialInPins } from './dial-in-pins.js';

export type PinVerdict = { seat: Identity } | { refused: 'wrong' | 'too-many' };

/**
 * Checks keyed PINs, and slows guessing: attempts per source address per minute, and wrong PINs per minute across
 * the node (a guess spread over many sources). With 8 digits and a few hundred live PINs, a guess has about a
 * one-in-a-million chance; these limits keep it there.
 */
export class PinGate {
  private readonly perSource: KeyedBuckets;
  private readonly failures: TokenBucket;

  constructor(
    private readonly pins: DialInPins,
    settings: { pinAttemptsPerSourcePerMinute: number; pinFailuresPerMinute: number },
  ) {
    this.perSource = new KeyedBuckets(settings.pinAttemptsPerSourcePerMinute / 60, settings.pinAttemptsPerSourcePerMinute);
    this.failures = new TokenBucket(settings.pinFailuresPerMinute / 60, settings.pinFailuresPerMinute);
  }

  async check(pin: string, source: string): Promise<PinVerdict> {
    if (!this.perSource.take(source) || !this.failures.peek()) return { refused: 'too-many' };
    const seat = await this.pins.seatFor(pin);
    if (seat) return { seat };
    this.failures.take();
    return { refused: 'wrong' };
  }
}
