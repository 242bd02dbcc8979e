import type { types } from 'mediasoup';
import type { ParticipantMedia } from '../media/participant-media.js';
import type { LinkSample } from './ladder.js';

/** A transport's one statistics entry: loss from transport-wide feedback, and the bitrates each way. */
async function transportStat(transport: { getStats(): Promise<types.BaseTransportStats[]> }): Promise<types.BaseTransportStats | undefined> {
  const [stat] = await transport.getStats();
  return stat;
}

/** One direction's reading, and the bitrate actually flowing that way (for the node's totals). */
export interface DirectionSample extends LinkSample {
  flowingBps: number;
}

const NOTHING: DirectionSample = { loss: undefined, bitrateBps: undefined, flowingBps: 0 };

/** A statistics read on a transport or consumer that closed meanwhile tells nothing; it is not an error. */
async function orNothing(read: () => Promise<DirectionSample>): Promise<DirectionSample> {
  try {
    return await read();
  } catch {
    return NOTHING;
  }
}

const flowing = (item: { paused: boolean; producerPaused: boolean }) => !item.paused && !item.producerPaused;

/** Whether video flows to or from the participant now, from mediasoup's own objects (no statistics read). */
export function carriesVideo(media: ParticipantMedia): boolean {
  for (const consumer of media.consumers.values()) if (consumer.kind === 'video' && flowing(consumer)) return true;
  for (const producer of media.producers.values()) if (producer.kind === 'video' && !producer.paused) return true;
  return false;
}

/**
 * The SFU-to-participant direction. While video flows, the receive transport's congestion control (transport-wide
 * feedback on every video packet) gives loss and the available bitrate. Without video there is no such feedback
 * (mediasoup uses it for video only), so loss comes from the receiver reports on the audio streams, or from the
 * browser's own count if it reported more recently: receiver reports come every few seconds, and the one after a
 * recovery still covers lossy seconds, so the browser's count tells of a recovered link sooner. Reading every
 * audio stream's reports costs one worker request each, so a quiet link's keep-alive skips them.
 */
export function sampleDownlink(
  media: ParticipantMedia,
  reportedLoss: number | undefined,
  { streams = true }: { streams?: boolean } = {},
): Promise<DirectionSample> {
  return orNothing(async () => {
    const transport = media.transport('recv');
    if (!transport) return NOTHING;
    const stat = await transportStat(transport);
    const flowingBps = stat?.sendBitrate ?? 0;
    const consumers = [...media.consumers.values()];
    if (consumers.some((c) => c.kind === 'video' && flowing(c))) {
      return { loss: stat?.rtpPacketLossSent, bitrateBps: stat?.availableOutgoingBitrate, flowingBps };
    }
    // `streams: false` (a quiet link's keep-alive): the transport and the browser's report only.
    const audio = streams ? consumers.filter((c) => c.kind === 'audio' && flowing(c)) : [];
    const reports = (await Promise.all(audio.map((c) => c.getStats()))).flat();
    // The receiver report's fraction lost is an 8-bit fixed-point share. All these streams share the link: the
    // least lossy is the link's own loss (a stream may add its sender's uplink loss).
    const fractions = reports.filter((r) => r.type === 'outbound-rtp').map((r) => r.fractionLost / 256);
    if (reportedLoss !== undefined) fractions.push(reportedLoss);
    const loss = fractions.length ? Math.min(...fractions) : undefined;
    return { loss, bitrateBps: undefined, flowingBps };
  });
}

/**
 * The participant-to-SFU direction: loss from the send transport's transport-wide feedback (audio carries it
 * too, so it stays fresh while video is off); the bitrate is what the browser estimates and reports.
 */
export function sampleUplink(media: ParticipantMedia, reportedBps: number | undefined): Promise<DirectionSample> {
  return orNothing(async () => {
    const transport = media.transport('send');
    if (!transport || media.producers.size === 0) return NOTHING;
    const stat = await transportStat(transport);
    return { loss: stat?.rtpPacketLossReceived, bitrateBps: reportedBps, flowingBps: stat?.recvBitrate ?? 0 };
  });
}
