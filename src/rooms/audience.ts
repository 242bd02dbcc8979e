import type { CheckIn } from '../protocol/check-in.js';
import type { LobbyEntry, MediaKind } from '../protocol/events.js';
import { isModerator } from '../protocol/roles.js';
import type { Participant, ServerEventArgs, ServerEventName } from './participant.js';

/**
 * Who in a room sees whom, and telling them. A waiting client sees no one and no one sees them but the staff
 * (in the lobby list); observers are hidden from clients unless the room says otherwise; clients see nothing of
 * another's locks or link. Someone in a side room stays in everyone's list, as `away`; only those in the same
 * space (the group, or one side room) hear each other. In focus mode a client receives only the staff's video.
 */
/** What decides who sees what, beyond the people themselves: the room's settings and what only staff are shown. */
export interface AudienceRules {
  observersVisibleToClients: boolean;
  /** Whether the room is in focus mode now. */
  focused: () => boolean;
  /** A client's safety check-in, shown to the staff only. */
  checkInOf: (participantId: string) => CheckIn | null;
}

export class Audience {
  constructor(
    private readonly participants: ReadonlyMap<string, Participant>,
    private readonly rules: AudienceRules,
  ) {}

  /** Someone who may see `subject`, and `subject` is someone they may see. */
  canSee(viewer: Participant, subject: Participant): boolean {
    if (viewer === subject || !viewer.admitted || !subject.admitted) return false;
    if (subject.role !== 'observer') return true;
    return viewer.role !== 'client' || this.rules.observersVisibleToClients;
  }

  /** `viewer` sees `subject` and is in the same space: `subject`'s media is theirs to receive. */
  canHear(viewer: Participant, subject: Participant): boolean {
    return this.canSee(viewer, subject) && viewer.isWith(subject);
  }

  /** `viewer` may receive `subject`'s `kind` now: they hear each other, and focus mode does not hide this video. */
  canReceive(viewer: Participant, subject: Participant, kind: MediaKind): boolean {
    return this.canHear(viewer, subject) && (kind === 'audio' || !this.hidesVideo(viewer, subject));
  }

  /** Focus mode: a client is shown no one's video but the staff's. */
  hidesVideo(viewer: Participant, subject: Participant): boolean {
    return this.rules.focused() && viewer.role === 'client' && !isModerator(subject.role);
  }

  visibleTo(viewer: Participant): Participant[] {
    return this.everyone().filter((subject) => this.canSee(viewer, subject));
  }

  viewersOf(subject: Participant): Participant[] {
    return this.everyone().filter((viewer) => this.canSee(viewer, subject));
  }

  /** Those who may receive `subject`'s `kind` now. */
  receiversOf(subject: Participant, kind: MediaKind): Participant[] {
    return this.everyone().filter((viewer) => this.canReceive(viewer, subject, kind));
  }

  waiting(): Participant[] {
    return this.everyone().filter((p) => !p.admitted);
  }

  admitted(): Participant[] {
    return this.everyone().filter((p) => p.admitted);
  }

  moderators(): Participant[] {
    return this.admitted().filter((p) => isModerator(p.role));
  }

  /**
   * `subject` as `viewer` may see them: the staff see locks, link quality, side rooms and a client's check-in; focus
   * mode hides video from clients.
   */
  describe(viewer: Participant, subject: Participant) {
    const view = subject.describe(isModerator(viewer.role), !viewer.isWith(subject));
    const shown = this.hidesVideo(viewer, subject) ? { ...view, producers: view.producers.filter((producer) => producer.kind === 'audio') } : view;
    return isModerator(viewer.role) && subject.role === 'client' ? { ...shown, checkIn: this.rules.checkInOf(subject.id) } : shown;
  }

  /** Tells those who may receive `subject`'s `kind` about one of its producers (it comes, goes, pauses, resumes). */
  notifyReceivers<E extends ServerEventName>(subject: Participant, kind: MediaKind, event: E, ...args: ServerEventArgs<E>): void {
    for (const receiver of this.receiversOf(subject, kind)) receiver.channel.send(event, ...args);
  }

