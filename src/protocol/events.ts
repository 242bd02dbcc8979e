import type { CheckIn } from './check-in.js';
import type { ChatMessage } from './messages.js';
import type { TalkEntry } from './talk.js';
import type { DtlsParametersWire, IceCandidateWire, IceParametersWire, RtpCapabilitiesWire, RtpParametersWire } from './media-wire.js';
import type { Ack } from './errors.js';
import type { RequestName, RequestPayload } from './schemas.js';
import type { Role } from './roles.js';
import type { ModerationAction } from './moderation-actions.js';
import type { AudioOnlyReason, ConnectionPath, ConnectionQuality, IceServer, LinkView, Readiness } from './connectivity.js';
import type { E2eeMode, KeyDeliveryMessage } from './e2ee.js';

export type { AudioOnlyReason, ConnectionPath, ConnectionQuality, IceServer, LinkView, Readiness };
export { AUDIO_ONLY_REASONS, CONNECTION_QUALITIES } from './connectivity.js';
export type { AudienceKind, ChatMessage, MessageAudience } from './messages.js';

export type MediaKind = 'audio' | 'video';
export type MediaSource = 'microphone' | 'camera';

export interface ProducerInfo {
  producerId: string;
  kind: MediaKind;
  source: MediaSource;
  paused: boolean;
}

/** A facilitator's hard lock on a participant's microphone or camera: only a facilitator can lift it. */
export interface MediaLocks {
  audio: boolean;
  video: boolean;
}

/** What other participants learn about someone: never the token, never more than the display name. */
export interface PeerInfo {
  participantId: string;
  displayName: string;
  role: Role;
  producers: ProducerInfo[];
  /** `reconnecting` while the server holds the seat of someone whose connection dropped. */
  connection: 'connected' | 'reconnecting';
  /** Present only for facilitators and co-facilitators: clients are not shown who was muted by whom. */
  locks?: MediaLocks;
  /** Present only for facilitators and co-facilitators: the link's quality, and whether direct or through the relay (null: not reported yet). */
  quality?: ConnectionQuality;
  path?: ConnectionPath | null;
  /**
   * In another space than the viewer: stepped out to a side room, or (seen from a side room) in the group. Their
   * media cannot be received meanwhile, so `producers` is empty. Clients learn nothing more: not why, not with whom.
   */
  away: boolean;
  /** Present only for facilitators and co-facilitators: the side room they are in, or null for the group. */
  sideRoomId?: string | null;
  /** In by telephone (dial-in): shown as "Name (phone)". */
  phone: boolean;
  /** Staff only, for a call whose trunk gave the caller's number: its last two digits (never logged, stored or sent to clients). */
  phoneDigits?: string;
  /** Present only for facilitators and co-facilitators: the client's safety check-in (null: none yet, or not a client). */
  checkIn?: CheckIn | null;
}

/** The room as every admitted participant sees it. */
export interface RoomView {
  locked: boolean;
  /** Whether clients may write to everyone; staff may turn it off (they themselves always may). */
  groupMessages: boolean;
  /** No facilitator has been present for a while: media goes on, no one can be admitted. */
  onHold: boolean;
  /** Whether a facilitator has joined yet; clients get no media before. */
  started: boolean;
  /** When it started (ISO 8601), for the session clock; null before. */
  startedAt: string | null;
  spotlight: string | null;
  /**
   * Whether a phone call may go straight into a seat held for its own drop (the browser fell away, the grace runs).
   * Off: every call waits in the waiting room for the staff. Calls into any other seat always wait.
   */
  phoneIntoHeldSeats: boolean;
  /** Focus mode: clients receive only the staff's video (no client-to-client video consumer); audio unchanged. */
  focus: boolean;
  /** Whether clients are asked a safety check-in as they arrive (on by default); callers never are. */
  askCheckIn: boolean;
  /** A break: when it ends (ISO 8601); clients' microphones and cameras are paused at the SFU until then. Null: none. */
  breakEndsAt: string | null;
  /** `preferred` encryption: the admitted whose browsers cannot encrypt; while any, every page goes clear, naming them. */
  unencrypted: string[];
}

