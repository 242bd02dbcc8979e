import type { types } from 'mediasoup';

/** How often mediasoup reports who is above the threshold: each report counts this long of speech. */
export const LEVEL_INTERVAL_MS = 250;
/** dBov above which a voice counts as speech: a voice near the microphone is -35 to -15, a quiet room below -55. */
const SPEECH_THRESHOLD_DBOV = -50;
/** Voices reported per interval at most: more than a group ever has speaking at once. */
const MAX_ENTRIES = 32;

/**
 * Who is heard now, for counting speaking time: one mediasoup `AudioLevelObserver` for the whole room, reading the
 * RTP audio-level extension (RFC 6464) that browsers and the phone bridge put in every packet's header, so it keeps
 * working once media is end-to-end encrypted. mediasoup leaves a paused producer out, so a muted voice, or one
 * waiting for the floor, is not counted.
 */
export class SpeechLevels {
  private readonly observer: Promise<types.AudioLevelObserver>;
  /** The owner of each observed producer, by producer id. */
  private readonly owners = new Map<string, string>();

  constructor(
    router: types.Router,
    /** `ownerId` was heard for the last `ms`. */
    onHeard: (ownerId: string, ms: number) => void,
  ) {
    this.observer = router.createAudioLevelObserver({ maxEntries: MAX_ENTRIES, threshold: SPEECH_THRESHOLD_DBOV, interval: LEVEL_INTERVAL_MS }).then((observer) => {
      observer.on('volumes', (volumes) => {
        for (const { producer } of volumes) {
          const ownerId = this.owners.get(producer.id);
          if (ownerId) onHeard(ownerId, LEVEL_INTERVAL_MS);
        }
      });
      return observer;
    });
  }

  /** A new audio producer, a page's or a call's. */
  async observe(producer: types.Producer, ownerId: string): Promise<void> {
    if (producer.kind !== 'audio' || producer.closed) return;
    this.owners.set(producer.id, ownerId);
    // mediasoup drops a closed producer from its observers by itself.
    producer.observer.once('close', () => this.owners.delete(producer.id));
    const observer = await this.observer;
    if (!producer.closed) await observer.addProducer({ producerId: producer.id });
  }
}
