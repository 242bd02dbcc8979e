import type { FloorMode } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import type { Participant } from './participant.js';
import type { ActorBudget } from './actor-budget.js';
import { authorize } from './permissions.js';
import type { TurnTakingPort } from './room-port.js';

/**
 * Raised hands and the floor, as participants and facilitators ask for them. Hands are each client's own;
 * everything else is a facilitator's or co-facilitator's, authorised by the permission table and audited.
 */
export class TurnTaking {
  constructor(
    private readonly room: TurnTakingPort,
    private readonly budget: ActorBudget,
  ) {}

  raiseHand(actor: Participant): number {
    authorize(actor.role, 'raiseHand');
    actor.assertAdmitted();
    assertInGroup(actor, 'you are in a private room; hands are for the group');
    return this.room.floor.raise(actor.id);
  }

  lowerHand(actor: Participant): void {
    authorize(actor.role, 'raiseHand');
    this.room.floor.lower(actor.id);
  }

  /** To a participant, or (`null`) to the first raised hand; resolves once the SFU hears the new holder. */
  async grant(actor: Participant, targetId: string | null): Promise<string> {
    this.budget.allow(actor, 'grantFloor');
    let holder: string;
    if (targetId === null) {
      holder = this.room.floor.grantNext();
    } else {
      const target = this.speaker(targetId);
      this.room.floor.grant(target.id);
      holder = target.id;
    }
    this.room.audit(actor, 'grantFloor', this.room.participant(holder));
    await this.room.floorSettled();
    return holder;
  }

  async takeBack(actor: Participant): Promise<void> {
    this.budget.allow(actor, 'takeBackFloor');
    this.room.floor.takeBack();
    this.room.audit(actor, 'takeBackFloor');
    await this.room.floorSettled();
  }

  move(actor: Participant, targetId: string, position: number): void {
    this.budget.allow(actor, 'reorderQueue');
    this.room.floor.move(targetId, position);
    this.room.audit(actor, 'reorderQueue', this.room.participant(targetId));
  }

  removeFromQueue(actor: Participant, targetId: string): void {
    this.budget.allow(actor, 'reorderQueue');
    if (!this.room.floor.position(targetId)) throw new CircleError('NOT_FOUND', 'that participant has no hand raised');
    this.room.floor.lower(targetId);
    this.room.audit(actor, 'reorderQueue', this.room.participant(targetId));
  }

  clear(actor: Participant): void {
    this.budget.allow(actor, 'clearQueue');
    this.room.floor.clear();
    this.room.audit(actor, 'clearQueue');
  }

  /** Switching to `queue` silences every client but the holder at the SFU; `open` lets them be heard again. */
  async setMode(actor: Participant, mode: FloorMode): Promise<void> {
    this.budget.allow(actor, 'setFloorMode');
    this.room.floor.setMode(mode);
    await this.room.applyFloorToAll();
    this.room.audit(actor, 'setFloorMode');
  }

  setTurnLimit(actor: Participant, seconds: number | null): void {
    this.budget.allow(actor, 'setTurnLimit');
    this.room.floor.setTurnLimit(seconds === null ? null : seconds * 1000);
    this.room.audit(actor, 'setTurnLimit');
  }

  extend(actor: Participant, seconds: number): void {
    this.budget.allow(actor, 'extendTurn');
    this.room.floor.extend(seconds * 1000);
    this.room.audit(actor, 'extendTurn');
  }

  private speaker(targetId: string): Participant {
    const target = this.room.participant(targetId);
    if (!target?.admitted) throw new CircleError('NOT_FOUND', 'no such participant in the room');
    if (target.role === 'observer') throw new CircleError('BAD_REQUEST', 'observers do not speak in the group');
    assertInGroup(target, 'that participant is in a private room');
    return target;
  }
}

/** The floor is the group's: someone in a side room neither queues for it nor holds it. */
function assertInGroup(participant: Participant, refusal: string): void {
  if (participant.sideRoomId !== null) throw new CircleError('BAD_REQUEST', refusal);
}
