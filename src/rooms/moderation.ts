import type { AuditEntry, MediaKind } from '../protocol/events.js';
import type { ModerationAction } from '../protocol/moderation-actions.js';
import { CircleError } from '../protocol/errors.js';
import type { Participant } from './participant.js';
import type { ActorBudget } from './actor-budget.js';
import { actionTarget } from './action-target.js';
import type { Action } from './permissions.js';
import { ADMINISTRATOR, type ModerationPort } from './room-port.js';
import type { BreakMinutes } from './break-clock.js';

/**
 * What facilitators and co-facilitators can do to a room and the people in it. Each action is authorised by the
 * permission table before anything changes, and recorded in the room's audit log (ids only, never names).
 */
export class Moderation {
  constructor(
    private readonly room: ModerationPort,
    private readonly budget: ActorBudget,
  ) {}

  admit(actor: Participant, targetId: string): void {
    this.authorize(actor, 'admit');
    this.assertCanAdmit();
    this.admitOne(actor, this.waitingTarget(targetId));
  }

  admitAll(actor: Participant): number {
    this.authorize(actor, 'admit');
    this.assertCanAdmit();
    const waiting = this.room.waiting();
    for (const target of waiting) this.admitOne(actor, target);
    return waiting.length;
  }

  deny(actor: Participant, targetId: string): void {
    this.authorize(actor, 'deny');
    this.denyOne(actor, this.waitingTarget(targetId));
  }

  denyAll(actor: Participant): number {
    this.authorize(actor, 'deny');
    const waiting = this.room.waiting();
    for (const target of waiting) this.denyOne(actor, target);
    return waiting.length;
  }

  async mute(actor: Participant, targetId: string): Promise<void> {
    await this.lock(actor, 'mute', this.targetFor(actor, 'mute', targetId), 'audio');
  }

  async muteAllClients(actor: Participant): Promise<number> {
    this.authorize(actor, 'mute');
    const clients = this.room.admittedParticipants().filter((p) => p.role === 'client' && !p.locks.audio);
    for (const target of clients) await this.lock(actor, 'mute', target, 'audio');
    return clients.length;
  }

  askToUnmute(actor: Participant, targetId: string): void {
    this.ask(actor, 'askToUnmute', this.targetFor(actor, 'askToUnmute', targetId), 'audio');
  }

  async stopVideo(actor: Participant, targetId: string): Promise<void> {
    await this.lock(actor, 'stopVideo', this.targetFor(actor, 'stopVideo', targetId), 'video');
  }

  askToStartVideo(actor: Participant, targetId: string): void {
    this.ask(actor, 'askToStartVideo', this.targetFor(actor, 'askToStartVideo', targetId), 'video');
  }

  /** Only suggests: the participant decides whether to go audio-only. */
  suggestAudioOnly(actor: Participant, targetId: string): void {
    const target = this.targetFor(actor, 'suggestAudioOnly', targetId);
    target.channel.send('audioOnlySuggested', {});
    this.room.audit(actor, 'suggestAudioOnly', target);
  }

  remove(actor: Participant, targetId: string): void {
    const target = this.targetFor(actor, 'remove', targetId, { waitingToo: true });
    target.removeFromSession();
    this.room.dismiss(target, 'removed');
    this.room.audit(actor, 'remove', target);
  }

  async promote(actor: Participant, targetId: string): Promise<void> {
    const target = this.targetFor(actor, 'promote', targetId);
    if (target.role !== 'client') throw new CircleError('BAD_REQUEST', 'only a client can be promoted to co-facilitator');
    await this.room.setRole(target, 'cofacilitator');
    this.room.audit(actor, 'promote', target);
  }

  async demote(actor: Participant, targetId: string): Promise<void> {
    const target = this.targetFor(actor, 'demote', targetId);
    if (target.role !== 'cofacilitator') throw new CircleError('BAD_REQUEST', 'only a co-facilitator can be demoted');
    await this.room.setRole(target, 'client');
    this.room.audit(actor, 'demote', target);
  }

  /** The facilitator passes the lead to a co-facilitator and stays on as co-facilitator. */
  async handOver(actor: Participant, targetId: string): Promise<void> {
    const target = this.targetFor(actor, 'handOver', targetId);
    if (target.role !== 'cofacilitator') {
      throw new CircleError('BAD_REQUEST', 'hand the lead to a co-facilitator (promote them first)');
    }
    await this.room.setRole(target, 'facilitator');
    await this.room.setRole(actor, 'cofacilitator');
    this.room.audit(actor, 'handOver', target);
  }

  spotlight(actor: Participant, targetId: string | null): void {
    this.authorize(actor, 'spotlight');
    const target = targetId === null ? undefined : this.room.participant(targetId);
    if (targetId !== null && (!target?.admitted || target.role === 'observer')) {
      throw new CircleError('NOT_FOUND', 'no such participant to spotlight');
    }
    this.room.record.setSpotlight(targetId);
    this.room.roomViewChanged();
    this.room.audit(actor, 'spotlight', target);
  }

