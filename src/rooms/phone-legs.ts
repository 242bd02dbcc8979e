import type { EventEmitter } from 'node:events';
import type { ParticipantMedia } from '../media/participant-media.js';
import type { Audience } from './audience.js';
import type { Participant, ParticipantChannel } from './participant.js';
import type { RoomObserverEvents } from './room-port.js';
import type { RoomMedia } from './room-media.js';

/**
 * Phone calls that carry a seat's voice while its browser keeps the video (a client dials in because the browser's
 * audio fails, with the browser still connected). The call is a leg of the browser's seat: its own transports and
 * producer, heard instead of the browser's microphone, and hearing the room instead of the browser's speakers. It
 * stays with the seat while the browser reconnects or reloads, and takes the seat over when the browser leaves or
 * does not come back in time.
 */
export class PhoneLegs {
  constructor(
    private readonly media: RoomMedia,
    private readonly audience: Audience,
    private readonly createMedia: () => ParticipantMedia,
    private readonly observer: EventEmitter<RoomObserverEvents>,
  ) {}

  /** The call joins the seat of `participant` (whose browser is in); a second call replaces the first. */
  attach(participant: Participant, channel: ParticipantChannel): Participant {
    this.end(participant);
    participant.phone = { channel, media: this.createMedia() };
    this.changed(participant);
    this.media.phoneAttached(participant).catch((error) => this.observer.emit('taskFailed', error, 'phone leg'));
    return participant;
  }

  /**
   * A new connection takes the seat from `previous`. A browser keeps the call carrying the voice; a browser back in a
   * seat that a call holds alone (its internet returned, or the room moved after a worker died) takes that call as
   * its leg, the call's voice going on unbroken: answers true, as `previous`'s media lives on. A newer call ends
   * the one carrying the voice.
   */
  carryOver(previous: Participant, next: Participant): boolean {
    if (previous.connection === 'connected' && previous.connectionChannel.viaPhone && !next.connectionChannel.viaPhone) {
      next.phone = { channel: previous.connectionChannel, media: previous.media };
      // The caller hears that the browser is back with the video while the call keeps the voice.
      next.phone.channel.send('selfUpdated', next.selfView());
      this.media.phoneAttached(next).catch((error) => this.observer.emit('taskFailed', error, 'phone leg'));
      return true;
    }
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
    participant.phone = null;
    this.changed(participant);
    this.media.phoneDetached(participant, leg).catch((error) => this.observer.emit('taskFailed', error, 'phone leg'));
  }

  /** The browser is gone but the caller is still on: the call takes the seat again, as its one connection. */
  handSeatTo(participant: Participant): void {
    const leg = participant.phone;
    if (!leg) return;
    participant.phone = null;
    this.media.closeMedia(participant, leg.media);
    leg.channel.detach();
  }

  private end(participant: Participant): void {
    const leg = participant.phone;
    if (!leg) return;
    participant.phone = null;
    this.media.closeMedia(participant, leg.media);
    leg.channel.end('taken-by-phone');
  }

  private changed(participant: Participant): void {
    const onPhone = participant.phone !== null;
    this.observer.emit('participation', { type: 'participant.phone', participantId: participant.id, onPhone });
    participant.channel.send('selfUpdated', participant.selfView());
    if (participant.admitted) this.audience.peerChanged(participant);
  }
}
