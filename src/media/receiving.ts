import type { types } from 'mediasoup';
import type { MediaSource } from '../protocol/events.js';
import type { VideoSize, VideoView } from '../protocol/video-views.js';
import { layerForTile } from './tile-layers.js';
import type { EstimateFloor } from './estimate-floor.js';

export type ConsumerAppData = { participantId: string; source: MediaSource; videoSize?: VideoSize };
type Consumer = types.Consumer<ConsumerAppData>;

/** What the room decides of everything one participant receives. */
export interface ReceivePolicy {
  /** How many simulcast layers of video the link carries now; 0 pauses every video consumer (audio-only). */
  videoLayers(): number;
  /** Whether the sizes and visibility the page declares are followed (`quality.adaptiveVideo`). */
  followViews: boolean;
  /**
   * The page declares its tiles (and views are followed): a video it has not yet declared gets the smallest layer,
   * not the largest. It is about to say; meanwhile a page joining a full room on a weak link is not sent every
   * camera's largest layer at once (the burst that, with the estimate not yet settled, overflows its bottleneck).
   */
  startsSmall: boolean;
  /** The priority (1–255) of a sender's video under this receiver's downlink budget. */
  priorityOf(senderId: string): number;
}

/** The participant's media this needs: its receive transport, and where to say that video runs again. */
export interface ReceivingPort {
  transport(): types.Transport | undefined;
  videoReturned(): void;
}

/**
 * What runs of what one participant receives, and at which layer: each consumer is brought in line with the
 * client's own resume, a phone call holding the seat's audio, the link's ladder, how the page draws the video
 * (`setViews`) and the sender's priority. Every change goes through `apply`, so no two rules fight over a consumer.
 */
export class Receiving {
  /** Consumers the client has wired up and asked to run; only these ever run. */
  private readonly resumed = new Set<string>();
  /** A phone call carries the seat's voice: the room's audio to this connection is paused, so it cannot echo. */
  private audioHeld = false;
  /** How the page draws each video consumer, as it last said. */
  private readonly views = new Map<string, VideoView>();

  constructor(
    private readonly consumers: ReadonlyMap<string, Consumer>,
    private readonly policy: ReceivePolicy,
    private readonly estimateFloor: EstimateFloor,
    private readonly port: ReceivingPort,
  ) {}

  /** A new stream the page has wired up: it runs, and is no return of video to a starved link. */
  async resumedByClient(consumer: Consumer): Promise<void> {
    this.resumed.add(consumer.id);
    await this.apply(consumer);
  }

  async holdAudio(held: boolean): Promise<void> {
    this.audioHeld = held;
    await this.applyToAll();
  }

  /**
   * How the page draws its videos now. A consumer the page names that is gone (closed meanwhile) is passed over: the
   * page learns of the close in its own message.
   */
  async setViews(views: VideoView[]): Promise<void> {
    const known = views.flatMap((view) => {
      const consumer = this.consumers.get(view.consumerId);
      return consumer?.kind === 'video' ? [{ view, consumer }] : [];
    });
    for (const { view } of known) this.views.set(view.consumerId, view);
    await this.applyTo(known.map(({ consumer }) => consumer));
  }

  /** Run when the link's ladder steps and when priorities change (a new speaker, a new floor holder). */
  async applyToAll(): Promise<void> {
    await this.applyTo([...this.consumers.values()]);
  }

  forget(consumerIds: string[]): void {
    for (const consumerId of consumerIds) {
      this.resumed.delete(consumerId);
      this.views.delete(consumerId);
    }
  }

  stop(): void {
    this.estimateFloor.stop();
    this.resumed.clear();
    this.views.clear();
  }

  /**
   * Applies the rules to `consumers`. When video runs again after none of the page's did (audio-only ended, or the
   * tab is shown again), the estimate is the starved link's: it is floored while it catches up (see `EstimateFloor`).
   */
  private async applyTo(consumers: Consumer[]): Promise<void> {
    const starved = this.runningVideos() === 0 && [...this.resumed].some((id) => this.consumers.get(id)?.kind === 'video');
    await Promise.all(consumers.map((consumer) => this.apply(consumer)));
    const videos = this.runningVideos();
    const transport = this.port.transport();
    if (starved && videos > 0 && transport) {
      this.port.videoReturned();
      await this.estimateFloor.videoReturns(transport, videos);
    }
  }

  private runningVideos(): number {
    let running = 0;
    for (const consumer of this.consumers.values()) if (consumer.kind === 'video' && !consumer.paused) running += 1;
    return running;
  }

  /**
   * Runs a consumer the client asked for, unless its audio is held for a phone call, or it is video and the link
   * carries none or the page shows it nowhere. A video gets the smallest layer that fills its tile, at most the
   * layers the link carries, and its sender's priority; mediasoup then picks layers under its own bandwidth estimate
   * by those priorities, and clamps a layer above what the producer sends. Audio is never paused by a view.
   */
  async apply(consumer: Consumer): Promise<void> {
    const layers = this.policy.videoLayers();
    const view = this.policy.followViews ? this.views.get(consumer.id) : undefined;
    const shown = !view || (view.visible && view.width > 0 && view.height > 0);
    const run = this.resumed.has(consumer.id) && (consumer.kind === 'audio' ? !this.audioHeld : layers > 0 && shown);
    try {
      if (consumer.type === 'simulcast' && layers > 0) {
        const fills = view && shown ? layerForTile(view, consumer.appData.videoSize) : this.policy.startsSmall ? 0 : layers - 1;
        const spatialLayer = Math.min(layers - 1, fills);
        if (consumer.preferredLayers?.spatialLayer !== spatialLayer) await consumer.setPreferredLayers({ spatialLayer });
        const priority = this.policy.priorityOf(consumer.appData.participantId);
        if (consumer.priority !== priority) await consumer.setPriority(priority);
      }
      if (run && consumer.paused) await consumer.resume();
      else if (!run && !consumer.paused) await consumer.pause();
    } catch (error) {
      if (!consumer.closed) throw error; // a consumer closing meanwhile needs nothing
    }
  }
}
