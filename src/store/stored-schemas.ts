import { z } from 'zod';
import { displayName, opaqueId, type Identity } from '../auth/tokens.js';
import { E2EE_DIAL_IN, E2EE_MODES } from '../protocol/e2ee.js';
import { MODERATION_ACTIONS } from '../protocol/moderation-actions.js';
import { CircleError } from '../protocol/errors.js';
import { ROLES } from '../protocol/roles.js';
import type { RecordData, Seat } from './room-state.js';

/**
 * What Circle reads back from the shared store, each value parsed like a client's request: the store is not
 * trusted blindly (another process may write it, a bug or an attacker may corrupt it). A value that does not parse
 * fails closed: the reader gets `STORED_STATE_INVALID`, never a room opened from half a record.
 */

const locks = z.object({ audio: z.boolean(), video: z.boolean() }).strict();
const role = z.enum(ROLES);

const seat = z
  .object({
    role,
    admitted: z.boolean(),
    locks,
    waitingSince: z.string().datetime(),
    audioOnly: z.boolean(),
    // Written by older versions without side rooms: in the group.
    sideRoomId: opaqueId.nullable().default(null),
  })
  .strict() satisfies z.ZodType<Seat, z.ZodTypeDef, unknown>;

const floor = z
  .object({
    mode: z.enum(['open', 'queue']),
    queue: z.array(z.object({ participantId: opaqueId, raisedAt: z.number() }).strict()),
    holder: opaqueId.nullable(),
    turnLimitMs: z.number().int().positive().nullable(),
    turnEndsAt: z.number().nullable(),
  })
  .strict();

const record = z
  .object({
    locked: z.boolean(),
    // Written by older versions without it: read as on, the default.
    groupMessages: z.boolean().default(true),
    // Written by older versions without it: read as on, the default.
    phoneIntoHeldSeats: z.boolean().default(true),
    // Written by older versions without it: off, the default.
    focus: z.boolean().default(false),
    // Written by older versions without it: on, the default.
    askCheckIn: z.boolean().default(true),
    // Written by older versions without it: no break.
    breakEndsAt: z.number().nullable().default(null),
    ended: z.boolean(),
    started: z.boolean(),
    // Written by older versions without it: the clock of such a session starts from nothing.
    startedAt: z.number().nullable().default(null),
    spotlight: opaqueId.nullable(),
    admitted: z.array(opaqueId),
    removed: z.array(opaqueId),
    audit: z.array(
      z
        .object({ at: z.string().datetime(), actor: z.union([opaqueId, z.literal('admin')]), action: z.enum(MODERATION_ACTIONS), target: opaqueId.optional() })
        .strict(),
    ),
    // Written by older versions without these: read as none.
    auditDropped: z.number().int().min(0).default(0),
    heldSeats: z.array(z.tuple([opaqueId, z.object({ seat, until: z.number() }).strict()])),
    decisions: z.array(z.tuple([opaqueId, z.object({ role: role.optional(), locks }).strict()])).default([]),
    floor,
    sideRooms: z.array(opaqueId).max(100).default([]),
    settings: z
      .object({
        requireAdmission: z.boolean().nullable(),
        maxParticipants: z.number().int().min(2).max(200).nullable(),
        e2eeMode: z.enum(E2EE_MODES).nullable().default(null),
        e2eeDialIn: z.enum(E2EE_DIAL_IN).nullable().default(null),
      })
      .strict()
      .default({ requireAdmission: null, maxParticipants: null, e2eeMode: null, e2eeDialIn: null }),
  })
  .strict() satisfies z.ZodType<RecordData, z.ZodTypeDef, unknown>;

/** A room's stored state (`RoomState` in room-snapshots.ts, less its key). */
export const storedRoomState = z.object({ record, seats: z.array(z.tuple([opaqueId, seat])) }).strict();

export const storedIdentity = z
  .object({ participantId: opaqueId, roomId: opaqueId, displayName, role })
  .strict() satisfies z.ZodType<Identity, z.ZodTypeDef, unknown>;

export const storedNode = z
  .object({
    nodeId: z.string().min(1).max(128),
    url: z.string().url(),
    /** Where the node's phone bridge takes SIP over UDP, for a call another node answered to reach its room. */
    sip: z.object({ host: z.string().min(1).max(255), port: z.number().int().min(1).max(65_535) }).strict().optional(),
  })
  .strict();

/** A node as other nodes and clients reach it. */
export type NodeAddress = z.infer<typeof storedNode>;

/** Parses a stored JSON value; anything else fails closed with `STORED_STATE_INVALID` naming only what it was. */
export function parseStored<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, raw: string, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new CircleError('STORED_STATE_INVALID', `the stored ${what} is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CircleError('STORED_STATE_INVALID', `the stored ${what} does not parse (${issue?.path.join('.') ?? ''})`);
  }
  return parsed.data;
}
