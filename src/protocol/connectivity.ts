// How a participant's media gets through: the path it takes, and the TURN relay it may take it through.

/** Every path a participant's media may take to the SFU (see `ConnectionPath`), for a client that lists or counts them. */
export const CONNECTION_PATHS = ['udp', 'tcp', 'relay-udp', 'relay-tcp', 'relay-tls'] as const;

/**
 * How a participant's media reaches the SFU, as their browser reports it: straight over UDP or TCP, or through the
 * TURN relay (reached by UDP, TCP or TLS). A relay path is the sign of a firewall; `relay-tls` of a strict one.
 */
export type ConnectionPath = (typeof CONNECTION_PATHS)[number];

/** A TURN relay as RTCPeerConnection takes it. */
export interface IceServer {
  urls: string[];
  username: string;
  credential: string;
}

/** The pre-session check's verdict: what the client's connection is ready for. */
export type CheckVerdict = 'video' | 'audio-only' | 'phone';

/** A waiting client's pre-session check, as the staff see it in the lobby. */
export interface Readiness {
  verdict: CheckVerdict;
  path: ConnectionPath | null;
  roundTripMs: number | null;
  loss: number | null;
}

/** How a participant's connection is doing, as facilitators see it. */
export type ConnectionQuality = 'good' | 'fair' | 'poor' | 'audio-only' | 'reconnecting';
export const CONNECTION_QUALITIES: readonly ConnectionQuality[] = ['good', 'fair', 'poor', 'audio-only', 'reconnecting'];

/** Why video is off: the participant chose it, or their downlink or uplink is too weak for it. */
export type AudioOnlyReason = 'manual' | 'downlink' | 'uplink';
export const AUDIO_ONLY_REASONS: readonly AudioOnlyReason[] = ['manual', 'downlink', 'uplink'];

/** A participant's own link, as the server adapts to it: the voice always goes on, video only when it fits. */
export interface LinkView {
  quality: ConnectionQuality;
  /** Why video is off, or null while it is on. */
  audioOnly: AudioOnlyReason | null;
  /** Whether the server wants this participant's camera sent (false: the SDK stops sending it). */
  sendVideo: boolean;
  /** Whether this participant receives others' video. */
  receiveVideo: boolean;
  /** The path the browser last reported; null before its first report. */
  path: ConnectionPath | null;
}
