import { randomUUID } from 'node:crypto';
import { CircleError } from '../protocol/errors.js';
import { isModerator } from '../protocol/roles.js';
import { actionTarget } from './action-target.js';
import type { ActorBudget } from './actor-budget.js';
import type { Participant } from './participant.js';
import type { Action } from './permissions.js';
import type { SideRoomPort } from './room-port.js';

/**
 * Private side rooms inside a session: a facilitator or co-facilitator steps out with one or more people (a client
 * in crisis, say) while the group carries on. Everyone stays connected; only who hears and sees whom changes. A
 * side room lives while it holds both staff and a client: when the last staff member leaves it (returns, or leaves
 * the session), the others return to the group rather than sit alone in a private room; when the last client leaves
 * it, its staff return too rather than stay deaf to the group with no one to talk to. (Staff who open one among
 * themselves keep it until someone leaves it.) Every step is audited with ids only.
 */
export class SideRooms {
  constructor(
    private readonly room: SideRoomPort,
    private readonly budget: ActorBudget,
  ) {}

  /** The actor takes `participantIds` into a new side room; answers its id. */
  async open(actor: Participant, participantIds: string[]): Promise<string> {
    this.budget.allow(actor, 'openSideRoom');
    const targets = [...new Set(participantIds)].map((id) => actionTarget(this.room, actor, 'openSideRoom', id));
    const sideRoomId = `side-${randomUUID()}`;
    const members = [actor, ...targets];
    const left = members.map((p) => p.sideRoomId);
    this.room.record.openSideRoom(sideRoomId);
    await this.room.relocate(members, sideRoomId);
    for (const target of targets) this.room.audit(actor, 'openSideRoom', target);
    await this.closeIfLeftAlone(left);
    return sideRoomId;
  }

  /** Everyone in the side room returns to the group. */
  async close(actor: Participant, sideRoomId: string): Promise<void> {
    this.budget.allow(actor, 'closeSideRoom');
    this.assertOpen(sideRoomId);
    await this.closeRoom(sideRoomId);
    this.room.audit(actor, 'closeSideRoom');
  }

  async moveTo(actor: Participant, targetId: string, sideRoomId: string): Promise<void> {
    const target = this.target(actor, 'moveToSideRoom', targetId);
    this.assertOpen(sideRoomId);
    if (target.sideRoomId === sideRoomId) throw new CircleError('BAD_REQUEST', 'already in that side room');
    const left = target.sideRoomId;
    await this.room.relocate([target], sideRoomId);
    this.room.audit(actor, 'moveToSideRoom', target);
    await this.closeIfLeftAlone([left]);
  }

  async returnToGroup(actor: Participant, targetId: string): Promise<void> {
    const target = this.target(actor, 'returnToGroup', targetId);
    const left = target.sideRoomId;
    if (left === null) throw new CircleError('BAD_REQUEST', 'already in the group');
    await this.room.relocate([target], null);
    this.room.audit(actor, 'returnToGroup', target);
    await this.closeIfLeftAlone([left]);
  }

  /** Someone left the session for good: a side room they were in closes if no staff remain in it. */
  participantLeft(participant: Participant): Promise<void> {
    return this.closeIfLeftAlone([participant.sideRoomId]);
  }

  /** Someone left these side rooms: each closes unless staff and a client are still in it together. */
  private async closeIfLeftAlone(sideRoomIds: (string | null)[]): Promise<void> {
    for (const sideRoomId of new Set(sideRoomIds)) {
      if (sideRoomId === null) continue;
      const members = this.members(sideRoomId);
      if (members.some((p) => isModerator(p.role)) && members.some((p) => p.role === 'client')) continue;
      await this.closeRoom(sideRoomId);
    }
  }

  private async closeRoom(sideRoomId: string): Promise<void> {
    this.room.record.closeSideRoom(sideRoomId);
    const members = this.members(sideRoomId);
    if (members.length) await this.room.relocate(members, null);
  }

  private members(sideRoomId: string): Participant[] {
    return this.room.admittedParticipants().filter((p) => p.sideRoomId === sideRoomId);
  }

  private assertOpen(sideRoomId: string): void {
    if (this.room.record.sideRoomStillOpen(sideRoomId) === null) throw new CircleError('NOT_FOUND', 'no such side room');
  }

  private target(actor: Participant, action: Action, targetId: string): Participant {
    this.budget.allow(actor, action);
    return actionTarget(this.room, actor, action, targetId);
  }
}
