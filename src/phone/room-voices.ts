import type { ParticipantMedia } from '../media/participant-media.js';
import type { Participant } from '../rooms/participant.js';
import type { Membership } from '../rooms/room-registry.js';
import type { SeatGateway } from './seat-gateway.js';
import { SpaceMix } from './space-mix.js';
import type { CallKeys } from './call-keys.js';

/** A room's spaces with callers in them, each with its receiver and mix; gone with the last caller. */
class RoomVoices {
  private readonly spaces = new Map<string | null, SpaceMix>();
  private readonly stopWatching: () => void;

  constructor(
    private readonly seats: SeatGateway,
    private readonly membership: Membership,
    private readonly onEmpty: () => void,
  ) {
    this.stopWatching = seats.onParted(membership, (people) => this.parted(people));
  }

  enter(space: string | null, keys: CallKeys | undefined): SpaceMix {
    let mix = this.spaces.get(space);
    if (!mix) {
      mix = new SpaceMix(this.seats, this.membership, space, () => this.closed(space));
      this.spaces.set(space, mix);
    }
    mix.join(keys);
    return mix;
  }

  receiverIn(space: string | null): ParticipantMedia | undefined {
    return this.spaces.get(space)?.receiverAtSfu;
  }

  private parted(people: Participant[]): void {
    for (const mix of this.spaces.values()) mix.keepTo(people);
  }

  private closed(space: string | null): void {
    this.spaces.delete(space);
    if (this.spaces.size > 0) return;
    this.stopWatching();
    this.onEmpty();
  }
}

/**
 * What the bridge hears in each room, for all its calls there: per space (the group, each side room) one receiver
 * at the SFU and one mix. Kept by the bridge, per room as it runs now (a room reopened after its worker died is
 * another), and let go with the room's last caller.
 */
export class CallVoices {
  private readonly rooms = new Map<object, RoomVoices>();

  constructor(private readonly seats: SeatGateway) {}

  /**
   * A caller enters `space` of the membership's room, with the bridge's keys for their seat in an encrypted session:
   * its mix. Each `enter` is paired with the mix's `leave`, given the same keys.
   */
  enter(membership: Membership, space: string | null, keys?: CallKeys): SpaceMix {
    const key = this.seats.roomKey(membership);
    let voices = this.rooms.get(key);
    if (!voices) {
      voices = new RoomVoices(this.seats, membership, () => this.rooms.delete(key));
      this.rooms.set(key, voices);
    }
    return voices.enter(space, keys);
  }

  /** The receiver taking `space`'s voices in the room `roomKey` names, while callers are there (for operators' checks). */
  receiverIn(roomKey: object, space: string | null): ParticipantMedia | undefined {
    return this.rooms.get(roomKey)?.receiverIn(space);
  }
}
