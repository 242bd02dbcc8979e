// How often links are read: a settled link's transports every quietSampleIntervalMs, anything else (or a link
// woken by a score drop or a browser report) in full every sampleIntervalMs. Fake media, fake clock, no worker.
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { ParticipantMedia } from '../../src/media/participant-media.js';
import { LinkQuality } from '../../src/quality/link-quality.js';
import { RoomQuality } from '../../src/rooms/room-quality.js';
import { Participant } from '../../src/rooms/participant.js';
import { RoomRecord } from '../../src/rooms/room-record.js';
import config from '../../config/default.json' with { type: 'json' };

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** Media whose statistics reads are counted; `videoLoss` is what the receive transport's feedback reports. */
class FakeMedia extends EventEmitter {
  reads = { transports: 0, streams: 0 };
  videoLoss = 0;
  readonly producers = new Map([['mic', { kind: 'audio' }]]);
  readonly consumers = new Map<string, { kind: string; paused: boolean; producerPaused: boolean; getStats(): Promise<object[]> }>();

  constructor(video: boolean) {
    super();
    const stream = (kind: string) => ({
      kind,
      paused: false,
      producerPaused: false,
      getStats: async () => ((this.reads.streams += 1), [{ type: 'outbound-rtp', fractionLost: 0 }]),
    });
    this.consumers.set('a1', stream('audio'));
    this.consumers.set('a2', stream('audio'));
    if (video) this.consumers.set('v1', stream('video'));
  }

  transport() {
    return {
      getStats: async () => ((this.reads.transports += 1), [{ rtpPacketLossSent: this.videoLoss, rtpPacketLossReceived: 0, sendBitrate: 1e6 }]),
    };
  }

  async applyReceivingToAll() {}
  describeProducers() {
    return [];
  }
}

function setUp({ video = false } = {}) {
  const media = new FakeMedia(video);
  const participant = new Participant(
    { participantId: 'ana', roomId: 'r', role: 'client', displayName: 'Ana' },
    media as unknown as ParticipantMedia,
    { send: () => undefined, detach: () => undefined, end: () => undefined },
    new LinkQuality(config.quality),
    new RoomRecord('r'),
  );
  participant.admit();
  const quality = new RoomQuality(
    {
      admittedParticipants: () => [participant],
      isPresent: () => true,
      applyVideoRules: async () => undefined,
      privateStateChanged: () => undefined,
      lobbyChanged: () => undefined,
    },
    config.quality,
    { onAudioOnlyTransition: () => undefined, onLinkShown: () => undefined, onError: (error) => { throw error; }, onSample: () => undefined },
  );
  quality.follow(participant);
  return { media, participant, quality };
}

const seconds = (n: number) => vi.advanceTimersByTimeAsync(n * 1000);

it('reads a settled link without video every quietSampleIntervalMs, its two transports alone', async () => {
  const { media, quality } = setUp();
  await seconds(20);
  expect(config.quality.quietSampleIntervalMs).toBe(5000);
  expect(media.reads).toEqual({ transports: 2 * 4, streams: 0 }); // at 1, 6, 11 and 16 s
  quality.dispose();
});

it('reads a link carrying video every interval even while clean, as its ladders need (one transport read each way)', async () => {
  const { media, quality } = setUp({ video: true });
  await seconds(10);
  expect(media.reads.transports).toBeGreaterThanOrEqual(2 * 9);
  expect(media.reads.streams).toBe(0); // with video, the transports' feedback is the reading
  quality.dispose();
});

it("wakes on a stream's score below 10: read in full at once, then every interval for a few", async () => {
  const { media, quality } = setUp();
  await seconds(2);
  const before = { ...media.reads };
  media.emit('consumerScore', 10); // a clean score wakes nothing
  await seconds(0.1);
  expect(media.reads).toEqual(before);
  media.emit('consumerScore', 8);
  await seconds(0.1);
  expect(media.reads.streams).toBe(2); // both audio streams' receiver reports, at once
  await seconds(3);
  // Watched for three intervals from the wake: the wake's read and two or three more (as the ticks fall).
  const watched = media.reads.streams;
  expect(watched).toBeGreaterThanOrEqual(2 + 2 * 2);
  expect(watched).toBeLessThanOrEqual(2 + 2 * 3);
  await seconds(10);
  expect(media.reads.streams).toBe(watched); // settled again: back to the quiet keep-alive
  media.emit('producerScore', 6);
  await seconds(0.1);
  expect(media.reads.streams).toBe(watched + 2);
  quality.dispose();
});

it("wakes on the browser's report of loss or of a weak uplink", async () => {
  const { media, participant, quality } = setUp();
  await seconds(2);
  quality.recordReport(participant, { downlinkLoss: 0.01, uplinkBitrateBps: 2e6 });
  await seconds(0.1);
  expect(media.reads.streams).toBe(0);
  quality.recordReport(participant, { downlinkLoss: 0.1 });
  await seconds(0.1);
  expect(media.reads.streams).toBe(2);
  quality.dispose();

  const weakUplink = setUp();
  await seconds(2);
  weakUplink.quality.recordReport(weakUplink.participant, { uplinkBitrateBps: 100_000 });
  await seconds(0.1);
  expect(weakUplink.media.reads.streams).toBe(2);
  weakUplink.quality.dispose();
});

it('adds no read for score changes on a link already read every interval', async () => {
  const { media, quality } = setUp();
  await seconds(1);
  media.emit('consumerScore', 8);
  await seconds(0.1);
  const woken = media.reads.streams;
  for (const score of [7, 8, 6, 9, 7]) media.emit('consumerScore', score);
  await seconds(0.5);
  expect(media.reads.streams).toBe(woken); // its next read is the next tick's
  quality.dispose();
});

it('reads a lossy link every interval until its ladder has acted and it is settled again', async () => {
  const { media, participant, quality } = setUp({ video: true });
  await seconds(1);
  media.videoLoss = 0.3;
  media.emit('consumerScore', 4);
  await seconds(5);
  expect(participant.link.audioOnly).toBe('downlink'); // bad for degradeAfterMs (3 s), read every second
  const during = media.reads.transports;
  await seconds(3);
  expect(media.reads.transports - during).toBe(2 * 3); // audio-only is not settled: every interval
  quality.dispose();
});
