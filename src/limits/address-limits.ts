import { CircleError } from '../protocol/errors.js';
import { KeyedBuckets } from './keyed-buckets.js';

export interface AddressLimitSettings {
  maxConnectionsPerIp: number;
  joinsPerIpPerMinute: number;
}

/**
 * What one client address may hold and do: connections open at once, and joins (and resumes) per minute. A clinic
 * behind one NAT address has a group's worth of people at most; a script opening hundreds is refused.
 */
export class AddressLimits {
  private readonly open = new Map<string, number>();
  private readonly joins: KeyedBuckets;

  constructor(private readonly settings: AddressLimitSettings) {
    this.joins = new KeyedBuckets(settings.joinsPerIpPerMinute / 60, settings.joinsPerIpPerMinute);
  }

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
    if (!this.joins.take(address)) throw new CircleError('RATE_LIMITED', 'too many joins from this address; wait a minute');
  }
}
