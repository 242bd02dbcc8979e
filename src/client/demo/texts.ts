import type { CheckIn } from '../../protocol/check-in.js';
import type { AudioOnlyReason, ConnectionPath, ConnectionQuality, DialIn, SessionEndReason } from '../../protocol/events.js';
import type { CheckVerdict } from '../check-verdict.js';

/** The web app's fixed texts: connection states, why a session ended, audio-only reasons, connection quality and path. */

export const STATE_TEXT = {
  idle: 'Not connected',
  joining: 'Joining…',
  waiting: 'In the waiting room: a facilitator will let you in shortly',
  joined: 'In the session',
  rejoining: 'Reconnecting…',
  left: 'You left the session',
  ended: 'The session ended',
} as const;

export const END_TEXT: Record<SessionEndReason, string> = {
  'replaced-by-new-session': 'You joined from another window; this one is closed.',
  'taken-by-phone': 'Your phone call has taken your seat in this session; this window is closed.',
  'join-timeout': 'The connection timed out before joining.',
  denied: 'A facilitator did not admit you to this session.',
  removed: 'A facilitator removed you from this session.',
  ended: 'The facilitator ended the session. Thank you for joining.',
  'protocol-abuse': 'The connection was closed because it sent messages Circle does not understand.',
  'phone-declined': 'A phone call asked to join as you and was turned away.',
};

export const AUDIO_ONLY_TEXT: Record<AudioOnlyReason, string> = {
  manual: 'Audio only (your choice): video is off both ways.',
  downlink: 'Audio only (weak connection): others\' video pauses until your connection recovers.',
  uplink: 'Audio only (weak connection): your camera pauses until your connection recovers; you are still heard.',
};

export const QUALITY_TEXT: Record<ConnectionQuality, string> = {
  good: 'good connection',
  fair: 'fair connection',
  poor: 'poor connection',
  'audio-only': 'audio only',
  reconnecting: 'reconnecting…',
};

/** Next to the quality, for the staff: how the media gets through (a relay path means a restrictive network). */
export const PATH_TEXT: Record<ConnectionPath, string> = {
  udp: 'direct (UDP)',
  tcp: 'direct (TCP)',
  'relay-udp': 'via relay (UDP)',
  'relay-tcp': 'via relay (TCP)',
  'relay-tls': 'via relay (TLS)',
};

/** The pre-session check's verdict, as a client reads it. */
export const VERDICT_TEXT: Record<CheckVerdict, string> = {
  video: 'Ready for video',
  'audio-only': 'Audio only recommended',
  phone: 'Use the phone',
};

/** Shown to everyone who may speak, before anything goes wrong: the way back in by phone. */
export function dialInText({ number, pin }: DialIn): string {
  return `If your internet drops, call ${number || "the clinic's dial-in number"} and enter ${pin} #`;
}

const ORDINAL = new Intl.PluralRules('en', { type: 'ordinal' });
const SUFFIX: Record<string, string> = { one: 'st', two: 'nd', few: 'rd', other: 'th' };
/** 1 → "1st", 2 → "2nd": a place in line as people say it. */
export const ordinal = (n: number) => `${n}${SUFFIX[ORDINAL.select(n)]}`;

/** A duration as a clock shows it: "4:05", or "1:04:05" past an hour (the session clock, a turn's time left). */
export function clockText(totalSeconds: number): string {
  const [h, m, s] = [Math.floor(totalSeconds / 3600), Math.floor(totalSeconds / 60) % 60, totalSeconds % 60];
  return `${h ? `${h}:${String(m).padStart(2, '0')}` : m}:${String(s).padStart(2, '0')}`;
}

const yesNo = (answer: boolean | null) => (answer === null ? 'not said' : answer ? 'yes' : 'no');

/** A client's safety check-in for the staff: "Check-in: home, Tacoma WA · private: yes · headphones: no". */
export function checkInText({ phone, checkIn }: { phone: boolean; checkIn?: CheckIn | null }): string {
  if (phone && !checkIn) return 'Check-in: on the phone, not asked';
  if (!checkIn) return 'Check-in: not answered yet';
  return `Check-in: ${checkIn.location} · private: ${yesNo(checkIn.private)} · headphones: ${yesNo(checkIn.headphones)}`;
}
