import { z } from 'zod';
import { CONNECTION_PATHS } from './connectivity.js';
import { MAX_TILE_SIDE, MAX_VIDEO_VIEWS } from './video-views.js';

// Structural checks only: mediasoup validates the media semantics and its refusals become BAD_REQUEST.
// Every array and string is bounded so no payload can make the server allocate without limit.

const id = z.string().min(1).max(64);
const shortText = z.string().max(128);
const scalar = z.union([z.string().max(256), z.number(), z.boolean()]);
const parameters = z.record(z.string().max(64), scalar).refine((o) => Object.keys(o).length <= 32, {
  message: 'too many parameters',
});

const rtcpFeedback = z.object({ type: shortText, parameter: shortText.optional() }).passthrough();

const codecCapability = z
  .object({
    kind: z.enum(['audio', 'video']),
    mimeType: shortText,
    preferredPayloadType: z.number().int().min(0).max(127).optional(),
    clockRate: z.number().int().positive(),
    channels: z.number().int().min(1).max(8).optional(),
    parameters: parameters.optional(),
    rtcpFeedback: z.array(rtcpFeedback).max(16).optional(),
  })
  .passthrough();

const headerExtensionCapability = z
  .object({
    kind: z.enum(['audio', 'video']),
    uri: z.string().max(256),
    preferredId: z.number().int().min(1).max(255),
    preferredEncrypt: z.boolean().optional(),
    direction: z.enum(['sendrecv', 'sendonly', 'recvonly', 'inactive']).optional(),
  })
  .passthrough();

export const rtpCapabilitiesSchema = z
  .object({
    codecs: z.array(codecCapability).max(64).optional(),
    headerExtensions: z.array(headerExtensionCapability).max(32).optional(),
  })
  .passthrough();

const codecParameters = codecCapability
  .omit({ kind: true, preferredPayloadType: true })
  .extend({ payloadType: z.number().int().min(0).max(127) });

const encoding = z
  .object({
    ssrc: z.number().int().nonnegative().optional(),
    rid: z.string().max(32).optional(),
    codecPayloadType: z.number().int().optional(),
    rtx: z.object({ ssrc: z.number().int().nonnegative() }).optional(),
    dtx: z.boolean().optional(),
    scalabilityMode: z.string().max(16).optional(),
    scaleResolutionDownBy: z.number().positive().optional(),
    maxBitrate: z.number().positive().optional(),
    maxFramerate: z.number().positive().optional(),
    active: z.boolean().optional(),
  })
  .passthrough();

export const rtpParametersSchema = z
  .object({
    mid: z.string().max(32).optional(),
    codecs: z.array(codecParameters).min(1).max(16),
    headerExtensions: z
      .array(
        z
          .object({
            uri: z.string().max(256),
            id: z.number().int().min(1).max(255),
            encrypt: z.boolean().optional(),
            parameters: parameters.optional(),
          })
          .passthrough(),
      )
      .max(32)
      .optional(),
    encodings: z.array(encoding).max(4).optional(),
    rtcp: z
      .object({ cname: z.string().max(256).optional(), reducedSize: z.boolean().optional() })
      .passthrough()
      .optional(),
  })
  .passthrough();

export const dtlsParametersSchema = z
  .object({
    role: z.enum(['auto', 'client', 'server']).optional(),
    fingerprints: z
      .array(z.object({ algorithm: z.string().max(16), value: z.string().max(256) }))
      .min(1)
      .max(8),
  })
  .passthrough();

/** What people will read: NFC, no control or format characters (bidi overrides, zero-width, NUL), at most 1,000. */
/** Text a person typed: NFC, control and format characters removed (a newline kept), trimmed, then 1 to `max` characters. */
const typedText = (max: number) =>
  z
    .string()
    .max(max * 4)
    .transform((text) => text.normalize('NFC').replace(/[\p{Cf}]|[^\P{Cc}\n]/gu, '').trim())
    .pipe(z.string().min(1, 'empty after removing control and format characters').max(max, `longer than ${max.toLocaleString('en')} characters`));
const messageText = typedText(1000);

