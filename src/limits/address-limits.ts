import { CircleError } from '../protocol/errors.js';
import { TokenBucket } from './token-bucket.js';

export interface AddressLimitSettings {
  maxConnectionsPerIp: number;
  joinsPerIpPerMinute: number;
}

/** Join budgets unused this long are forgotten, so a scan of many addresses cannot grow the map for ever. */
const FORGET_AFTER_MS = 120_000;

/**
 * What one client address may hold and do: connections open at once, and joins (and resumes) per minute. A clinic
 * behind one NAT address has a group's worth of people at most; a script opening hundreds is refused.
 */
export class AddressLimits {
  private readonly open = new Map<string, number>();
  private readonly joins = new Map<string, { bucket: TokenBucket; usedAt: number }>();

  constructor(private readonly settings: AddressLimitSettings) {}

  /** A new connection from `address`; false when it already holds the most it may. */
  connect(address: string): boolean {
    const count = this.open.get(address) ?? 0;
    if (count >= this.settings.maxConnectionsPerIp) return false;
    this.open.set(address, count + 1);
    return true;
  }

  disconnect(address: string): void {
    const count = (this.open.get(address) ?? 1) - 1;
    if (count > 0) this.open.set(address, count);
    else this.open.delete(address);
  }

  spendJoin(address: string): void {
    const now = Date.now();
    let entry = this.joins.get(address);
    if (!entry) {
      if (this.joins.size >= 10_000) this.forgetIdle(now);
      const { joinsPerIpPerMinute: perMinute } = this.settings;
      this.joins.set(address, (entry = { bucket: new TokenBucket(perMinute / 60, perMinute), usedAt: now }));
    }
    entry.usedAt = now;
    if (!entry.bucket.take()) throw new CircleError('RATE_LIMITED', 'too many joins from this address; wait a minute');
  }

  private forgetIdle(now: number): void {
    for (const [address, { usedAt }] of this.joins) if (now - usedAt > FORGET_AFTER_MS) this.joins.delete(address);
  }
}
