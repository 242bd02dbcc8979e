/** End-to-end encryption's modes: per node, overridden per session by the clinic's API. */
export const E2EE_MODES = ['off', 'preferred', 'required'] as const;
export type E2eeMode = (typeof E2EE_MODES)[number];

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
