/** One reading of a link, one direction: loss as a share (0..1), the estimated bitrate when it is known. */
export interface LinkSample {
  loss: number | undefined;
  bitrateBps: number | undefined;
}

export interface LadderSettings {
  /** Loss at or above which video is dropped altogether. */
  audioOnlyLoss: number;
  /** Estimated bitrate below which video is dropped altogether. */
  audioOnlyBelowBps: number;
  /** Loss at or above which video steps down one level. */
  reduceLoss: number;
  /** Loss below which the link counts as clean again. */
  recoverLoss: number;
  /** Estimated bitrate a clean link needs before video comes back or steps up (it is unknown while audio-only). */
  recoverAboveBps: number;
  /** How long a bad or weak reading must last before stepping down. */
  degradeAfterMs: number;
  /** How long a clean reading must last before video comes back from audio-only. */
  recoverAfterMs: number;
  /** How long a clean reading must last before each further step up. */
  stepUpAfterMs: number;
  /** A return to audio-only this soon after leaving it counts as a failed try; each doubles the next wait. */
  failedRecoveryWindowMs: number;
  /** The longest wait before trying video again. */
  maxRecoverAfterMs: number;
}

type Reading = 'bad' | 'weak' | 'clean' | 'steady';

/**
 * How long after video comes back from audio-only the bitrate estimate still describes the link as it was.
 * mediasoup's congestion controller (libwebrtc's) resumes from its last estimate, the starved one, and raises it by
 * about 8% a second as video flows again; read at once, that old figure would send a healed link straight back to
 * audio-only. Loss is read throughout.
 */
export const ESTIMATE_CATCHES_UP_MS = 10_000;

/**
 * The degradation ladder of one direction of one participant's link. Level 0 is audio-only; level n sends or
 * receives video with at most n simulcast layers, up to `top`. It steps down quickly and up slowly, one level
 * at a time, so a link at the edge does not flap: a bitrate estimate is trusted only while video flows (without
 * video mediasoup gets no congestion feedback and the estimate goes stale), and each failed try at video doubles
 * the wait before the next.
 */
export class QualityLadder {
  private current: number;
  private reading: Reading = 'steady';
  private readingSince = 0;
  private lastStepAt = 0;
  private leftAudioOnlyAt: number | undefined;
  /** When video last ran again after none did: the estimate describes the starved link for a while after. */
  private videoReturnedAt: number | undefined;
  private failedRecoveries = 0;

  constructor(
    readonly top: number,
    private readonly settings: LadderSettings,
  ) {
    this.current = top;
  }

  get level(): number {
    return this.current;
  }

  /** At the top, and the latest reading neither bad nor weak: nothing to do but keep an eye on it. */
  get settled(): boolean {
    return this.current === this.top && this.reading !== 'bad' && this.reading !== 'weak';
  }

  /** Feeds one sample; returns the new level when it changes. */
  observe(sample: LinkSample, now: number): number | undefined {
    const reading = this.classify(sample, now);
    if (reading !== this.reading) {
      this.reading = reading;
      this.readingSince = now;
    }
    const held = now - Math.max(this.readingSince, this.lastStepAt);
    if (reading === 'bad' && this.current > 0 && held >= this.settings.degradeAfterMs) return this.step(0, now);
    if (reading === 'weak' && this.current > 1 && held >= this.settings.degradeAfterMs) {
      return this.step(this.current - 1, now);
    }
    if (reading === 'clean' && this.current < this.top && held >= this.waitToStepUp()) {
      return this.step(this.current + 1, now);
    }
    return undefined;
  }

  /**
   * Video runs again after a pause not of the ladder's making (every tile hidden, a background tab shown again): the
   * estimate is as stale as after audio-only, and is not read until it catches up.
   */
  videoReturned(now: number): void {
    this.videoReturnedAt = now;
  }

  private estimateCatchingUp(now: number): boolean {
    return this.videoReturnedAt !== undefined && now - this.videoReturnedAt < ESTIMATE_CATCHES_UP_MS;
  }

  private classify({ loss, bitrateBps }: LinkSample, now: number): Reading {
    const s = this.settings;
    // Without video there is no congestion feedback: the estimate is stale and only loss tells. So it is for a while
    // after video comes back, and meanwhile the link holds at its level: loss can still take it down, nothing up.
    const catchingUp = this.current > 0 && this.estimateCatchingUp(now);
    const bitrate = this.current > 0 && !catchingUp ? bitrateBps : undefined;
    if ((loss ?? 0) >= s.audioOnlyLoss || (bitrate !== undefined && bitrate < s.audioOnlyBelowBps)) return 'bad';
    if ((loss ?? 0) >= s.reduceLoss) return 'weak';
    if (loss === undefined && bitrate === undefined) return 'steady';
    if (!catchingUp && (loss ?? 0) < s.recoverLoss && (bitrate === undefined || bitrate >= s.recoverAboveBps)) return 'clean';
    return 'steady';
  }

  private waitToStepUp(): number {
    if (this.current > 0) return this.settings.stepUpAfterMs;
    return Math.min(this.settings.maxRecoverAfterMs, this.settings.recoverAfterMs * 2 ** this.failedRecoveries);
  }

  private step(level: number, now: number): number {
    if (level === 0) {
      const failed = this.leftAudioOnlyAt !== undefined && now - this.leftAudioOnlyAt <= this.settings.failedRecoveryWindowMs;
      this.failedRecoveries = failed ? this.failedRecoveries + 1 : 0;
    }
    if (this.current === 0) this.leftAudioOnlyAt = this.videoReturnedAt = now;
    this.current = level;
    this.lastStepAt = now;
    return level;
  }
}
