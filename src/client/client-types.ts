import type { ChatMessage, MediaKind, ReconnectReason, SessionEndReason } from '../protocol/events.js';
import type { MirrorEvents } from './room-mirror.js';
import type { RemoteTrack } from './subscriber.js';

// The SDK's public shapes: its states, its events and its options (the client itself is in sdk.ts).

export type ClientState = 'idle' | 'joining' | 'waiting' | 'joined' | 'rejoining' | 'left' | 'ended';

/** The room mirror's events (peers, self, room, lobby, floor), passed on, and the seat's and media's own. */
export type ClientEvents = Omit<MirrorEvents, 'producerAvailable'> & {
  state: [ClientState];
  unmuteRequested: [MediaKind];
  /** A phone call keyed this seat's PIN: is it you? Answer with `answerPhoneJoin`; unanswered, the call ends. */
  phoneJoinRequested: [expiresInMs: number];
  /** Staff: wrong dial-in PINs for this session lately (someone may be guessing); nothing names a caller. */
  dialInAttempts: [{ wrongPins: number; withinMinutes: number }];
  /** A facilitator suggests audio-only (a weak connection); `setAudioOnly(true)` takes it up. */
  audioOnlySuggested: [];
  turnWarning: [{ holder: string; endsAt: string }];
  /** A message for this participant: to everyone, to the staff, or to them alone. */
  message: [ChatMessage];
  messageRemoved: [{ messageId: string }];
  trackAdded: [RemoteTrack];
  trackRemoved: [RemoteTrack];
  /** The seat is being recovered: the server asked (worker lost, shutdown) or the connection dropped. */
  reconnecting: [ReconnectReason | 'connection-lost'];
  ended: [SessionEndReason];
  error: [Error];
};

export interface CircleClientOptions {
  /** Origin of the Circle server; the page's own origin by default. */
  url?: string;
  /** How often the browser's own uplink estimate is sent to the server (ms); 0 never. */
  statsIntervalMs?: number;
  /**
   * The origins of the nodes this client may be sent to with `MOVED` (the server's `cluster.allowedOrigins`),
   * besides the entry's own. Circle's web app relies on its content security policy instead, which lists them.
   */
  allowedOrigins?: readonly string[];
  /** `relay`: media only through the TURN relay the server names, never straight to the SFU. Default `all`. */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** Run the pre-session check while waiting in the lobby, for the staff to see; default true. */
  checkInLobby?: boolean;
  /**
   * Tell the server how each video given to `watchVideo` is drawn, so it sends the smallest layer that fills it and
   * nothing while it cannot be seen; default true. A video not (yet) given to `watchVideo` comes at the smallest
   * layer. Off, every video comes at the best layer the link carries.
   */
  adaptiveVideo?: boolean;
  /** Where the end-to-end encryption worker is served (`e2ee-worker.js` beside the page by default). */
  e2eeWorkerUrl?: string;
}
