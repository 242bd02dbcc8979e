import type { EventEmitter } from 'node:events';
import type { ParticipantMedia } from '../media/participant-media.js';
import { CircleError } from '../protocol/errors.js';
import type { Audience } from './audience.js';
import type { CallLeg, Participant, ParticipantChannel } from './participant.js';
import type { RoomObserverEvents } from './room-port.js';
import type { RoomMedia } from './room-media.js';

/** How long a seat's page has to say whether a call joining as it is theirs. */
export const CALL_CONFIRM_MS = 30_000;

/**
 * Calls that carry a seat's voice while its page keeps the video (a client dials in because the page's audio fails,
 * with the page still connected). The page is asked first (`phoneJoinRequested`: is this call you?): a PIN can be
 * guessed or overheard, and the person in the seat is the one who knows. Once they say yes, the call is a leg of the
 * page's seat: its own transports and producer, heard instead of the page's microphone, and hearing the room instead
 * of the page's speakers. It stays with the seat while the page reconnects or reloads, and takes the seat over when
 * the page leaves or does not come back in time.
 */
export class CallLegs {
  private readonly asking = new Map<ParticipantChannel, NodeJS.Timeout>();

  constructor(
    private readonly media: RoomMedia,
    private readonly audience: Audience,
    private readonly createMedia: () => ParticipantMedia,
    private readonly observer: EventEmitter<RoomObserverEvents>,
    /** The seat's voice went onto a call or came back to its page: its members in the circles of keys change. */
    private readonly voiceMoved: (participant: Participant) => void,
  ) {}

  /**
   * A call asks to join the seat of `participant` (whose page is in): the page is asked, and the call waits, hearing
   * nothing, until it answers (`answer`) or `CALL_CONFIRM_MS` pass. One call at a time: a seat whose voice a call
   * carries, or is asking to, refuses another.
   */
  ask(participant: Participant, channel: ParticipantChannel): Participant {
    if (participant.callLeg || participant.connectionChannel.isCall) throw new CircleError('ALREADY_JOINED', 'this seat is on a call');
    const leg = participant.callAsks(channel, this.createMedia());
    this.asking.set(channel, setTimeout(() => this.decline(participant, leg), CALL_CONFIRM_MS));
    participant.connectionChannel.send('phoneJoinRequested', { expiresInMs: CALL_CONFIRM_MS });
    return participant;
  }

  /** The page's answer: yes, the call carries the voice from now on (answers the leg); no, the call ends. */
  answer(participant: Participant, accepted: boolean): CallLeg | undefined {
    const leg = participant.callLeg;
    if (!leg || leg.confirmed) throw new CircleError('NOT_FOUND', 'no call is waiting for your answer');
    if (!accepted) {
      this.decline(participant, leg);
      return undefined;
    }
    this.stopAsking(leg);
    participant.callConfirmed();
    this.changed(participant);
    this.media.callAttached(participant).catch((error) => this.observer.emit('taskFailed', error, 'call leg'));
    return leg;
  }

  /** A call not yet said yes to ends: the page it asked is gone (it left, dropped or reloaded) or said no. */
  endUnconfirmed(participant: Participant): void {
    const leg = participant.callLeg;
    if (leg && !leg.confirmed) this.decline(participant, leg);
  }

  /**
   * A new connection takes the seat from `previous`. A page keeps the call carrying the voice; a page back in a seat
   * that a call holds alone (its internet returned, or the room moved after a worker died) takes that call as its
   * leg, the call's voice going on unbroken: answers true, as `previous`'s media lives on. A newer call ends the one
   * carrying the voice.
   */
  carryOver(previous: Participant, next: Participant): boolean {
    if (previous.connection === 'connected' && previous.connectionChannel.isCall && !next.connectionChannel.isCall) {
      next.callCarries(previous.connectionChannel, previous.media);
      // The caller hears that the page is back with the video while the call keeps the voice.
      previous.connectionChannel.send('selfUpdated', next.selfView());
      this.media.callAttached(next).catch((error) => this.observer.emit('taskFailed', error, 'call leg'));
      return true;
    }
    this.endUnconfirmed(previous);
    const leg = previous.releaseCall();
    if (!leg) return false;
    if (next.connectionChannel.isCall) {
      this.media.closeMedia(previous, leg.media);
      leg.channel.end('taken-by-phone');
      return false;
    }
    next.takeCallLeg(leg);
    // Nothing is consumed yet: this only marks the new connection's audio as held when it is.
    next.media.holdAudio(true).catch((error) => this.observer.emit('taskFailed', error, 'call leg'));
    return false;
  }

  /** The call `channel` hung up or went dead while the page still holds the seat: the page has its voice back. */
  hungUp(participant: Participant, channel: ParticipantChannel): void {
    if (participant.callLeg?.channel !== channel) return;
    this.stopAsking(participant.callLeg);
    const leg = participant.releaseCall();
    if (!leg) return;
    if (!leg.confirmed) return this.media.closeMedia(participant, leg.media);
    this.changed(participant);
    this.media.callDetached(participant, leg).catch((error) => this.observer.emit('taskFailed', error, 'call leg'));
  }

  /** The page is gone but the caller is still on: the call takes the seat again, as its one connection. */
  handSeatTo(participant: Participant): void {
    if (!participant.callLeg?.confirmed) return;
    const leg = participant.releaseCall();
    if (!leg) return;
    this.media.closeMedia(participant, leg.media);
    leg.channel.detach();
  }

  private decline(participant: Participant, leg: CallLeg): void {
    this.stopAsking(leg);
    if (participant.callLeg !== leg) return;
    participant.releaseCall();
    this.media.closeMedia(participant, leg.media);
    leg.channel.end('phone-declined');
  }

  private stopAsking(leg: CallLeg): void {
    clearTimeout(this.asking.get(leg.channel));
    this.asking.delete(leg.channel);
  }

  private changed(participant: Participant): void {
    this.voiceMoved(participant);
    this.observer.emit('participation', { type: 'participant.call', participantId: participant.id, voiceOnCall: participant.voiceOnCall });
    participant.channel.send('selfUpdated', participant.selfView());
    if (participant.admitted) this.audience.peerChanged(participant);
  }
}
