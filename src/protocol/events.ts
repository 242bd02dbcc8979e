import type { types as media } from 'mediasoup';
import type { Ack } from './errors.js';
import type { RequestName, RequestPayload } from './schemas.js';
import type { Role } from './roles.js';

export type MediaKind = 'audio' | 'video';
export type MediaSource = 'microphone' | 'camera';

export interface ProducerInfo {
  producerId: string;
  kind: MediaKind;
  source: MediaSource;
  paused: boolean;
}

/** What other participants learn about someone: never the token, never more than the display name. */
export interface PeerInfo {
  participantId: string;
  displayName: string;
  role: Role;
  producers: ProducerInfo[];
}

export interface JoinResult {
  participantId: string;
  role: Role;
  displayName: string;
  routerRtpCapabilities: media.RtpCapabilities;
  peers: PeerInfo[];
}

export interface TransportInfo {
  id: string;
  iceParameters: media.IceParameters;
  iceCandidates: media.IceCandidate[];
  dtlsParameters: media.DtlsParameters;
}

export interface ConsumerInfo {
  consumerId: string;
  producerId: string;
  participantId: string;
  kind: MediaKind;
  source: MediaSource;
  rtpParameters: media.RtpParameters;
  producerPaused: boolean;
}

/** What each request answers with on success. */
export interface RequestResults {
  join: JoinResult;
  setRtpCapabilities: Record<string, never>;
  createTransport: TransportInfo;
  connectTransport: Record<string, never>;
  produce: { producerId: string };
  pauseProducer: Record<string, never>;
  resumeProducer: Record<string, never>;
  closeProducer: Record<string, never>;
  consume: ConsumerInfo;
  resumeConsumer: Record<string, never>;
  leave: Record<string, never>;
}

export type ClientToServerEvents = {
  [K in RequestName]: (payload: RequestPayload<K>, ack: (response: Ack<RequestResults[K]>) => void) => void;
};

/** Why the server asks a client to reconnect (it should join again with its token). */
export type ReconnectReason = 'media-worker-lost' | 'server-shutdown';
/** Why the server ended this client's session for good. */
export type SessionEndReason = 'replaced-by-new-session' | 'join-timeout';

export interface ServerToClientEvents {
  peerJoined: (peer: PeerInfo) => void;
  peerLeft: (event: { participantId: string }) => void;
  producerAdded: (event: { participantId: string; producer: ProducerInfo }) => void;
  producerRemoved: (event: { participantId: string; producerId: string }) => void;
  producerPaused: (event: { participantId: string; producerId: string }) => void;
  producerResumed: (event: { participantId: string; producerId: string }) => void;
  consumerClosed: (event: { consumerId: string }) => void;
  reconnectRequired: (event: { reason: ReconnectReason }) => void;
  sessionEnded: (event: { reason: SessionEndReason }) => void;
  /** Answer to an event sent without an acknowledgement callback that could not be processed. */
  protocolError: (event: { event: string; code: string; message: string }) => void;
}
