import type { AudioOnlyReason, ConnectionQuality, LinkView } from '../protocol/events.js';
import { QualityLadder, type LadderSettings } from './ladder.js';

export interface QualitySettings extends LadderSettings {
  sampleIntervalMs: number;
  /** How often a settled link (full video both ways, clean) is read, and then its transports alone. */
  quietSampleIntervalMs: number;
  fairRttMs: number;
}

/** What a sampling tick reads of a link: everything, the two transports alone, or nothing this time. */
export type ReadDue = 'full' | 'transports' | undefined;

/** After a sign of trouble, a link is read in full for this many intervals whatever its ladders say. */
const WATCHED_INTERVALS_AFTER_WAKE = 3;

/** Three simulcast layers come down; one camera goes up (the browser picks its own layers under its estimate). */
const DOWNLINK_LEVELS = 3;
const UPLINK_LEVELS = 1;

/** What the browser last said of its uplink; trusted for a few sampling intervals, then forgotten. */
export interface ClientReport {
  uplinkBitrateBps: number | undefined;
  roundTripTimeMs: number | undefined;
  downlinkLoss: number | undefined;
  at: number;
}

/**
 * One participant's link: a ladder per direction, the participant's own audio-only choice, and the latest
 * readings, from which the quality facilitators see is graded.
 */
export class LinkQuality {
  readonly downlink: QualityLadder;
  readonly uplink: QualityLadder;
  /** The participant chose audio-only. */
  manual = false;
  downlinkLoss = 0;
  uplinkLoss = 0;
  /** Bits per second flowing to and from the participant at the last reading. */
  readonly flowingBps = { downlink: 0, uplink: 0 };
  private report: ClientReport | undefined;
  private nextReadAt = 0;
  private watchedUntil = 0;

  constructor(private readonly settings: QualitySettings) {
    this.downlink = new QualityLadder(DOWNLINK_LEVELS, settings);
    this.uplink = new QualityLadder(UPLINK_LEVELS, settings);
  }

  get sendVideo(): boolean {
    return !this.manual && this.uplink.level > 0;
  }

  /** Simulcast layers received: 0 while audio-only. */
  get receiveLayers(): number {
    return this.manual ? 0 : this.downlink.level;
  }

  get audioOnly(): AudioOnlyReason | null {
    if (this.manual) return 'manual';
    if (this.uplink.level === 0) return 'uplink';
    if (this.downlink.level === 0) return 'downlink';
    return null;
  }

  /**
   * Records the browser's report; answers whether it shows trouble the ladders must see soon: loss a clean link
   * does not have, or an uplink estimate below what video needs.
   */
  recordReport(report: Omit<ClientReport, 'at'>, now: number): boolean {
    this.report = { ...report, at: now };
    const lossy = (report.downlinkLoss ?? 0) >= this.settings.recoverLoss;
    return lossy || (report.uplinkBitrateBps !== undefined && report.uplinkBitrateBps < this.settings.recoverAboveBps);
  }

  /** Settled both ways (full video, the latest readings clean) and not woken lately: read seldom, transports only. */
  quiet(now: number): boolean {
    return now >= this.watchedUntil && this.downlink.settled && this.uplink.settled;
  }

  /**
   * What to read now. Each link keeps its own schedule from its last read: a quiet link is read every
   * `quietSampleIntervalMs`, its transports alone (bitrates, and loss while video flows); any other in full every
   * `sampleIntervalMs`, so a woken link's readings (and its ladders' clocks) run from the moment it woke. Reading
   * every link in full each second is what made the Node side cost 13% of the worker's CPU at 50 rooms
   * (docs/benchmarks.md).
   */
  readDue(now: number): ReadDue {
    if (now < this.nextReadAt) return undefined;
    return this.quiet(now) ? 'transports' : 'full';
  }

  /** After a read that started at `startedAt` (its readings applied): when the next one is due. */
  scheduleNextRead(startedAt: number): void {
    this.nextReadAt = startedAt + (this.quiet(startedAt) ? this.settings.quietSampleIntervalMs : this.settings.sampleIntervalMs);
  }

  /** A sign of trouble (a stream's score fell, the browser reported loss): read in full for a few intervals. */
  wake(now: number): void {
    this.watchedUntil = now + WATCHED_INTERVALS_AFTER_WAKE * this.settings.sampleIntervalMs;
  }

  /** What the browser last reported, while it is recent. */
  reported(now: number): Partial<ClientReport> {
    return this.freshReport(now) ?? {};
  }

  grade(connection: 'connected' | 'reconnecting', now: number): ConnectionQuality {
    if (connection === 'reconnecting') return 'reconnecting';
    if (this.audioOnly) return 'audio-only';
    const loss = Math.max(this.downlinkLoss, this.uplinkLoss);
    if (loss >= this.settings.reduceLoss || this.downlink.level < this.downlink.top) return 'poor';
    const rtt = this.reported(now).roundTripTimeMs ?? 0;
    if (loss >= this.settings.recoverLoss || rtt > this.settings.fairRttMs) return 'fair';
    return 'good';
  }

  view(connection: 'connected' | 'reconnecting', now: number): LinkView {
    return {
      quality: this.grade(connection, now),
      audioOnly: this.audioOnly,
      sendVideo: this.sendVideo,
      receiveVideo: this.receiveLayers > 0,
    };
  }

  private freshReport(now: number): ClientReport | undefined {
    const report = this.report;
    return report && now - report.at <= 3 * this.settings.sampleIntervalMs + 2000 ? report : undefined;
  }
}
