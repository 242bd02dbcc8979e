import type { CallOutcome, PinFailureKind } from './phone-call.js';
import type { LegStats } from './rtp-leg.js';
import type { DropReason } from './sip-endpoint.js';

/**
 * What the phone bridge reports to whoever counts it (the node's metrics, `src/metrics/phone-metrics.ts`): events
 * named for what happened, never a number, PIN or name. The bridge knows this port, not the metrics library.
 */
export interface PhoneMeter {
  /** A call was answered and acknowledged: it runs until `callEnded`. */
  callStarted(): void;
  callEnded(outcome: CallOutcome): void;
  /** A call that never started: refused, cancelled while ringing, or never acknowledged. */
  callTurnedAway(outcome: Extract<CallOutcome, 'refused' | 'cancelled' | 'abandoned'>): void;
  pinFailed(kind: PinFailureKind): void;
  pinNoticeSent(): void;
  sipDropped(reason: DropReason): void;
  legRead(stats: LegStats): void;
  frameLate(): void;
}