  setLocked(actor: Participant, locked: boolean): void {
    const action = locked ? 'lock' : 'unlock';
    this.authorize(actor, action);
    this.room.record.setLocked(locked);
    this.room.roomViewChanged();
    this.room.audit(actor, action);
  }

  /** Whether calls may go straight into seats held for their own drop, or all wait for the staff. */
  setCallEntry(actor: Participant, intoHeldSeats: boolean): void {
    this.authorize(actor, 'setPhoneEntry');
    this.room.record.setCallsIntoHeldSeats(intoHeldSeats);
    this.room.roomViewChanged();
    this.room.audit(actor, 'setPhoneEntry');
  }

  /** Focus mode: clients receive only the staff's video, at the SFU; the staff still see everyone. */
  setFocus(actor: Participant, on: boolean): void {
    this.authorize(actor, 'setFocus');
    if (this.room.record.focus === on) return;
    this.room.record.setFocus(on);
    this.room.focusChanged();
    this.room.roomViewChanged();
    this.room.audit(actor, 'setFocus');
  }

  /** Whether clients are asked a safety check-in as they arrive. */
  setCheckIn(actor: Participant, ask: boolean): void {
    this.authorize(actor, 'setCheckIn');
    this.room.record.setAskCheckIn(ask);
    this.room.roomViewChanged();
    this.room.audit(actor, 'setCheckIn');
  }

  /** A break for the group: every client's microphone and camera paused at the SFU until it ends; answers when. */
  async startBreak(actor: Participant, minutes: BreakMinutes): Promise<Date> {
    this.authorize(actor, 'startBreak');
    await this.room.breaks.start(minutes);
    this.room.audit(actor, 'startBreak');
    return new Date(this.room.record.breakEndsAt!);
  }

  /** Ends the break early: everyone's media is as it was before it. */
  async endBreak(actor: Participant): Promise<void> {
    this.authorize(actor, 'endBreak');
    if (!(await this.room.breaks.end())) throw new CircleError('BAD_REQUEST', 'the group is not on a break');
    this.room.audit(actor, 'endBreak');
  }

  end(actor: Participant): void {
    this.authorize(actor, 'end');
    this.room.end(actor.id);
  }

  /** The clinic's system mutes someone through the server API: carried out as a facilitator's, audited as `admin`. */
  async muteForAdministrator(targetId: string): Promise<void> {
    const target = this.anyone(targetId);
    await this.room.lockMedia(target, 'audio');
    this.room.audit(ADMINISTRATOR, 'mute', target);
  }

  /** The clinic's system removes someone (from the room or its waiting room) for the rest of the session. */
  removeForAdministrator(targetId: string): void {
    const target = this.anyone(targetId);
    target.removeFromSession();
    this.room.dismiss(target, 'removed');
    this.room.audit(ADMINISTRATOR, 'remove', target);
  }

  /** The audit log, and how many of its oldest entries were let go of to keep it within its limit. */
  auditLog(actor: Participant): { entries: AuditEntry[]; dropped: number } {
    this.authorize(actor, 'readAuditLog');
    return { entries: [...this.room.record.audit], dropped: this.room.record.auditDropped };
  }

  /** The permission table, then the actor's moderation budget. */
  private authorize(actor: Participant, action: Action): void {
    this.budget.allow(actor, action);
  }

  private async lock(actor: Participant, action: ModerationAction, target: Participant, kind: MediaKind) {
    await this.room.lockMedia(target, kind);
    this.room.audit(actor, action, target);
  }

  private ask(actor: Participant, action: ModerationAction, target: Participant, kind: MediaKind): void {
    this.room.unlockMedia(target, kind);
    target.channel.send('unmuteRequested', { kind });
    this.room.audit(actor, action, target);
  }

  private admitOne(actor: Participant, target: Participant): void {
    this.room.admit(target);
    this.room.audit(actor, 'admit', target);
  }

  private denyOne(actor: Participant, target: Participant): void {
    this.room.dismiss(target, 'denied');
    this.room.audit(actor, 'deny', target);
  }

  /** No admissions before a facilitator has started the session, nor while the room is on hold. */
  private assertCanAdmit(): void {
    if (!this.room.record.started) throw new CircleError('ON_HOLD', 'the session starts when a facilitator joins');
    if (this.room.isOnHold) throw new CircleError('ON_HOLD', 'no one can be admitted until a facilitator returns');
  }

  /** The role may take this action at all (checked first, so probing ids reveals nothing), then its target. */
  private targetFor(actor: Participant, action: Action, targetId: string, options: { waitingToo?: boolean } = {}): Participant {
    this.authorize(actor, action);
    return actionTarget(this.room, actor, action, targetId, options);
  }

  private anyone(targetId: string): Participant {
    const target = this.room.participant(targetId);
    if (!target) throw new CircleError('NOT_FOUND', 'no such participant');
    return target;
  }

  private waitingTarget(targetId: string): Participant {
    const target = this.room.participant(targetId);
    if (!target || target.admitted) throw new CircleError('NOT_FOUND', 'no such participant waiting');
    return target;
  }
}
