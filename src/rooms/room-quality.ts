import type { AudioOnlyReason, ConnectionPath, ConnectionQuality, Readiness } from '../protocol/events.js';
import type { Participant } from './participant.js';
import { carriesVideo, sampleDownlink, sampleUplink } from '../quality/link-sampler.js';
import type { QualitySettings } from '../quality/link-quality.js';

export type AudioOnlyTransition = 'to-audio-only' | 'to-video';

/** What a browser says of its own link (the `reportStats` request). */
export interface LinkReport {
  uplinkBitrateBps?: number;
  roundTripTimeMs?: number;
  downlinkLoss?: number;
  path?: ConnectionPath;
}

/** A node's links at a glance, for the gauges. */
export interface LinkTotals {
  byQuality: Record<ConnectionQuality, number>;
  /** Those whose browser has reported its path, by path. */
  byPath: Record<ConnectionPath, number>;
  audioOnly: number;
  /** Media bits per second arriving from participants (in) and forwarded to them (out). */
  bitrateBps: { in: number; out: number };
}

export interface QualityHooks {
  /** Video went off or came back for a participant; `reason` is why it was (or is) off. */
  onAudioOnlyTransition: (participant: Participant, direction: AudioOnlyTransition, reason: AudioOnlyReason) => void;
  /** What the participant and the staff see of a link changed; `quality` is its grade now. */
  onLinkShown: (participant: Participant, quality: ConnectionQuality) => void;
  onError: (error: unknown, during: string) => void;
  /** Every reading, for the node's loss and round-trip histograms. */
  onSample: (sample: { downlinkLoss?: number; uplinkLoss?: number; rttMs?: number }) => void;
}

/** What link quality needs of a room: whom to read, and the two changes it may ask for. */
export interface QualityPort {
  admittedParticipants(): Participant[];
  /** Still in the room with this connection (not left, not replaced by a newer one). */
  isPresent(participant: Participant): boolean;
  /** Brings the participant's camera at the SFU in line with what their uplink carries. */
  applyVideoRules(participant: Participant): Promise<void>;
  /** The participant and the staff are shown the participant's link as it now stands. */
  privateStateChanged(participant: Participant): void;
  /** The staff are shown the waiting room as it now stands. */
  lobbyChanged(): void;
}

/**
 * Keeps each admitted participant's media within what their link carries. Once per sampling interval it reads
 * every link from mediasoup, feeds the two ladders, and applies their steps: the receive side's video layers at
 * the SFU, the send side's camera (paused at the SFU, and the SDK told to stop sending it). The voice is never
 * touched. The participant and the staff hear of every change that alters what they see.
 */
export class RoomQuality {
  private readonly timer: NodeJS.Timeout;
  private sampling = false;
  /** What each participant and the staff were last shown, to tell them only of changes. */
  private readonly shown = new WeakMap<Participant, string>();
  private readonly audioOnlyWas = new WeakMap<Participant, AudioOnlyReason | null>();
  /** Links being read now: a wake-up does not start a second read of the same link. */
  private readonly reading = new WeakSet<Participant>();

  constructor(
    private readonly room: QualityPort,
    settings: QualitySettings,
    private readonly hooks: QualityHooks,
  ) {
    this.timer = setInterval(() => void this.sampleAll(), settings.sampleIntervalMs);
    this.timer.unref();
  }

  dispose(): void {
    clearInterval(this.timer);
  }

  /** The participant's own choice: no video either way. Choosing it again changes nothing. */
  async setManual(participant: Participant, enabled: boolean): Promise<void> {
    participant.assertAdmitted();
    if (!participant.chooseAudioOnly(enabled)) return;
    await this.apply(participant);
  }

  recordReport(participant: Participant, report: LinkReport): void {
    participant.assertAdmitted();
    const { uplinkBitrateBps, roundTripTimeMs, downlinkLoss, path } = report;
    if (participant.link.recordReport({ uplinkBitrateBps, roundTripTimeMs, downlinkLoss }, Date.now())) this.wake(participant);
    // A new path (a first report, or ICE moved to the relay) is shown at once: it explains a link, not grades it.
    if (path && participant.pathSeen(path)) this.announce(participant);
  }

  /** What a waiting client's pre-session check found: the staff see it in the lobby before they admit. */
  recordReadiness(participant: Participant, readiness: Readiness): void {
    participant.checked(readiness);
    if (!participant.admitted) this.room.lobbyChanged();
  }

