import type { types } from 'mediasoup';
import type { ParticipantMedia } from '../media/participant-media.js';
import type { Participant } from './participant.js';

interface Listener {
  media: ParticipantMedia;
  /** Settles once its receive transport exists. */
  ready: Promise<void>;
}

/**
 * The phone bridge's ears in each space (the group, or one side room): a receiver at the SFU that takes each voice
 * there once, however many callers in that space hear it, so the bridge decodes and mixes each space once and takes
 * each caller's own voice back out. A consumer per caller per voice was n² for n callers (a room of twelve callers
 * sent every packet across the worker's channel eleven times) and cost more than the 2%-of-a-core target per caller.
 * The rules still act at the SFU: a listener takes only the voices of those in its space (`RoomMedia.listenFor`), and
 * stops taking someone's voice the moment they leave the space, before anyone is told (`keepToSpaces`).
 */
export class SpaceListeners {
  private readonly listeners = new Map<string | null, Listener>();

  constructor(
    private readonly createMedia: () => ParticipantMedia,
    private readonly rtpCapabilities: types.RtpCapabilities,
  ) {}

  /** The listener of `space`, made on first use. */
  async open(space: string | null): Promise<ParticipantMedia> {
    let listener = this.listeners.get(space);
    if (!listener) {
      const media = this.createMedia();
      media.setRtpCapabilities(this.rtpCapabilities);
      const made: Listener = {
        media,
        ready: media.createDirectTransport('recv').then(
          () => undefined,
          (error: unknown) => {
            // The room is closing: the next caller there, if any, tries afresh.
            if (this.listeners.get(space) === made) this.listeners.delete(space);
            throw error;
          },
        ),
      };
      listener = made;
      this.listeners.set(space, listener);
    }
    await listener.ready;
    return listener.media;
  }

  /** The listener of `space` if it is open. */
  of(space: string | null): ParticipantMedia | undefined {
    return this.listeners.get(space)?.media;
  }

  /** No caller hears `space` any more: its listener closes. */
  close(space: string | null): void {
    this.listeners.get(space)?.media.close();
    this.listeners.delete(space);
  }

  /** Each listener outside a participant's space stops taking their voice (they moved away). */
  keepToSpaces(participants: Iterable<Participant>): void {
    const people = [...new Set(participants)];
    for (const [space, listener] of this.listeners) {
      const apart = new Set(people.filter((participant) => participant.sideRoomId !== space).map((participant) => participant.id));
      if (apart.size > 0) listener.media.closeConsumersOf(apart);
    }
  }
}