/** A participant's own state, as the server enforces it. */
export interface SelfView {
  participantId: string;
  role: Role;
  admission: 'waiting' | 'admitted';
  locks: MediaLocks;
  link: LinkView;
  /** The side room this participant is in, or null in the group; whoever is there with them is not `away`. */
  sideRoomId: string | null;
  /**
   * The seat's voice is on a telephone call (dial-in) while this connection keeps the video: the SFU pauses this
   * connection's microphone and the room's audio to it, so nobody hears them twice and their speakers do not echo
   * into the call. Hanging up gives the voice back.
   */
  voiceOnPhone: boolean;
}

export interface LobbyEntry {
  participantId: string;
  displayName: string;
  /** ISO time the participant started waiting. */
  waitingSince: string;
  /** A facilitator's locks from earlier in the session: they hold after admission until a facilitator lifts them. */
  locks: MediaLocks;
  /** The client's pre-session check, run quietly while waiting; null until it reports. */
  readiness: Readiness | null;
  /** Waiting on a telephone call (dial-in): shown to the staff as "Name (phone)". */
  phone: boolean;
  /** The last two digits of the caller's number, where the trunk gave one; never logged or stored. */
  phoneDigits?: string;
  /** The client's safety check-in; null until they answer (a caller is never asked). */
  checkIn: CheckIn | null;
}

export interface AdmittedView {
  routerRtpCapabilities: RtpCapabilitiesWire;
  peers: PeerInfo[];
  room: RoomView;
  /** Facilitators and co-facilitators see who waits; others get an empty list. */
  lobby: LobbyEntry[];
  floor: FloorView;
  /** Who is speaking in the participant's space (the group or their side room) as they arrive; null: no one yet. */
  activeSpeaker: string | null;
  /** Staff: each person's speaking time and turns so far (empty for everyone else). */
  talk: TalkEntry[];
}

export interface JoinResult {
  /** Takes this seat back after a dropped connection (`resume`), even once the join token has expired. */
  resumeToken: string;
  participantId: string;
  role: Role;
  displayName: string;
  self: SelfView;
  /** Absent while waiting in the lobby: a waiting client sees no one and receives no media. */
  admitted?: AdmittedView;
  /** A client asked for a safety check-in (`checkIn`) as they arrive: the room asks it (`RoomView.askCheckIn`). */
  askCheckIn: boolean;
  /** Where this seat can be taken by telephone if the internet fails; absent when dial-in is off or for observers. */
  dialIn?: DialIn;
  /**
   * The TURN relay, for networks that let nothing through to the SFU's media ports: short-lived credentials
   * (`turn.credentialTtlSeconds`), fresh on every join and resume. Absent when the node has no relay.
   */
  iceServers?: IceServer[];
  /** The session's end-to-end encryption: unless `off`, the page takes part in key agreement once admitted. */
  e2ee: E2eeMode;
}


/** A seat's dial-in: call `number` (empty when the clinic configured none) and key `pin` then `#`. */
export interface DialIn {
  pin: string;
  number: string;
}

export type FloorMode = 'open' | 'queue';

/** Turn-taking as everyone admitted sees it; each client finds its own place in `queue`. */
export interface FloorView {
  /** `open`: anyone unmuted is heard, hands are advisory. `queue`: only the holder and staff are heard. */
  mode: FloorMode;
  holder: string | null;
  /** Participant ids with raised hands, first raised first. */
  queue: string[];
  turnLimitSeconds: number | null;
  /** ISO time the current turn ends, when turns are timed. */
  turnEndsAt: string | null;
}


export interface AuditEntry {
  /** ISO time */
  at: string;
  actor: string;
  action: ModerationAction;
  target?: string;
}

