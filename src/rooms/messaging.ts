import { randomUUID } from 'node:crypto';
import { KeyedBuckets } from '../limits/keyed-buckets.js';
import type { AudienceKind, ChatMessage, MessageAudience } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import { isModerator } from '../protocol/roles.js';
import type { ActorBudget } from './actor-budget.js';
import type { Participant } from './participant.js';
import { authorize } from './permissions.js';
import type { ModerationPort } from './room-port.js';

/** What messaging needs of a room: its people, its record (the group-messages switch) and telling its view. */
export type MessagingPort = Pick<ModerationPort, 'participant' | 'admittedParticipants' | 'audit' | 'record' | 'roomViewChanged'>;

export interface MessagingSettings {
  /** Messages each participant may send: `burst` at once, refilled at `perSecond`. */
  perSecond: number;
  burst: number;
}

/** Messages kept per reconnecting participant until they resume; older ones give way. */
const PENDING_LIMIT = 50;
/** Recent messages whose readers are remembered (ids only), so staff can remove one for everyone. */
const REMEMBERED = 500;

/**
 * Messages in a room: to everyone in the group, to the staff, or (from staff) to one person. A client writes to the
 * staff, and to everyone while the room's group messages are on; an observer writes to the staff only. A message is
 * never stored: it goes to those connected now, waits in memory for someone reconnecting (delivered when they
 * resume within the grace), and only its id and readers' ids are remembered, for removal.
 */
export class Messaging {
  private readonly perSender: KeyedBuckets;
  private readonly pending = new Map<string, ChatMessage[]>();
  private readonly readers = new Map<string, string[]>();

  constructor(
    private readonly room: MessagingPort,
    private readonly moderationBudget: ActorBudget,
    settings: MessagingSettings,
    private readonly onSent: (audience: AudienceKind) => void,
  ) {
    this.perSender = new KeyedBuckets(settings.perSecond, settings.burst);
  }

  send(sender: Participant, to: MessageAudience, text: string): { messageId: string; sentAt: string } {
    const kind: AudienceKind = typeof to === 'string' ? to : 'one';
    sender.assertAdmitted();
    authorize(sender.role, kind === 'everyone' ? 'messageEveryone' : kind === 'staff' ? 'messageStaff' : 'messageOne');
    if (kind === 'everyone' && !isModerator(sender.role) && !this.room.record.groupMessages) {
      throw new CircleError('FORBIDDEN', 'group messages are off; you can write to the staff');
    }
    const readers = this.readersOf(sender, to);
    if (!this.perSender.take(sender.id)) throw new CircleError('RATE_LIMITED', 'too many messages; slow down');
    const message: Omit<ChatMessage, 'to'> = {
      messageId: randomUUID(),
      from: sender.id,
      fromName: sender.identity.displayName,
      text,
      sentAt: new Date().toISOString(),
    };
    for (const reader of readers) this.deliver(reader, { ...message, to: typeof to === 'string' ? to : reader.id });
    this.remember(message.messageId, readers);
    this.onSent(kind);
    return { messageId: message.messageId, sentAt: message.sentAt };
  }

  setGroupMessages(actor: Participant, enabled: boolean): void {
    this.moderationBudget.allow(actor, 'setGroupMessages');
    this.room.record.setGroupMessages(enabled);
    this.room.audit(actor, 'setGroupMessages');
    this.room.roomViewChanged();
  }

  /** Takes a message back from everyone who received it (and from those it still waits for). */
  remove(actor: Participant, messageId: string): void {
    this.moderationBudget.allow(actor, 'removeMessage');
    const readers = this.readers.get(messageId);
    if (!readers) throw new CircleError('NOT_FOUND', 'no such recent message');
    this.readers.delete(messageId);
    for (const readerId of readers) {
      const waiting = this.pending.get(readerId);
      if (waiting?.some((m) => m.messageId === messageId)) this.pending.set(readerId, waiting.filter((m) => m.messageId !== messageId));
      else this.room.participant(readerId)?.channel.send('messageRemoved', { messageId });
    }
    this.room.audit(actor, 'removeMessage');
  }

  /** Someone took their seat (back): what waited for them while they were reconnecting is theirs now. */
  deliverPending(participant: Participant): void {
    const waiting = this.pending.get(participant.id);
    this.pending.delete(participant.id);
    for (const message of waiting ?? []) participant.channel.send('message', message);
  }

  /** Someone left for good: nothing waits for them any more. */
  forget(participantId: string): void {
    this.pending.delete(participantId);
  }

  private readersOf(sender: Participant, to: MessageAudience): Participant[] {
    if (typeof to !== 'string') {
      const reader = this.room.participant(to.participantId);
      if (!reader) throw new CircleError('NOT_FOUND', 'no such participant in this room');
      if (reader === sender) throw new CircleError('BAD_REQUEST', 'a private message needs someone else to read it');
      return [reader];
    }
    const admitted = this.room.admittedParticipants().filter((p) => p !== sender);
    // `everyone` is everyone where the sender is: the group, or their side room; never across.
    return to === 'everyone' ? admitted.filter((p) => p.isWith(sender)) : admitted.filter((p) => isModerator(p.role));
  }

  private deliver(reader: Participant, message: ChatMessage): void {
    if (reader.connection === 'connected') return reader.channel.send('message', message);
    const waiting = this.pending.get(reader.id) ?? [];
    waiting.push(message);
    this.pending.set(reader.id, waiting.slice(-PENDING_LIMIT));
  }

  private remember(messageId: string, readers: Participant[]): void {
    this.readers.set(messageId, readers.map((p) => p.id));
    if (this.readers.size > REMEMBERED) this.readers.delete(this.readers.keys().next().value!);
  }
}
