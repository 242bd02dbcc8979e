import { CircleError } from '../protocol/errors.js';
import type { Participant } from './participant.js';
import { authorize, type Action } from './permissions.js';
import type { RoomPeople } from './room-port.js';

/**
 * The participant an action aims at: they exist (admitted, unless `waitingToo`), are not the actor, and rank below
 * the actor. The caller checks first that the actor's role may take the action at all, so probing ids reveals
 * nothing to someone who may not.
 */
export function actionTarget(
  people: Pick<RoomPeople, 'participant'>,
  actor: Participant,
  action: Action,
  targetId: string,
  { waitingToo = false } = {},
): Participant {
  const target = people.participant(targetId);
  if (!target || !(target.admitted || waitingToo)) throw new CircleError('NOT_FOUND', 'no such participant');
  if (target === actor) throw new CircleError('BAD_REQUEST', 'you cannot do this to yourself');
  authorize(actor.role, action, target.role);
  return target;
}
