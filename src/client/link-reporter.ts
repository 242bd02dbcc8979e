import type { types as client } from 'mediasoup-client';
import type { ConnectionPath } from '../protocol/events.js';
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
    const stats: RTCStatsReport = await transport.getStats();
    stats.forEach((entry: { type: string; nominated?: boolean; availableOutgoingBitrate?: number; currentRoundTripTime?: number }) => {
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
    await request(link.socket, 'reportStats', { uplinkBitrateBps, roundTripTimeMs, downlinkLoss, path: selectedPath(stats) });
  }
}

/**
 * The path of the transport's selected candidate pair, from its local candidate: a relay candidate (through TURN,
 * reached by `relayProtocol`) or a direct one (`protocol`). Undefined before ICE has selected a pair.
 */
export function selectedPath(stats: RTCStatsReport): ConnectionPath | undefined {
  const entries = [...stats.values()] as { type: string; id: string; selectedCandidatePairId?: string; localCandidateId?: string; candidateType?: string; protocol?: string; relayProtocol?: string; nominated?: boolean; state?: string }[];
  const byId = new Map(entries.map((entry) => [entry.id, entry]));
  const transport = entries.find((entry) => entry.type === 'transport' && entry.selectedCandidatePairId);
  // Firefox has no transport entry: its selected pair is the nominated one that succeeded.
  const pair = transport ? byId.get(transport.selectedCandidatePairId!) : entries.find((e) => e.type === 'candidate-pair' && e.nominated && e.state === 'succeeded');
  const local = pair?.localCandidateId ? byId.get(pair.localCandidateId) : undefined;
  if (!local) return undefined;
  if (local.candidateType === 'relay') {
    const relay = local.relayProtocol ?? 'udp';
    return relay === 'tls' || relay === 'tcp' ? `relay-${relay}` : 'relay-udp';
  }
  return local.protocol === 'tcp' ? 'tcp' : 'udp';
}
