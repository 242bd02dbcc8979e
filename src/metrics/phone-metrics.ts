import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { CALL_OUTCOMES, PIN_FAILURE_KINDS } from '../phone/phone-call.js';
import type { PhoneMeter } from '../phone/phone-meter.js';
import { DROP_REASONS } from '../phone/sip-endpoint.js';
import { countedBy } from './counted-by.js';

/** The phone bridge's metrics: calls, PIN failures, the phone legs' jitter and loss. No number, PIN or name. */
export function createPhoneMetrics(registry: Registry): PhoneMeter {
  const calls = countedBy(
    registry,
    'circle_phone_calls_total',
    'Phone calls ended, by outcome: joined (took a seat), wrong-pin, no-input, abandoned (hung up or went silent before a seat), cancelled, refused (offer, capacity), unavailable (the seat could not be taken).',
    'outcome',
    CALL_OUTCOMES,
  );
  const sipDropped = countedBy(
    registry,
    'circle_phone_sip_dropped_total',
    'SIP messages dropped unanswered, by reason: source-not-allowed, rate-limited, too-large, unparsable; media-not-allowed: an INVITE refused for a media address outside the trunk’s networks; unauthenticated: a TLS handshake without a trunk certificate.',
    'reason',
    DROP_REASONS,
  );
  const callsActive = new Gauge({ name: 'circle_phone_calls_active', help: 'Phone calls answered and not yet ended on this node.', registers: [registry] });
  const pinFailures = countedBy(
    registry,
    'circle_phone_pin_failures_total',
    'Dial-in PINs keyed wrong, by kind: wrong (a live session, a seat it has not), unknown-session (no live session), limited (the caller gave up while the guessing limits held the entry back).',
    'kind',
    PIN_FAILURE_KINDS,
  );
  const pinNotices = new Counter({ name: 'circle_phone_pin_failure_notices_total', help: "Times a session's staff were told of wrong dial-in PINs for it (the notice names no caller).", registers: [registry] });
  const jitter = new Histogram({
    name: 'circle_phone_jitter_seconds',
    help: "Interarrival jitter of callers' audio (RFC 3550), read each second per call.",
    buckets: [0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2],
    registers: [registry],
  });
  const packetsExpected = new Counter({ name: 'circle_phone_packets_expected_total', help: "Audio packets callers' legs should have delivered (from sequence numbers).", registers: [registry] });
  const packetsReceived = new Counter({ name: 'circle_phone_packets_received_total', help: "Audio packets received on callers' legs.", registers: [registry] });
  const packetsLost = new Counter({ name: 'circle_phone_packets_lost_total', help: "Audio packets lost on callers' legs (expected minus received).", registers: [registry] });
  const framesLate = new Counter({
    name: 'circle_phone_frames_late_total',
    help: "Times the bridge's 20 ms mixing clock ran more than a frame late (an overloaded node: callers hear gaps).",
    registers: [registry],
  });
  return {
    callStarted: () => callsActive.inc(),
    callEnded: (outcome) => {
      callsActive.dec();
      calls.inc({ outcome });
    },
    callTurnedAway: (outcome) => calls.inc({ outcome }),
    pinFailed: (kind) => pinFailures.inc({ kind }),
    pinNoticeSent: () => pinNotices.inc(),
    sipDropped: (reason) => sipDropped.inc({ reason }),
    legRead: (stats) => {
      if (stats.expected > 0) jitter.observe(stats.jitterSeconds);
      packetsExpected.inc(stats.expected);
      packetsReceived.inc(stats.received);
      packetsLost.inc(stats.lost);
    },
    frameLate: () => framesLate.inc(),
  };
}
