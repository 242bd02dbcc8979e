import { KeyedBuckets } from '../limits/keyed-buckets.js';
import { CircleError } from '../protocol/errors.js';
import type { Role } from '../protocol/roles.js';
import { authorize, type Action } from './permissions.js';

/**
 * How many moderation requests each staff member may make: `burst` at once, refilled at `perSecond`. A
 * co-facilitator flooding lock and unlock is refused before the audit log fills with it.
 */
export class ActorBudget {
  private readonly buckets: KeyedBuckets;

  constructor(perSecond: number, burst: number) {
    this.buckets = new KeyedBuckets(perSecond, burst);
  }

  /** The permission table first (a refused role spends nothing), then the actor's budget. */
  allow(actor: { id: string; role: Role }, action: Action): void {
    authorize(actor.role, action);
    if (!this.buckets.take(actor.id)) throw new CircleError('RATE_LIMITED', 'too many moderation requests; slow down');
  }
}
