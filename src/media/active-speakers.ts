import type { types } from 'mediasoup';

/** Where people hear each other: the group (null) or one side room. */
export type Space = string | null;

/**
 * How often mediasoup re-decides the dominant speaker. Its own default (300 ms): fast enough that the highlight
 * follows a conversation, slow enough not to flicker on a cough.
 */
const DECISION_INTERVAL_MS = 300;

/**
 * Who is speaking, space by space: one mediasoup `ActiveSpeakerObserver` (the dominant-speaker algorithm over the
 * RTP audio-level extension) for the group and one for each side room, so a word said in a side room never lights a
 * tile in the group. A producer paused at the SFU (a hard mute, a client waiting for the floor) is never the
 * speaker: the observer skips paused producers, so the highlight follows what the room actually hears.
 */
export class ActiveSpeakers {
  private readonly observers = new Map<Space, Promise<types.ActiveSpeakerObserver>>();
  private readonly speakers = new Map<Space, string>();
  /** The producer each space's observer last named, shown or not (a paused one is not shown until it is heard again). */
  private readonly named = new Map<Space, string>();
  /** Each observed producer with its owner and space. */
  private readonly observed = new Map<string, { producer: types.Producer; ownerId: string; space: Space }>();

  constructor(
    private readonly router: types.Router,
    /** The dominant speaker of `space` changed (null: the one it had left the space). */
    private readonly onChange: (space: Space, participantId: string | null) => void,
  ) {}

  speakerIn(space: Space): string | null {
    return this.speakers.get(space) ?? null;
  }

  /** A new audio producer: it may become its space's speaker. */
  async observe(producer: types.Producer, ownerId: string, space: Space): Promise<void> {
    if (producer.kind !== 'audio' || producer.closed) return;
    this.observed.set(producer.id, { producer, ownerId, space });
    // mediasoup drops a closed producer from its observers by itself (and all of them with the router).
    producer.observer.once('close', () => this.forget(producer.id));
    const observer = await this.observerOf(space);
    // Closed meanwhile (its owner left), or moved meanwhile: the move added it where it now belongs.
    if (producer.closed || this.observed.get(producer.id)?.space !== space) return;
    await observer.addProducer({ producerId: producer.id });
  }

  /** Their owner changed space: the producers are observed there from now on. */
  async move(producers: types.Producer[], space: Space): Promise<void> {
    for (const producer of producers) {
      const entry = this.observed.get(producer.id);
      if (!entry || entry.space === space || producer.closed) continue;
      const from = entry.space;
      const old = this.observers.get(from);
      entry.space = space;
      this.leaveSpace(entry.ownerId, from);
      // An observer the leave closed has let go of the producer already.
      await (await old)?.removeProducer({ producerId: producer.id }).catch(() => undefined);
      if (!producer.closed) await (await this.observerOf(space)).addProducer({ producerId: producer.id });
    }
  }

  /**
   * The SFU stopped forwarding their voice (a hard mute, the floor): they are no one's speaker, even while their
   * browser keeps sending levels the observer still reads.
   */
  silenced(ownerId: string): void {
    for (const [space, speaker] of [...this.speakers]) if (speaker === ownerId) this.leaveSpace(ownerId, space);
  }

  /**
   * Their voice is forwarded again (unmuted, given the floor): if the observer still holds them dominant — it names a
   * speaker only when that changes — they are the speaker again.
   */
  heardAgain(producer: types.Producer): void {
    const entry = this.observed.get(producer.id);
    if (entry && this.named.get(entry.space) === producer.id) this.show(producer.id, entry.space);
  }

  private forget(producerId: string): void {
    const entry = this.observed.get(producerId);
    this.observed.delete(producerId);
    if (entry) this.leaveSpace(entry.ownerId, entry.space);
  }

  /**
   * Someone left a space: if they were its speaker no one is until the observer hears the next, and a side room
   * with no one left to observe closes its observer (the group's stays for the session).
   */
  private leaveSpace(ownerId: string, space: Space): void {
    if (this.speakers.get(space) === ownerId) {
      this.speakers.delete(space);
      this.onChange(space, null);
    }
    if (space === null || [...this.observed.values()].some((entry) => entry.space === space)) return;
    void this.observers.get(space)?.then((observer) => observer.close(), () => undefined);
    this.observers.delete(space);
  }

  private observerOf(space: Space): Promise<types.ActiveSpeakerObserver> {
    let observer = this.observers.get(space);
    if (!observer) {
      observer = this.router.createActiveSpeakerObserver({ interval: DECISION_INTERVAL_MS }).then((created) => {
        created.on('dominantspeaker', ({ producer }) => {
          this.named.set(space, producer.id);
          this.show(producer.id, space);
        });
        return created;
      });
      this.observers.set(space, observer);
    }
    return observer;
  }

  private show(producerId: string, space: Space): void {
    const entry = this.observed.get(producerId);
    // A late word from someone who has just moved on, or whom the room does not hear, belongs to no one here.
    if (!entry || entry.space !== space || entry.producer.paused || this.speakers.get(space) === entry.ownerId) return;
    this.speakers.set(space, entry.ownerId);
    this.onChange(space, entry.ownerId);
  }
}
