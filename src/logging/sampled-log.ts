import { TokenBucket } from '../limits/token-bucket.js';
import type { Logger } from './logger.js';

/**
 * A log line that a flood cannot multiply: at most `perSecond` lines (with a burst of ten times that) across the
 * node; lines over the budget are not written, only counted, and the next line written says how many were not.
 */
export class SampledLog {
  private readonly budget: TokenBucket;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly message: string,
    perSecond: number,
  ) {
    this.budget = new TokenBucket(perSecond, perSecond * 10);
  }

  /** `fields` is called only when the line is written, so a suppressed line costs nothing to describe. */
  write(fields: () => Record<string, unknown>, level: 'error' | 'warn' | 'info' | 'debug'): void {
    if (!this.budget.take()) {
      this.suppressed += 1;
      return;
    }
    const notLogged = this.suppressed;
    this.suppressed = 0;
    this.logger[level]({ ...fields(), ...(notLogged ? { notLogged } : {}) }, this.message);
  }
}