export interface TransportInfo {
  id: string;
  iceParameters: IceParametersWire;
  iceCandidates: IceCandidateWire[];
  dtlsParameters: DtlsParametersWire;
}

export interface ConsumerInfo {
  consumerId: string;
  producerId: string;
  participantId: string;
  kind: MediaKind;
  source: MediaSource;
  rtpParameters: RtpParametersWire;
  producerPaused: boolean;
}

/**
 * A pre-session connection check, started: a router of its own (no room), the two transports to open, the relay to
 * offer them, and the clinic's dial-in number for a verdict of "use the phone" (empty when there is none).
 */
export interface CheckStarted {
  checkId: string;
  routerRtpCapabilities: RtpCapabilitiesWire;
  send: TransportInfo;
  recv: TransportInfo;
  iceServers?: IceServer[];
  dialInNumber: string;
}

/** What each request answers with on success. */
export interface RequestResults {
  join: JoinResult;
  resume: JoinResult;
  setRtpCapabilities: Record<string, never>;
  createTransport: TransportInfo;
  connectTransport: Record<string, never>;
  restartIce: { iceParameters: IceParametersWire };
  produce: { producerId: string };
  pauseProducer: Record<string, never>;
  resumeProducer: Record<string, never>;
  closeProducer: Record<string, never>;
  consume: ConsumerInfo;
  resumeConsumer: Record<string, never>;
  setVideoViews: Record<string, never>;
  leave: Record<string, never>;
  startCheck: CheckStarted;
  checkConnect: Record<string, never>;
  checkProduce: { producerId: string };
  checkEcho: ConsumerInfo;
  stopCheck: Record<string, never>;
  reportReadiness: Record<string, never>;
  checkIn: Record<string, never>;
  setCheckIn: Record<string, never>;
  startBreak: { endsAt: string };
  endBreak: Record<string, never>;
  admit: Record<string, never>;
  admitAll: { admitted: number };
  deny: Record<string, never>;
  denyAll: { denied: number };
  mute: Record<string, never>;
  muteAllClients: { muted: number };
  askToUnmute: Record<string, never>;
  stopVideo: Record<string, never>;
  askToStartVideo: Record<string, never>;
  remove: Record<string, never>;
  promote: Record<string, never>;
  demote: Record<string, never>;
  handOver: Record<string, never>;
  spotlight: Record<string, never>;
  lock: Record<string, never>;
  unlock: Record<string, never>;
  end: Record<string, never>;
  /** `dropped`: the oldest entries let go of to keep the log within its limit (2,000 entries). */
  getAuditLog: { entries: AuditEntry[]; dropped: number };
  raiseHand: { position: number };
  lowerHand: Record<string, never>;
  grantFloor: { holder: string };
  takeBackFloor: Record<string, never>;
  moveInQueue: Record<string, never>;
  removeFromQueue: Record<string, never>;
  clearQueue: Record<string, never>;
  setFloorMode: Record<string, never>;
  setTurnLimit: Record<string, never>;
  extendTurn: Record<string, never>;
  setAudioOnly: Record<string, never>;
  reportStats: Record<string, never>;
  suggestAudioOnly: Record<string, never>;
  sendMessage: { messageId: string; sentAt: string };
  setGroupMessages: Record<string, never>;
  setPhoneEntry: Record<string, never>;
  setFocus: Record<string, never>;
  answerPhoneJoin: Record<string, never>;
  removeMessage: Record<string, never>;
  openSideRoom: { sideRoomId: string };
  closeSideRoom: Record<string, never>;
  moveToSideRoom: Record<string, never>;
  returnToGroup: Record<string, never>;
  e2eeOffer: Record<string, never>;
  /** The epoch the circle is in now, the commit's. */
  e2eeCommit: { epoch: number };
  createBotTransport: { id: string; ip: string; port: number };
  connectBotTransport: Record<string, never>;
}

export type ClientToServerEvents = {
  [K in RequestName]: (payload: RequestPayload<K>, ack: (response: Ack<RequestResults[K]>) => void) => void;
};

