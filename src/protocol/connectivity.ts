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
