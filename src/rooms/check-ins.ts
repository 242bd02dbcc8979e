import type { CheckIn, CheckInAnswers } from '../protocol/check-in.js';
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
export class CheckIns {
  readonly #answers = new Map<string, CheckIn>();

  constructor(private readonly audience: Audience) {}

  /** A client answers, waiting or in the session ("I moved"); the staff see it at once, no one else ever does. */
  answer(participant: Participant, answers: CheckInAnswers, now = new Date()): void {
    authorize(participant.role, 'checkIn');
    if (participant.channel.isCall) throw new CircleError('BAD_REQUEST', 'a call is not asked a check-in');
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