  /** Tells everyone admitted in one space: the group (null) or a side room. */
  notifySpace<E extends ServerEventName>(space: string | null, event: E, ...args: ServerEventArgs<E>): void {
    for (const participant of this.admitted()) if (participant.sideRoomId === space) participant.channel.send(event, ...args);
  }

  notifyAdmitted<E extends ServerEventName>(event: E, ...args: ServerEventArgs<E>): void {
    for (const participant of this.admitted()) participant.channel.send(event, ...args);
  }

  /** Something everyone who sees the participant sees changed (role, connection, producers). */
  peerChanged(participant: Participant): void {
    for (const viewer of this.viewersOf(participant)) viewer.channel.send('peerUpdated', this.describe(viewer, participant));
  }

  /** What the participant and the staff see of them changed (locks, link): clients see none of it of others. */
  privateStateChanged(participant: Participant): void {
    participant.channel.send('selfUpdated', participant.selfView());
    for (const moderator of this.moderators()) {
      if (moderator !== participant) moderator.channel.send('peerUpdated', this.describe(moderator, participant));
    }
  }

  /**
   * The participant's role changed: those who see them see the new role, and they themselves see whoever the new
   * role shows or hides (observers, for a client), and the lobby if they are staff now.
   */
  roleChanged(participant: Participant, sawBefore: Participant[]): void {
    this.peerChanged(participant);
    participant.channel.send('selfUpdated', participant.selfView());
    const before = new Set(sawBefore.map((p) => p.id));
    const after = this.visibleTo(participant);
    for (const peer of after) if (!before.has(peer.id)) participant.channel.send('peerJoined', this.describe(participant, peer));
    const afterIds = new Set(after.map((p) => p.id));
    for (const id of before) if (!afterIds.has(id)) participant.channel.send('peerLeft', { participantId: id });
    if (isModerator(participant.role)) participant.channel.send('lobbyUpdated', { waiting: this.lobbyEntries() });
  }

  /**
   * `moved` changed space. The pairs that could hear each other before and no longer can ([receiver, sender]) go to
   * `separate` first, so their media stops before anyone is told; then everyone who sees one of them sees where they
   * are now (and, unless with them, nothing of their media), and each of them sees anew whoever they are now with
   * or apart from.
   */
  relocate(moved: Participant[], sideRoomId: string | null, separate: (pairs: [Participant, Participant][]) => void): void {
    const movers = new Set(moved);
    const pairs: [receiver: Participant, sender: Participant][] = moved.flatMap((mover) => [
      ...this.everyone().filter((other) => other !== mover).map((other): [Participant, Participant] => [other, mover]),
      ...this.everyone().filter((other) => !movers.has(other)).map((other): [Participant, Participant] => [mover, other]),
    ]);
    const heardBefore = new Set(pairs.filter(([receiver, sender]) => this.canHear(receiver, sender)));
    for (const mover of moved) mover.moveTo(sideRoomId);
    separate(pairs.filter((pair) => heardBefore.has(pair) && !this.canHear(...pair)));
    for (const mover of moved) {
      this.peerChanged(mover);
      mover.channel.send('selfUpdated', mover.selfView());
    }
    for (const pair of pairs) {
      const [receiver, sender] = pair;
      // Those who see a mover were told above; what is left is each mover's view of the others.
      if (movers.has(sender) || !this.canSee(receiver, sender)) continue;
      if (heardBefore.has(pair) !== this.canHear(receiver, sender)) receiver.channel.send('peerUpdated', this.describe(receiver, sender));
    }
  }

  lobbyEntries(): LobbyEntry[] {
    return this.waiting().map((p) => ({
      participantId: p.id,
      displayName: p.identity.displayName,
      waitingSince: p.waitingSince.toISOString(),
      locks: { ...p.locks },
      readiness: p.readiness,
      phone: p.voiceOnCall,
      ...(p.callerDigits ? { phoneDigits: p.callerDigits } : {}),
      checkIn: this.rules.checkInOf(p.id),
    }));
  }

  lobbyChanged(): void {
    const waiting = this.lobbyEntries();
    for (const moderator of this.moderators()) moderator.channel.send('lobbyUpdated', { waiting });
  }

  private everyone(): Participant[] {
    return [...this.participants.values()];
  }
}
