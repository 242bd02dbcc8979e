import { isModerator } from '../protocol/roles.js';
import { videoPriority } from '../media/tile-layers.js';
import type { Participant } from './participant.js';

/** What the priorities read of the room. */
export interface PrioritiesPort {
  participant(participantId: string): Participant | undefined;
  admitted(): Participant[];
  /** The active speaker of a space (the group: null). */
  speakerIn(space: string | null): string | null;
  /** Who holds the floor of the group now. */
  floorHolder(): string | null;
}

/**
 * Whose video a receiver with too little downlink keeps (see `videoPriority`): the speaker and the floor holder,
 * the staff, then everyone else by how lately they spoke. Remembers the order in which people last spoke; a change
 * of speaker or floor holder re-applies every receiver's consumers (only those whose priority changed cost a request).
 */
export class VideoPriorities {
  /** Participant ids in the order they last spoke, the latest last. */
  private readonly spokeInOrder: string[] = [];

  constructor(
    private readonly room: PrioritiesPort,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** The priority of `senderId`'s video, for whoever receives it (they are in the sender's space). */
  of(senderId: string): number {
    const sender = this.room.participant(senderId);
    if (!sender) return 1;
    const speaking = this.room.speakerIn(sender.sideRoomId) === senderId || this.room.floorHolder() === senderId;
    const staff = isModerator(sender.role);
    const place = this.spokeInOrder.indexOf(senderId);
    const spokeSince = place === -1 ? this.spokeInOrder.length : this.spokeInOrder.length - 1 - place;
    return videoPriority({ speaking, staff, recency: spokeSince });
  }

  /** A space's speaker changed (null: no one speaks there now). */
  speakerChanged(participantId: string | null): void {
    if (participantId !== null) {
      this.forget(participantId);
      this.spokeInOrder.push(participantId);
    }
    this.changed();
  }

  forget(participantId: string): void {
    const place = this.spokeInOrder.indexOf(participantId);
    if (place !== -1) this.spokeInOrder.splice(place, 1);
  }

  /** The floor holder or someone's role changed: every receiver's priorities follow. */
  changed(): void {
    for (const receiver of this.room.admitted()) receiver.media.applyReceivingToAll().catch(this.onError);
  }
}
