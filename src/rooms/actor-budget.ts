import { TokenBucket } from '../limits/token-bucket.js';
import { CircleError } from '../protocol/errors.js';
import type { Role } from '../protocol/roles.js';
import { authorize, type Action } from './permissions.js';

/**
 * How many moderation requests each staff member may make: `burst` at once, refilled at `perSecond`. A
 * co-facilitator flooding lock and unlock is refused before the audit log fills with it.
 */
export class ActorBudget {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  /** The permission table first (a refused role spends nothing), then the actor's budget. */
  allow(actor: { id: string; role: Role }, action: Action): void {
    authorize(actor.role, action);
    this.spend(actor.id);
  }

  private spend(actorId: string): void {
    let bucket = this.buckets.get(actorId);
    if (!bucket) this.buckets.set(actorId, (bucket = new TokenBucket(this.perSecond, this.burst)));
    if (!bucket.take()) throw new CircleError('RATE_LIMITED', 'too many moderation requests; slow down');
  }
}