/** Why the server asks a client to reconnect (it should join again with its token). */
export type ReconnectReason = 'media-worker-lost' | 'server-shutdown' | 'room-moved';
/** Why the server ended this client's session for good. */
export type SessionEndReason =
  | 'replaced-by-new-session'
  /** The seat was taken by a telephone call (dial-in): the person goes on by phone. */
  | 'taken-by-phone'
  | 'join-timeout'
  | 'denied'
  | 'removed'
  | 'ended'
  /** The connection kept sending events the protocol does not have: closed, and its seat held as for a drop. */
  | 'protocol-abuse'
  /** A phone call asked to carry this seat's voice and its browser said no, or did not answer in time. */
  | 'phone-declined';

export interface ServerToClientEvents {
  peerJoined: (peer: PeerInfo) => void;
  peerLeft: (event: { participantId: string }) => void;
  producerAdded: (event: { participantId: string; producer: ProducerInfo }) => void;
  producerRemoved: (event: { participantId: string; producerId: string }) => void;
  producerPaused: (event: { participantId: string; producerId: string }) => void;
  producerResumed: (event: { participantId: string; producerId: string }) => void;
  /** Consumers of yours the server closed, together: all those one change ended (a move to a side room ends several). */
  consumersClosed: (event: { consumerIds: string[] }) => void;
  /** A peer's role, connection, locks or (for staff) connection quality changed. */
  peerUpdated: (peer: PeerInfo) => void;
  /** You were admitted from the lobby: from now on you see the room and may send and receive media. */
  admitted: (view: AdmittedView) => void;
  /** Your own state changed: role, admission, a facilitator's lock, or your link (audio-only, quality). */
  selfUpdated: (self: SelfView) => void;
  roomUpdated: (room: RoomView) => void;
  /** To facilitators and co-facilitators: who waits now. */
  lobbyUpdated: (event: { waiting: LobbyEntry[] }) => void;
  floorUpdated: (floor: FloorView) => void;
  /** To those in one space (the group or a side room): who is speaking there now; null when they left it. */
  activeSpeaker: (event: { participantId: string | null }) => void;
  /** To the floor holder and the staff: the turn ends soon. */
  turnWarning: (event: { holder: string; endsAt: string }) => void;
  /** A facilitator asks you to unmute (or turn your camera on); only you can do it. */
  unmuteRequested: (event: { kind: MediaKind }) => void;
  /** A facilitator suggests switching to audio-only (a weak connection); only the participant can do it. */
  audioOnlySuggested: (event: Record<string, never>) => void;
  /** A message for you: to everyone, to the staff (you are staff), or to you alone. */
  message: (message: ChatMessage) => void;
  /** Staff removed a message you received. */
  messageRemoved: (event: { messageId: string }) => void;
  reconnectRequired: (event: { reason: ReconnectReason }) => void;
  sessionEnded: (event: { reason: SessionEndReason }) => void;
  /**
   * A phone call keyed this seat's PIN while this browser holds the seat: "A phone is joining as you — is this
   * you?". The call carries the voice only after `answerPhoneJoin {accept: true}`; no answer within `expiresInMs` ends it.
   */
  phoneJoinRequested: (event: { expiresInMs: number }) => void;
  /** To facilitators and co-facilitators, every few seconds while anyone speaks: speaking time and turns so far. */
  talkUpdated: (event: { participants: TalkEntry[] }) => void;
  /** To facilitators and co-facilitators: wrong dial-in PINs for this session within the last `withinMinutes`. */
  dialInAttempts: (event: { wrongPins: number; withinMinutes: number }) => void;
  /** The circle's key agreement, from the server as MLS's delivery service (see `KeyDeliveryMessage`). */
  e2ee: (message: KeyDeliveryMessage) => void;
  /** Answer to an event sent without an acknowledgement callback that could not be processed. */
  protocolError: (event: { event: string; code: string; message: string }) => void;
}
