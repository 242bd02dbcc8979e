import type { EventEmitter } from 'node:events';
import type { Audience } from './audience.js';
import type { Floor } from './floor.js';
import type { Participant } from './participant.js';
import type { RoomMedia } from './room-media.js';
import type { RoomObserverEvents } from './room-port.js';

/**
 * Keeps the SFU and everyone's view in line with the floor: each change is shown to the admitted, a new holder is
 * heard and the previous one paused at the SFU, and a turn's warning goes to the staff and the holder.
 */
export class FloorFollower {
  /** The SFU catching up with the latest change of floor holder. */
  private sync: Promise<void> = Promise.resolve();

  constructor(
    floor: Floor,
    private readonly seats: { participant(participantId: string): Participant | undefined },
    private readonly audience: Audience,
    private readonly media: RoomMedia,
    private readonly observer: EventEmitter<RoomObserverEvents>,
  ) {
    floor.on('changed', () => audience.notifyAdmitted('floorUpdated', floor.view()));
    floor.on('holderChanged', (previous, next) => this.holderChanged(previous, next));
    floor.on('granted', (_id, source, waitedMs) => observer.emit('floorGranted', source, waitedMs));
    floor.on('warning', (holder, endsAt) => this.warn(holder, endsAt));
  }

  /** Resolves once the SFU pauses and resumes what the latest change of floor holder asks for. */
  settled(): Promise<void> {
    return this.sync;
  }

  private holderChanged(previous: string | null, next: string | null): void {
    const syncs = [previous, next].map((id) => {
      const participant = id ? this.seats.participant(id) : undefined;
      return participant ? this.media.syncProducers(participant, 'audio') : undefined;
    });
    this.sync = Promise.all(syncs).then(
      () => undefined,
      (error) => void this.observer.emit('taskFailed', error, 'floor change'),
    );
  }

  private warn(holder: string, endsAt: number): void {
    const warning = { holder, endsAt: new Date(endsAt).toISOString() };
    const holderSeat = this.seats.participant(holder);
    for (const participant of new Set([...this.audience.moderators(), ...(holderSeat ? [holderSeat] : [])])) {
      participant.channel.send('turnWarning', warning);
    }
  }
}