  /**
   * Wakes a quiet link on mediasoup's own signs of trouble, which cost nothing while links are clean: a score
   * below 10 on a stream forwarded to the participant (their receiver reports show loss) or on one they send.
   */
  follow(participant: Participant): void {
    const onScore = (score: number) => score < 10 && this.wake(participant);
    participant.media.on('consumerScore', onScore);
    participant.media.on('producerScore', onScore);
  }

  /** Adds this room's participants by connection quality, the number audio-only and the bitrates flowing. */
  count(into: LinkTotals): void {
    const now = Date.now();
    for (const participant of this.room.admittedParticipants()) {
      const link = participant.link;
      into.byQuality[link.grade(participant.connection, now)] += 1;
      if (link.path) into.byPath[link.path] += 1;
      if (link.audioOnly) into.audioOnly += 1;
      into.bitrateBps.in += link.flowingBps.uplink;
      into.bitrateBps.out += link.flowingBps.downlink;
    }
  }

  /** Tells the participant and the staff if what they see of this link changed (a drop, a return, a grade). */
  private announce(participant: Participant): void {
    this.countTransition(participant);
    const view = participant.link.view(participant.connection, Date.now());
    const shown = JSON.stringify(view);
    if (this.shown.get(participant) === shown) return;
    this.shown.set(participant, shown);
    this.room.privateStateChanged(participant);
    this.hooks.onLinkShown(participant, view.quality);
  }

  private async sampleAll(): Promise<void> {
    if (this.sampling) return; // a slow worker: skip a beat rather than pile up reads
    this.sampling = true;
    try {
      const now = Date.now();
      const reads = this.room.admittedParticipants().flatMap((participant) => {
        const connected = participant.connection === 'connected' && !this.reading.has(participant);
        const due = connected && participant.link.readDue(now, carriesVideo(participant.media));
        return due ? [this.sample(participant, due)] : [];
      });
      await Promise.all(reads);
    } catch (error) {
      this.hooks.onError(error, 'link quality sampling');
    } finally {
      this.sampling = false;
    }
  }

  /**
   * Reads a woken quiet link at once rather than at its next quiet read. A link already read at every tick is left
   * to its ticks: on a lossy link every stream's score changes, and each change must not add a read.
   */
  private wake(participant: Participant): void {
    const now = Date.now();
    const alreadyWatched = !participant.link.quiet(now, carriesVideo(participant.media));
    participant.link.wake(now);
    if (alreadyWatched || this.reading.has(participant) || participant.connection !== 'connected' || !participant.admitted) return;
    this.sample(participant, 'full').catch((error) => this.hooks.onError(error, 'link quality sampling'));
  }

  private async sample(participant: Participant, what: 'full' | 'transports'): Promise<void> {
    const link = participant.link;
    const now = Date.now();
    const reported = link.reported(now);
    this.reading.add(participant);
    link.markRead(now);
    const [down, up] = await Promise.all([
      sampleDownlink(participant.media, reported.downlinkLoss, { streams: what === 'full' }),
      sampleUplink(participant.media, reported.uplinkBitrateBps),
    ]).finally(() => this.reading.delete(participant));
    if (!this.room.isPresent(participant)) return; // left while we read
    if (down.loss !== undefined) link.downlinkLoss = down.loss;
    if (up.loss !== undefined) link.uplinkLoss = up.loss;
    link.flowingBps.downlink = down.flowingBps;
    link.flowingBps.uplink = up.flowingBps;
    this.hooks.onSample({ downlinkLoss: down.loss, uplinkLoss: up.loss, rttMs: reported.roundTripTimeMs });
    const downStep = link.downlink.observe(down, now);
    const upStep = link.uplink.observe(up, now);
    if (downStep !== undefined || upStep !== undefined) await this.apply(participant);
    else this.announce(participant);
  }

  /** Counts video going off or coming back; a change of reason while it stays off is not a transition. */
  private countTransition(participant: Participant): void {
    const was = this.audioOnlyWas.get(participant) ?? null;
    const now = participant.link.audioOnly;
    this.audioOnlyWas.set(participant, now);
    const reason = now ?? was;
    if ((was === null) !== (now === null) && reason) {
      this.hooks.onAudioOnlyTransition(participant, now ? 'to-audio-only' : 'to-video', reason);
    }
  }

  private async apply(participant: Participant): Promise<void> {
    await participant.media.applyReceivingToAll();
    await this.room.applyVideoRules(participant);
    this.announce(participant);
  }
}
