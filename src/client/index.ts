/**
 * The browser SDK's public surface, as the `@circle/sdk` package exports it: the client, and the protocol's shapes
 * its methods and events carry.
 */
export { CircleClient, type CircleClientOptions, type ClientEvents, type ClientState, type InboundStat, type RemoteTrack } from './sdk.js';
export { RequestError } from './request.js';
export { canEncrypt, type Encryption, type EncryptionState } from './encryption.js';
export type { ReceivedFrames } from './e2ee-worker.js';
export type { GroupMember, MemberIdentity } from '../e2ee/group-keys.js';
export { E2EE_MODES, GROUP_CIRCLE, type E2eeMode, type KeyDeliveryMessage } from '../protocol/e2ee.js';
export type { CheckOptions, CheckResult } from './connection-check.js';
export type { CheckReadings, CheckVerdict } from './check-verdict.js';
export type { MirrorEvents } from './room-mirror.js';
export type {
  AdmittedView,
  AudioOnlyReason,
  AuditEntry,
  ChatMessage,
  CheckStarted,
  ConnectionQuality,
  DialIn,
  FloorMode,
  FloorView,
  IceServer,
  JoinResult,
  LinkView,
  LobbyEntry,
  MediaKind,
  MediaLocks,
  MediaSource,
  MessageAudience,
  PeerInfo,
  ProducerInfo,
  Readiness,
  ReconnectReason,
  RoomView,
  SelfView,
  SessionEndReason,
  TransportInfo,
} from '../protocol/events.js';
export type { CheckIn, CheckInAnswers } from '../protocol/check-in.js';
export type { TalkEntry } from '../protocol/talk.js';
export { ERROR_CODES, type ErrorBody, type ErrorCode } from '../protocol/errors.js';
export type { DtlsParametersWire, IceCandidateWire, IceParametersWire, RtpCapabilitiesWire, RtpParametersWire, Wire } from '../protocol/media-wire.js';
export { ROLES, type Role } from '../protocol/roles.js';
export { CONNECTION_PATHS, type ConnectionPath } from '../protocol/connectivity.js';
