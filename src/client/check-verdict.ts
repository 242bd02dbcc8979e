import type { CheckVerdict, ConnectionPath } from '../protocol/connectivity.js';

export type { CheckVerdict };

/** What the pre-session check measured, through the SFU and back. */
export interface CheckReadings {
  /** Whether media got through at all (both transports connected and the echo arrived). */
  connected: boolean;
  path: ConnectionPath | null;
  roundTripMs: number | null;
  /** Share of the echoed packets lost on the way to the SFU and back. */
  loss: number | null;
  /** The browser's estimate of what its uplink carries. */
  uplinkBps: number | null;
  /** What came back down, per second (the echo of what was sent). */
  downlinkBps: number | null;
}


/**
 * The thresholds, in line with the server's defaults for a session (`quality.*`): a session goes audio-only at 15%
 * loss one way or below 200 kbit/s; the echo crosses the link twice, so its loss is about twice one way's.
 */
const PHONE_LOSS = 0.5;
const PHONE_ROUND_TRIP_MS = 1500;
const AUDIO_ONLY_LOSS = 0.1;
const AUDIO_ONLY_ROUND_TRIP_MS = 600;
const VIDEO_BPS = 350_000;

/** The verdict in plain words, and what to try: for a client about to join, not for an engineer. */
export function verdictOf(readings: CheckReadings): { verdict: CheckVerdict; advice: string[] } {
  const { connected, loss, roundTripMs, uplinkBps, downlinkBps, path } = readings;
  if (!connected) {
    return { verdict: 'phone', advice: ['Your network did not let the session through. Try another network (mobile data), or join by phone.'] };
  }
  const advice: string[] = [];
  const lossy = (loss ?? 0) >= AUDIO_ONLY_LOSS;
  const slow = (roundTripMs ?? 0) > AUDIO_ONLY_ROUND_TRIP_MS;
  const narrow = (uplinkBps ?? 0) < VIDEO_BPS || (downlinkBps ?? 0) < VIDEO_BPS;
  if (lossy || slow) advice.push('Move closer to your Wi-Fi router, or use a cable; close other apps or videos using the internet.');
  if (narrow) advice.push('Your connection is too slow for video: others on your network streaming or downloading slow it down.');
  if (path?.startsWith('relay')) advice.push('Your network blocks direct connections; the session goes through a relay, which works but adds a little delay.');
  advice.push('Use headphones, so the group does not hear itself back through your speakers.');
  if ((loss ?? 0) >= PHONE_LOSS || (roundTripMs ?? 0) > PHONE_ROUND_TRIP_MS) return { verdict: 'phone', advice };
  return { verdict: lossy || slow || narrow ? 'audio-only' : 'video', advice };
}