export const empty = z.object({}).strict();
/** An MLS message (key package, commit, welcome), base64, of at most `bytes`: read only by members, never the server. */
const mlsBytes = (bytes: number) =>
  z
    .string()
    .min(4)
    .max(Math.ceil(bytes / 3) * 4)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'not base64');
const target = z.object({ participantId: id }).strict();

/** A side of a tile or a camera picture, in device pixels. */
const tileSide = z.number().int().min(0).max(MAX_TILE_SIDE);

/** A transport's DTLS parameters, in a room or in a connection check. */
const connectRequest = z.object({ transportId: id, dtlsParameters: dtlsParametersSchema }).strict();
/** A microphone or camera to send, in a room or in a connection check. */
const produceRequest = z
  .object({
    transportId: id,
    kind: z.enum(['audio', 'video']),
    rtpParameters: rtpParametersSchema,
    source: z.enum(['microphone', 'camera']),
    /** A camera's size as sent (its top layer), so the SFU can tell which layer fills a receiver's tile. */
    videoSize: z.object({ width: tileSide.min(1), height: tileSide.min(1) }).strict().optional(),
  })
  .strict();

export const requestSchemas = {
  /**
   * `e2ee`: this client can seal and open frames end to end (the SDK says so where the browser can). `videoViews`:
   * this client says the size of each video it shows (`setVideoViews`), so each starts at the smallest layer until it
   * has.
   */
  join: z.object({ token: z.string().min(1).max(4096), e2ee: z.boolean().optional(), videoViews: z.boolean().optional() }).strict(),
  resume: z.object({ resumeToken: z.string().min(20).max(128), e2ee: z.boolean().optional(), videoViews: z.boolean().optional() }).strict(),
  setRtpCapabilities: z.object({ rtpCapabilities: rtpCapabilitiesSchema }).strict(),
  createTransport: z.object({ direction: z.enum(['send', 'recv']) }).strict(),
  connectTransport: connectRequest,
  restartIce: z.object({ transportId: id }).strict(),
  produce: produceRequest,
  pauseProducer: z.object({ producerId: id }).strict(),
  resumeProducer: z.object({ producerId: id }).strict(),
  closeProducer: z.object({ producerId: id }).strict(),
  consume: z.object({ producerId: id }).strict(),
  resumeConsumer: z.object({ consumerId: id }).strict(),
  /** How the page draws its remote videos now (only those that changed need be sent). */
  setVideoViews: z
    .object({
      views: z
        .array(z.object({ consumerId: id, width: tileSide, height: tileSide, visible: z.boolean() }).strict())
        .min(1)
        .max(MAX_VIDEO_VIEWS),
    })
    .strict(),
  leave: empty,

  /** The pre-session connection check: no token, no room; limited per address and per node. */
  startCheck: empty,
  checkConnect: connectRequest,
  checkProduce: produceRequest,
  checkEcho: z.object({ producerId: id, rtpCapabilities: rtpCapabilitiesSchema }).strict(),
  stopCheck: empty,
  /** A waiting client's check result, for the staff's lobby list. */
  reportReadiness: z
    .object({
      verdict: z.enum(['video', 'audio-only', 'phone']),
      path: z.enum(CONNECTION_PATHS).nullable(),
      roundTripMs: z.number().nonnegative().max(60_000).nullable(),
      loss: z.number().min(0).max(1).nullable(),
    })
    .strict(),

  /** A client's safety check-in (again: "I moved"); the location is normalised as a message's text, 1 to 200 characters. */
  checkIn: z.object({ location: typedText(200), private: z.boolean().nullable(), headphones: z.boolean().nullable() }).strict(),
  setCheckIn: z.object({ ask: z.boolean() }).strict(),
  /** A break of 5, 10 or 15 minutes for the group. */
  startBreak: z.object({ minutes: z.union([z.literal(5), z.literal(10), z.literal(15)]) }).strict(),
  endBreak: empty,

  admit: target,
  admitAll: empty,
  deny: target,
  denyAll: empty,
  mute: target,
  muteAllClients: empty,
  askToUnmute: target,
  stopVideo: target,
  askToStartVideo: target,
  remove: target,
  promote: target,
  demote: target,
  handOver: target,
  spotlight: z.object({ participantId: id.nullable() }).strict(),
  lock: empty,
  unlock: empty,
  end: empty,
  getAuditLog: empty,

  raiseHand: empty,
  lowerHand: empty,
  /** `participantId: null` gives the floor to the first raised hand. */
  grantFloor: z.object({ participantId: id.nullable() }).strict(),
  takeBackFloor: empty,
  moveInQueue: z.object({ participantId: id, position: z.number().int().min(1).max(1000) }).strict(),
  removeFromQueue: target,
  clearQueue: empty,
  setFloorMode: z.object({ mode: z.enum(['open', 'queue']) }).strict(),
  setTurnLimit: z.object({ seconds: z.number().int().min(10).max(3600).nullable() }).strict(),
  extendTurn: z.object({ seconds: z.number().int().min(5).max(1800) }).strict(),

  /** The participant's own choice: no video either way, the voice stays. */
  setAudioOnly: z.object({ enabled: z.boolean() }).strict(),
  /** What the browser measures of its own uplink; the server combines it with what mediasoup sees. */
  reportStats: z
    .object({
      uplinkBitrateBps: z.number().nonnegative().max(1e10).optional(),
      roundTripTimeMs: z.number().nonnegative().max(60_000).optional(),
      /** Loss on the least lossy incoming audio stream since the last report: the downlink's own share. */
      downlinkLoss: z.number().min(0).max(1).optional(),
      /** The path the browser's selected candidate pair takes: direct, or through the TURN relay. */
      path: z.enum(CONNECTION_PATHS).optional(),
    })
    .strict(),
  suggestAudioOnly: target,

  /**
   * `to`: 'everyone', 'staff', or `{ participantId }`. The text is normalised (NFC, control and format characters
   * removed) and must then hold 1 to 1,000 characters.
   */
  sendMessage: z
    .object({
      to: z.union([z.literal('everyone'), z.literal('staff'), z.object({ participantId: id }).strict()]),
      text: messageText,
    })
    .strict(),
  setGroupMessages: z.object({ enabled: z.boolean() }).strict(),
  setPhoneEntry: z.object({ intoHeldSeats: z.boolean() }).strict(),
  /** Focus mode on or off: clients receive only the staff's video. */
  setFocus: z.object({ on: z.boolean() }).strict(),
  answerPhoneJoin: z.object({ accept: z.boolean() }).strict(),
  removeMessage: z.object({ messageId: id }).strict(),

  /** The actor goes with them; everyone in a side room hears and sees only each other. */
  openSideRoom: z.object({ participantIds: z.array(id).min(1).max(20) }).strict(),
  closeSideRoom: z.object({ sideRoomId: id }).strict(),
  moveToSideRoom: z.object({ participantId: id, sideRoomId: id }).strict(),
  returnToGroup: target,

  /** End-to-end encryption (docs/protocol.md): a key package for a circle the server asked this member into. */
  e2eeOffer: z.object({ circle: id, keyPackage: mlsBytes(4096) }).strict(),
  /** The change the server asked this member to commit, at `epoch`; `welcome` when it adds anyone. */
  e2eeCommit: z.object({ circle: id, epoch: z.number().int().min(0), commit: mlsBytes(65_536), welcome: mlsBytes(65_536).optional() }).strict(),

  /** Load-test bots only (`load.botTransports`): plain RTP transports instead of WebRTC ones. */
  createBotTransport: z.object({ direction: z.enum(['send', 'recv']) }).strict(),
  connectBotTransport: z
    .object({
      transportId: id,
      ip: z.string().ip(),
      port: z.number().int().min(1).max(65535),
      srtpKeyBase64: z.string().min(40).max(64),
    })
    .strict(),
} as const;

export type RequestName = keyof typeof requestSchemas;
export type RequestPayload<K extends RequestName> = z.infer<(typeof requestSchemas)[K]>;
export const REQUEST_NAMES = Object.keys(requestSchemas) as RequestName[];
