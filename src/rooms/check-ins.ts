import type { CheckIn, CheckInAnswers } from '../protocol/check-in.js';
import { KeyedBuckets } from '../limits/keyed-buckets.js';
import { CircleError } from '../protocol/errors.js';
import type { Audience } from './audience.js';
import type { Participant } from './participant.js';
import { authorize } from './permissions.js';

/**
 * Safety check-ins: where each client is right now, in their own words, whether they are somewhere private and
 * whether they use headphones, for the staff to know before a crisis. Held in this process's memory only, like
 * messages: never written to the room's record or the shared store, never logged, audited or counted; a client's
 * answers go when they leave the session, and all of them when the session ends. Staff who arrive or reconnect
 * later are shown them with everything else (the lobby list, each person as staff see them).
 */
/** Answers a client may send at once, and then one each 10 s: a person says where they are, and again when they move. */
const ANSWER_BURST = 5;
const ANSWERS_PER_SECOND = 0.1;

export class CheckIns {
  readonly #answers = new Map<string, CheckIn>();
  /** Each answer tells every staff member: limited per client, as messages are. */
  readonly #perClient = new KeyedBuckets(ANSWERS_PER_SECOND, ANSWER_BURST);

  constructor(private readonly audience: Audience) {}

  /** A client answers, waiting or in the session ("I moved"); the staff see it at once, no one else ever does. */
  answer(participant: Participant, answers: CheckInAnswers, now = new Date()): void {
    authorize(participant.role, 'checkIn');
    if (participant.channel.isCall) throw new CircleError('BAD_REQUEST', 'a call is not asked a check-in');
    if (!this.#perClient.take(participant.id)) throw new CircleError('RATE_LIMITED', 'too many check-ins; slow down');
    this.#answers.set(participant.id, { ...answers, answeredAt: now.toISOString() });
    if (participant.admitted) this.audience.privateStateChanged(participant);
    else this.audience.lobbyChanged();
  }

  of(participantId: string): CheckIn | null {
    return this.#answers.get(participantId) ?? null;
  }

  forget(participantId: string): void {
    this.#answers.delete(participantId);
  }
}
