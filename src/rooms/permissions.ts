import type { ModerationAction } from '../protocol/moderation-actions.js';
import { CircleError } from '../protocol/errors.js';
import type { Role } from '../protocol/roles.js';

/** Everything a participant can be allowed or refused: the moderation actions, media, hands, the audit log. */
export type Action = ModerationAction | 'sendMedia' | 'readAuditLog' | 'raiseHand' | 'messageStaff' | 'messageEveryone' | 'messageOne' | 'checkIn';

/**
 * The one permission table. Co-facilitators (a second clinician, a peer support specialist) run the room with
 * the facilitator; the facilitator alone changes who leads and ends the session. Clients only ever act on
 * themselves; observers (supervisors, trainees) only receive, and may write to the staff. Clients write to everyone
 * only while the room's group messages are on.
 */
export const PERMISSIONS: Record<Action, readonly Role[]> = {
  sendMedia: ['facilitator', 'cofacilitator', 'client'],
  admit: ['facilitator', 'cofacilitator'],
  deny: ['facilitator', 'cofacilitator'],
  mute: ['facilitator', 'cofacilitator'],
  askToUnmute: ['facilitator', 'cofacilitator'],
  stopVideo: ['facilitator', 'cofacilitator'],
  askToStartVideo: ['facilitator', 'cofacilitator'],
  remove: ['facilitator', 'cofacilitator'],
  promote: ['facilitator'],
  demote: ['facilitator'],
  handOver: ['facilitator'],
  spotlight: ['facilitator', 'cofacilitator'],
  lock: ['facilitator', 'cofacilitator'],
  unlock: ['facilitator', 'cofacilitator'],
  end: ['facilitator'],
  readAuditLog: ['facilitator', 'cofacilitator'],
  raiseHand: ['cofacilitator', 'client'],
  grantFloor: ['facilitator', 'cofacilitator'],
  takeBackFloor: ['facilitator', 'cofacilitator'],
  reorderQueue: ['facilitator', 'cofacilitator'],
  clearQueue: ['facilitator', 'cofacilitator'],
  setFloorMode: ['facilitator', 'cofacilitator'],
  setTurnLimit: ['facilitator', 'cofacilitator'],
  extendTurn: ['facilitator', 'cofacilitator'],
  suggestAudioOnly: ['facilitator', 'cofacilitator'],
  messageStaff: ['facilitator', 'cofacilitator', 'client', 'observer'],
  messageEveryone: ['facilitator', 'cofacilitator', 'client'],
  messageOne: ['facilitator', 'cofacilitator'],
  setGroupMessages: ['facilitator', 'cofacilitator'],
  removeMessage: ['facilitator', 'cofacilitator'],
  openSideRoom: ['facilitator', 'cofacilitator'],
  closeSideRoom: ['facilitator', 'cofacilitator'],
  moveToSideRoom: ['facilitator'],
  returnToGroup: ['facilitator'],
  setPhoneEntry: ['facilitator', 'cofacilitator'],
  setFocus: ['facilitator', 'cofacilitator'],
  checkIn: ['client'],
  setCheckIn: ['facilitator', 'cofacilitator'],
  startBreak: ['facilitator', 'cofacilitator'],
  endBreak: ['facilitator', 'cofacilitator'],
};

/** Who outranks whom: a moderator acts only on someone of strictly lower rank. */
const RANK: Record<Role, number> = { facilitator: 3, cofacilitator: 2, client: 1, observer: 1 };

export function can(role: Role, action: Action): boolean {
  return PERMISSIONS[action].includes(role);
}

export function authorize(actor: Role, action: Action, target?: Role): void {
  if (!can(actor, action)) throw new CircleError('FORBIDDEN', `a ${actor} may not ${action}`);
  if (target !== undefined && RANK[target] >= RANK[actor]) {
    throw new CircleError('FORBIDDEN', `a ${actor} may not ${action} a ${target}`);
  }
}
