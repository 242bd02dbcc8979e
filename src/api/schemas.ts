import { z } from 'zod';
import { displayName, opaqueId } from '../auth/tokens.js';
import { CONNECTION_QUALITIES, type ConnectionQuality } from '../protocol/events.js';
import { E2EE_DIAL_IN, E2EE_MODES } from '../protocol/e2ee.js';
import { ERROR_CODES } from '../protocol/errors.js';
import type { SessionReport } from '../reports/attendance.js';
import { ROLES } from '../protocol/roles.js';

/**
 * The bodies of the server API, as the server parses and answers them. The OpenAPI document is generated from
 * these very schemas (`openapi.ts`), so it cannot drift from what the server enforces.
 */

/** A seat for someone who will only ever call in (no browser): its PIN. */
export const dialInRequest = z
  .object({
    participantId: opaqueId,
    name: displayName,
    role: z.enum(['cofacilitator', 'client'] as const).default('client'),
  })
  .strict();

export const dialInResponse = z.object({ pin: z.string(), number: z.string(), expiresAt: z.string() });

export const mintTokenRequest = z
  .object({
    /** The clinic's own id for this person (their seat across reconnects); a random one when absent. */
    participantId: opaqueId.optional(),
    name: displayName,
    role: z.enum(ROLES).default('client'),
    /** The token's lifetime; at most `auth.maxTokenLifetimeSeconds`. */
    ttlSeconds: z.number().int().min(60).default(4 * 3600),
  })
  .strict();

export const mintTokenResponse = z.object({ token: z.string(), participantId: opaqueId, expiresAt: z.string().datetime() }).strict();

export const liveParticipant = z
  .object({
    participantId: opaqueId,
    role: z.enum(ROLES),
    admission: z.enum(['waiting', 'admitted']),
    connection: z.enum(['connected', 'reconnecting']),
    inSideRoom: z.boolean(),
    muted: z.boolean(),
    /** Only with `?names=true`. */
    displayName: z.string().optional(),
  })
  .strict();

export const liveRoom = z
  .object({ roomId: opaqueId, started: z.boolean(), locked: z.boolean(), onHold: z.boolean(), participants: z.array(liveParticipant) })
  .strict();

/** Every live node's rooms; `unreachableNodes` counts the nodes that did not answer in time (their rooms are missing). */
export const liveRooms = z.object({ rooms: z.array(liveRoom), unreachableNodes: z.number().int().min(0) }).strict();

const quality = z.enum(CONNECTION_QUALITIES as [ConnectionQuality, ...ConnectionQuality[]]);

/** A session's attendance: ids and times only; the same body the `session.report` webhook carries. */
export const sessionReport = z
  .object({
    roomId: opaqueId,
    startedAt: z.string().datetime().nullable(),
    /** Null while the session runs: the report as it stands. */
    endedAt: z.string().datetime().nullable(),
    worstQuality: quality,
    /** Breaks the staff gave the group. */
    minutesOnBreak: z.number(),
    participants: z.array(
      z
        .object({
          participantId: opaqueId,
          joinedAt: z.string().datetime(),
          leftAt: z.string().datetime().nullable(),
          minutesInRoom: z.number(),
          minutesAudioOnly: z.number(),
          minutesInSideRoom: z.number(),
          minutesOnPhone: z.number(),
          reconnects: z.number().int(),
          removed: z.boolean(),
          worstQuality: quality,
          /** Heard above the speech threshold, from audio levels (never the audio), wherever they spoke. */
          minutesSpoken: z.number(),
          /** Stretches of speech, each after at least 2 s without. */
          turns: z.number().int(),
        })
        .strict(),
    ),
  })
  .strict() satisfies z.ZodType<SessionReport, z.ZodTypeDef, unknown>;

/** A session as the clinic sets it up before it starts; each field left out keeps its value. */
export const sessionSetup = z
  .object({
    /** Clients wait in the waiting room until admitted; false admits them once a facilitator has started. */
    waitingRoom: z.boolean().optional(),
    /** 'queue': one speaker at a time, with hands. */
    floorMode: z.enum(['open', 'queue']).optional(),
    /** Speaking turns' length; null for untimed. */
    turnLimitSeconds: z.number().int().min(10).max(3600).nullable().optional(),
    maxParticipants: z.number().int().min(2).max(200).optional(),
    /**
     * End-to-end encryption for this session, chosen before anyone joins; absent: the node's `e2ee.mode`.
     */
    e2ee: z.enum(E2EE_MODES).optional(),
    /**
     * Whether this session, when encrypted, takes phone calls; absent: the node's `e2ee.dialIn`. `off`: no call gets in.
     * `allowed`: the phone bridge joins the session's key agreement as a member for each caller's seat, shown on every
     * page as that person's phone: their call's audio is decrypted and encrypted on the server.
     */
    e2eeDialIn: z.enum(E2EE_DIAL_IN).optional(),
  })
  .strict();

export const sessionDescription = z
  .object({
    roomId: opaqueId,
    started: z.boolean(),
    ended: z.boolean(),
    locked: z.boolean(),
    /** Running on a node now. */
    live: z.boolean(),
    settings: z
      .object({
        waitingRoom: z.boolean(),
        floorMode: z.enum(['open', 'queue']),
        turnLimitSeconds: z.number().nullable(),
        maxParticipants: z.number().int(),
        e2ee: z.enum(E2EE_MODES),
        e2eeDialIn: z.enum(E2EE_DIAL_IN),
      })
      .strict(),
  })
  .strict();

export const endResponse = z.object({ ended: z.enum(['here', 'owner', 'record']) }).strict();

export const done = z.object({}).strict();

export const apiError = z.object({ error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }).strict() }).strict();

export const roomPath = z.object({ roomId: opaqueId }).strict();
export const participantPath = z.object({ roomId: opaqueId, participantId: opaqueId }).strict();

/** What one node asks another to run for the server API (over the store's pub/sub); acting on someone: `participantPath`. */
export const nodeListInput = z.object({ withNames: z.boolean() }).strict();
export const nodeRoomInput = roomPath.extend({ withNames: z.boolean().default(false) }).strict();
export const namesQuery = z.object({ names: z.enum(['true', 'false']).optional() }).strict();
