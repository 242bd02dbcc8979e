import type { types as client } from 'mediasoup-client';
import { request, type CircleSocket } from './request.js';
import type { InboundStat } from './subscriber.js';

export interface ReportedLink {
  socket: CircleSocket;
  sendTransport: client.Transport | undefined;
  recvTransport: client.Transport;
  audioStats(): Promise<InboundStat[]>;
}

/**
 * The browser's own readings for the server's audio-only decisions, sent every `intervalMs`: its uplink estimate
 * and round trip, and the loss on its least lossy incoming audio stream since the last report (the downlink's own
 * share: a stream's loss may also include its sender's uplink).
 */
export class LinkReporter {
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Audio counters at the last report, per consumer, for the loss since then. */
  private readonly lastAudioCounts = new Map<string, { lost: number; received: number }>();

  start(intervalMs: number, link: ReportedLink): void {
    if (intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.report(link).catch(() => undefined), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.lastAudioCounts.clear();
  }

  private async report(link: ReportedLink): Promise<void> {
    if (!link.socket.connected) return;
    const transport = link.sendTransport ?? link.recvTransport;
    let uplinkBitrateBps: number | undefined;
    let roundTripTimeMs: number | undefined;
    (await transport.getStats()).forEach((entry: { type: string; nominated?: boolean; availableOutgoingBitrate?: number; currentRoundTripTime?: number }) => {
      if (entry.type !== 'candidate-pair' || !entry.nominated) return;
      if (link.sendTransport && entry.availableOutgoingBitrate !== undefined) uplinkBitrateBps = entry.availableOutgoingBitrate;
      if (entry.currentRoundTripTime !== undefined) roundTripTimeMs = entry.currentRoundTripTime * 1000;
    });
    const losses: number[] = [];
    for (const stat of await link.audioStats()) {
      const last = this.lastAudioCounts.get(stat.consumerId);
      this.lastAudioCounts.set(stat.consumerId, { lost: stat.packetsLost, received: stat.packetsReceived });
      if (!last) continue;
      const lost = Math.max(0, stat.packetsLost - last.lost);
      const expected = lost + stat.packetsReceived - last.received;
      if (expected >= 10) losses.push(lost / expected); // a silent (DTX) stream says nothing
    }
    const downlinkLoss = losses.length ? Math.min(...losses) : undefined;
    await request(link.socket, 'reportStats', { uplinkBitrateBps, roundTripTimeMs, downlinkLoss });
  }
}
