import type { EventEmitter } from 'node:events';
import type { ParticipantMedia } from '../media/participant-media.js';
import { CircleError } from '../protocol/errors.js';
import type { Audience } from './audience.js';
import type { Participant, ParticipantChannel, PhoneLeg } from './participant.js';
import type { RoomObserverEvents } from './room-port.js';
import type { RoomMedia } from './room-media.js';

/** How long a seat's browser has to say whether a call joining as it is theirs. */
export const PHONE_CONFIRM_MS = 30_000;

/**
 * Phone calls that carry a seat's voice while its browser keeps the video (a client dials in because the browser's
 * audio fails, with the browser still connected). The browser is asked first ("A phone is joining as you — is this
 * you?"): a PIN can be guessed or overheard, and the person in the seat is the one who knows. Once they say yes, the
 * call is a leg of the browser's seat: its own transports and producer, heard instead of the browser's microphone,
 * and hearing the room instead of the browser's speakers. It stays with the seat while the browser reconnects or
 * reloads, and takes the seat over when the browser leaves or does not come back in time.
 */
export class PhoneLegs {
  private readonly asking = new Map<PhoneLeg, NodeJS.Timeout>();

  constructor(
    private readonly media: RoomMedia,
    private readonly audience: Audience,
    private readonly createMedia: () => ParticipantMedia,
    private readonly observer: EventEmitter<RoomObserverEvents>,
  ) {}

  /**
   * A call asks to join the seat of `participant` (whose browser is in): the browser is asked, and the call waits,
   * hearing nothing, until it answers (`answer`) or `PHONE_CONFIRM_MS` pass. One call at a time: a seat whose voice a
   * call carries, or is asking to, refuses another.
   */
  ask(participant: Participant, channel: ParticipantChannel): Participant {
    if (participant.phone || participant.connectionChannel.viaPhone) throw new CircleError('ALREADY_JOINED', 'this seat is on a call');
    const leg: PhoneLeg = { channel, media: this.createMedia(), confirmed: false };
    participant.phone = leg;
    this.asking.set(leg, setTimeout(() => this.decline(participant, leg), PHONE_CONFIRM_MS));
    participant.connectionChannel.send('phoneJoinRequested', { expiresInMs: PHONE_CONFIRM_MS });
    return participant;
  }

  /** The browser's answer: yes, the call carries the voice from now on (answers the leg); no, the call ends. */
  answer(participant: Participant, accepted: boolean): PhoneLeg | undefined {
    const leg = participant.phone;
    if (!leg || leg.confirmed) throw new CircleError('NOT_FOUND', 'no phone call is waiting for your answer');
    if (!accepted) {
      this.decline(participant, leg);
      return undefined;
    }
    this.stopAsking(leg);
    leg.confirmed = true;
    this.changed(participant);
    this.media.phoneAttached(participant).catch((error) => this.observer.emit('taskFailed', error, 'phone leg'));
    return leg;
  }

  /** A call not yet said yes to ends: the browser it asked is gone (it left, dropped or reloaded) or said no. */
  endUnconfirmed(participant: Participant): void {
    const leg = participant.phone;
    if (leg && !leg.confirmed) this.decline(participant, leg);
  }

  /**
   * A new connection takes the seat from `previous`. A browser keeps the call carrying the voice; a browser back in a
   * seat that a call holds alone (its internet returned, or the room moved after a worker died) takes that call as
   * its leg, the call's voice going on unbroken: answers true, as `previous`'s media lives on. A newer call ends
   * the one carrying the voice.
   */
  carryOver(previous: Participant, next: Participant): boolean {
    if (previous.connection === 'connected' && previous.connectionChannel.viaPhone && !next.connectionChannel.viaPhone) {
      next.phone = { channel: previous.connectionChannel, media: previous.media, confirmed: true };
      // The caller hears that the browser is back with the video while the call keeps the voice.
      next.phone.channel.send('selfUpdated', next.selfView());
      this.media.phoneAttached(next).catch((error) => this.observer.emit('taskFailed', error, 'phone leg'));
      return true;
    }
    this.endUnconfirmed(previous);
    const leg = previous.phone;
    if (!leg) return false;
    if (next.connectionChannel.viaPhone) {
      this.end(previous);
      return false;
    }
    previous.phone = null;
    next.phone = leg;
    // Nothing is consumed yet: this only marks the new connection's audio as held when it is.
    next.media.holdAudio(true).catch((error) => this.observer.emit('taskFailed', error, 'phone leg'));
    return false;
  }

  /** The call `channel` hung up or went dead while the browser still holds the seat: the browser has its voice back. */
  hungUp(participant: Participant, channel: ParticipantChannel): void {
    const leg = participant.phone;
    if (leg?.channel !== channel) return;
    this.stopAsking(leg);
    participant.phone = null;
    if (!leg.confirmed) return this.media.closeMedia(participant, leg.media);
    this.changed(participant);
    this.media.phoneDetached(participant, leg).catch((error) => this.observer.emit('taskFailed', error, 'phone leg'));
  }

  /** The browser is gone but the caller is still on: the call takes the seat again, as its one connection. */
  handSeatTo(participant: Participant): void {
    const leg = participant.phone;
    if (!leg?.confirmed) return;
    participant.phone = null;
    this.media.closeMedia(participant, leg.media);
    leg.channel.detach();
  }

  private decline(participant: Participant, leg: PhoneLeg): void {
    this.stopAsking(leg);
    if (participant.phone !== leg) return;
    participant.phone = null;
    this.media.closeMedia(participant, leg.media);
    leg.channel.end('phone-declined');
  }

  private stopAsking(leg: PhoneLeg): void {
    clearTimeout(this.asking.get(leg));
    this.asking.delete(leg);
  }

  private end(participant: Participant): void {
    const leg = participant.phone;
    if (!leg) return;
    participant.phone = null;
    this.media.closeMedia(participant, leg.media);
    leg.channel.end('taken-by-phone');
  }

  private changed(participant: Participant): void {
    this.observer.emit('participation', { type: 'participant.phone', participantId: participant.id, onPhone: participant.onPhone });
    participant.channel.send('selfUpdated', participant.selfView());
    if (participant.admitted) this.audience.peerChanged(participant);
  }
}
