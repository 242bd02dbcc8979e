import type { AudioOnlyReason, ConnectionPath, ConnectionQuality, LinkView } from '../protocol/events.js';
import { QualityLadder, type LadderSettings } from './ladder.js';

export interface QualitySettings extends LadderSettings {
  sampleIntervalMs: number;
  /** How often a quiet link (no video either way, settled, clean) is read, and then its transports alone. */
  quietSampleIntervalMs: number;
  fairRttMs: number;
  /** Whether pages' declared tile sizes and visibility decide the layers they receive (`quality.adaptiveVideo`). */
  adaptiveVideo: boolean;
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
  /** Direct or through the TURN relay, as the browser last said; kept until it says otherwise. */
  path: ConnectionPath | null = null;
  private report: ClientReport | undefined;
  private lastReadAt = -Infinity;
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

  /**
   * Read seldom, transports only: no video flows either way (a link carrying video is read every interval, as it
   * must be for its ladders to react in seconds), both ladders settled at the top, and nothing woke it lately. An
   * audio-only group, where every link would otherwise cost a read per audio stream each second, is mostly quiet.
   */
  quiet(now: number, carriesVideo: boolean): boolean {
    return !carriesVideo && now >= this.watchedUntil && this.downlink.settled && this.uplink.settled;
  }

  /**
   * What to read at this tick. A link that carries video, is below full video, lossy, or woken is read in full at
   * every tick (`sampleIntervalMs`), as every link once was; a quiet one every `quietSampleIntervalMs`, its transports
   * alone (for the bitrate gauges). Reading every link in full each second is what made the Node side cost 13% of
   * the worker's CPU in an audio-only group of 50 rooms (docs/benchmarks.md), a read per audio stream.
   */
  readDue(now: number, carriesVideo: boolean): ReadDue {
    if (!this.quiet(now, carriesVideo)) return 'full';
    // Half a tick of slack, so that timer jitter does not push a quiet read a whole tick later.
    const due = now - this.lastReadAt >= this.settings.quietSampleIntervalMs - this.settings.sampleIntervalMs / 2;
    return due ? 'transports' : undefined;
  }

  /** A read starts now: a quiet link's next is due `quietSampleIntervalMs` from here. */
  markRead(now: number): void {
    this.lastReadAt = now;
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
      path: this.path,
    };
  }

  private freshReport(now: number): ClientReport | undefined {
    const report = this.report;
    return report && now - report.at <= 3 * this.settings.sampleIntervalMs + 2000 ? report : undefined;
  }
}
