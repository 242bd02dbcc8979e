/** End-to-end encryption's modes: per node, overridden per session by the clinic's API. */
export const E2EE_MODES = ['off', 'preferred', 'required'] as const;
export type E2eeMode = (typeof E2EE_MODES)[number];

/**
 * Whether an encrypted session takes phone calls. `off`: no call gets in (its audio would pass the server in clear).
 * `allowed`: the bridge joins the circles as a member of its own for the caller's seat, shown on every page as that
 * person's phone, and decrypts and seals the call's audio there: what the caller says and hears passes through the
 * server, and everyone can see that it does.
 */
export const E2EE_DIAL_IN = ['off', 'allowed'] as const;
export type E2eeDialIn = (typeof E2EE_DIAL_IN)[number];

/**
 * A seat's call (the bridge, for it) is a member of the circles apart from its page (a page and its call can both be
 * in): its member id is the seat's with this suffix, which no participant id can contain (ids are `A-Z a-z 0-9 _ . : -`).
 */
const CALL_MEMBER_SUFFIX = '/phone';
export const callMemberId = (participantId: string): string => `${participantId}${CALL_MEMBER_SUFFIX}`;

/** The seat a member id belongs to, and whether it is the seat's call. */
export function memberSeat(memberId: string): { participantId: string; call: boolean } {
  const call = memberId.endsWith(CALL_MEMBER_SUFFIX);
  return { participantId: call ? memberId.slice(0, -CALL_MEMBER_SUFFIX.length) : memberId, call };
}

/** The circle of the whole group; a side room is a circle of its own, named by its id. */
export const GROUP_CIRCLE = 'group';

/**
 * What the server, as MLS's delivery service, tells one member about a circle's key agreement. It holds no key and
 * reads no message: it says who should be in, orders commits (one per epoch) and relays them. Bytes are base64.
 * - `offer`: send a key package for the circle (`e2eeOffer`): you are to be in it.
 * - `start`: you are the first in the circle; start its group (epoch 0).
 * - `change`: commit these admissions and departures to the group at `epoch`, and send the commit back.
 * - `commit`: someone's commit, the next one, taking the group from `epoch` to `epoch + 1`; apply it.
 * - `welcome`: you were added; the group is at `epoch`.
 * - `out`: you are no longer in the circle; forget its keys.
 */
export type KeyDeliveryMessage =
  | { kind: 'offer'; circle: string }
  | { kind: 'start'; circle: string }
  | { kind: 'change'; circle: string; epoch: number; add: { participantId: string; keyPackage: string }[]; remove: string[] }
  | { kind: 'commit'; circle: string; epoch: number; commit: string }
  | { kind: 'welcome'; circle: string; epoch: number; welcome: string }
  | { kind: 'out'; circle: string };
