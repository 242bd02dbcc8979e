import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import type { ConsumerInfo, JoinResult, MediaKind, PeerInfo, ProducerInfo } from '../../src/protocol/events.js';
import { connect, devToken, type TestClient } from '../../harness/signaling.js';

/**
 * A simulated participant: the real Socket.IO protocol for everything, and real RTP for media through the SFU's
 * forwarding. Media goes over "bot transports" (plain RTP in, SRTP out; the server allows them only with
 * `load.botTransports`), because a Node WebRTC stack would cost the harness more CPU than the SFU it measures.
 * What the SFU does per packet is the same as for a browser: the same router, producers, simulcast consumers,
 * and SRTP encryption on the way out; only the inbound SRTP decryption and ICE/DTLS are skipped.
 *
 * Audio: Opus-shaped, 20 ms packets of 100 bytes (about 50 kbit/s with headers). Video: VP8 in three simulcast
 * layers like the SDK's (150, 500 and 1,200 kbit/s at 15 fps), each in three temporal layers as Chromium sends them
 * (L1T3), with real VP8 payload descriptors and a keyframe about every 2 s, so mediasoup's simulcast consumers switch
 * spatial and temporal layers as they do for browsers.
 */

const randomSsrc = () => randomBytes(4).readUInt32BE(0) || 1;

const OPUS_PT = 100;
const VP8_PT = 101;
/** Per simulcast layer: bytes per frame (at 15 fps) and the frame's packets. */
const LAYERS = [
  { bytesPerFrame: 1250, width: 320, height: 180 },
  { bytesPerFrame: 4170, width: 640, height: 360 },
  { bytesPerFrame: 10000, width: 1280, height: 720 },
];
const MAX_PAYLOAD = 1100;
/** The temporal layer of each frame in turn (L1T3): the base at 3.75 fps, the first layer doubling it, the second again. */
const TEMPORAL_PATTERN = [0, 2, 1, 2];
const FILLER_AUDIO = Buffer.alloc(100, 0x78);

export interface BotMedia {
  audio: boolean;
  /** Not speaking: Opus with DTX then sends one comfort-noise packet every 400 ms instead of one every 20 ms. */
  silent?: boolean;
  /** Simulcast layers sent: 0 for no camera, up to 3. */
  videoLayers: number;
  /** Real Opus frames to send in turn instead of Opus-shaped filler (for a receiver that decodes, the phone bridge). */
  opusFrames?: Buffer[];
  /** Declares every video received as drawn in a tile of this size (device pixels), as a page does. */
  tile?: { width: number; height: number };
  /**
   * End-to-end encryption, as a page does it: each audio frame and whole video frame is sealed before packetisation
   * (undefined: no keys yet, the frame is not sent).
   */
  seal?: FrameSeal;
}

export type FrameSeal = (kind: MediaKind, frame: Buffer) => Promise<Buffer | undefined>;

interface Stream {
  ssrc: number;
  seq: number;
  timestamp: number;
  packets: number;
  octets: number;
}

const newStream = (): Stream => ({ ssrc: randomSsrc(), seq: 0, timestamp: 0, packets: 0, octets: 0 });

/**
 * An RTCP sender report, as a browser sends one per stream every second or so: mediasoup needs them to line up
 * the timestamps of simulcast layers before it switches a consumer between them.
 */
function senderReport(stream: Stream): Buffer {
  const report = Buffer.alloc(28);
  report[0] = 0x80;
  report[1] = 200;
  report.writeUInt16BE(6, 2);
  report.writeUInt32BE(stream.ssrc, 4);
  const ntp = Date.now() / 1000 + 2_208_988_800;
  report.writeUInt32BE(Math.floor(ntp) >>> 0, 8);
  report.writeUInt32BE(Math.floor((ntp % 1) * 2 ** 32) >>> 0, 12);
  report.writeUInt32BE(stream.timestamp >>> 0, 16);
  report.writeUInt32BE(stream.packets >>> 0, 20);
  report.writeUInt32BE(stream.octets >>> 0, 24);
  return report;
}

interface StreamCount {
  first: number;
  highest: number;
  received: number;
  /** performance.now() of the first and the last packet. */
  firstAt: number;
  lastAt: number;
}

/** Counters of what reached a bot's receive socket, per forwarded stream (SSRC). */
class Sink {
  readonly socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  packets = 0;
  bytes = 0;
  firstAudioAt: number | undefined;
  readonly audioSsrcs = new Set<number>();
  /** Whose media each forwarded stream carries (participant id and kind, by the consumer's SSRC). */
  readonly owners = new Map<number, { participantId: string; kind: MediaKind }>();
  private readonly streams = new Map<number, StreamCount>();

  constructor() {
    this.socket.on('message', (packet) => this.receive(packet));
  }

  async bind(): Promise<number> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    return this.socket.address().port;
  }

  /** Packets expected (from sequence numbers) and received, over every stream so far. */
  counts(): { expected: number; received: number } {
    let expected = 0;
    let received = 0;
    for (const stream of this.streams.values()) {
      expected += stream.highest - stream.first + 1;
      received += stream.received;
    }
    return { expected, received };
  }

  /**
   * Audio packets received from `participantId` so far, when the last one came, and when the newest stream from
   * them began (a new consumer is a new stream: after a move back, say).
   */
  audioFrom(participantId: string): { received: number; lastAt: number; newestStartedAt: number } {
    return this.from(participantId, 'audio');
  }

  /** Video packets received from `participantId` so far (every layer), as `audioFrom` counts audio. */
  videoFrom(participantId: string): { received: number; lastAt: number; newestStartedAt: number } {
    return this.from(participantId, 'video');
  }

  private from(participantId: string, kind: MediaKind): { received: number; lastAt: number; newestStartedAt: number } {
    let received = 0;
    let lastAt = 0;
    let newestStartedAt = 0;
    for (const [ssrc, owner] of this.owners) {
      const stream = this.streams.get(ssrc);
      if (owner.participantId !== participantId || owner.kind !== kind || !stream) continue;
      received += stream.received;
      lastAt = Math.max(lastAt, stream.lastAt);
      newestStartedAt = Math.max(newestStartedAt, stream.firstAt);
    }
    return { received, lastAt, newestStartedAt };
  }

  private receive(packet: Buffer): void {
    if (packet.length < 12 || packet[0]! >> 6 !== 2) return;
    const payloadType = packet[1]! & 0x7f;
    if (payloadType >= 72 && payloadType <= 76) return; // RTCP (rtcp-mux)
    this.packets += 1;
    this.bytes += packet.length;
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    if (this.firstAudioAt === undefined && this.audioSsrcs.has(ssrc)) this.firstAudioAt = performance.now();
    const stream = this.streams.get(ssrc);
    if (!stream) {
      const now = performance.now();
      this.streams.set(ssrc, { first: seq, highest: seq, received: 1, firstAt: now, lastAt: now });
      return;
    }
    stream.received += 1;
    stream.lastAt = performance.now();
    // Unwrap the 16-bit sequence number against the highest seen.
    const delta = ((seq - (stream.highest & 0xffff) + 0x8000) & 0xffff) - 0x8000;
    if (delta > 0) stream.highest += delta;
  }
}

/** The RTP audio-level header extension's id in a bot's microphone (RFC 6464, as browsers send it). */
const AUDIO_LEVEL_ID = 10;

/**
 * An RFC 8285 one-byte header extension block with the audio level (-dBov, 127 silence; the voice bit set when
 * speaking): what a browser puts in every audio packet, and what the SFU's audio-level observers read.
 */
function audioLevelExtension(level: number): Buffer {
  return Buffer.from([0xbe, 0xde, 0x00, 0x01, (AUDIO_LEVEL_ID << 4) | 0, (level < 127 ? 0x80 : 0) | level, 0, 0]);
}

function rtpHeader(stream: Stream, payloadType: number, marker: boolean, timestamp = stream.timestamp): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = (marker ? 0x80 : 0) | payloadType;
  header.writeUInt16BE(stream.seq & 0xffff, 2);
  header.writeUInt32BE(timestamp >>> 0, 4);
  header.writeUInt32BE(stream.ssrc, 8);
  stream.seq += 1;
  stream.packets += 1;
  return header;
}

interface Vp8FrameInfo {
  pictureId: number;
  tl0PictureIndex: number;
  temporalLayer: number;
  keyframe: boolean;
}

/** A VP8 frame of one layer, whole: a real payload header (bit 0 clear on a keyframe, then its start code and size). */
function vp8Payload(layer: (typeof LAYERS)[number], keyframe: boolean): Buffer {
  const payload = Buffer.alloc(layer.bytesPerFrame);
  payload[0] = keyframe ? 0x10 : 0x11;
  if (keyframe) {
    Buffer.from([0x9d, 0x01, 0x2a]).copy(payload, 3);
    payload.writeUInt16LE(layer.width, 6);
    payload.writeUInt16LE(layer.height, 8);
  }
  return payload;
}

/** A VP8 frame's packets: its payload in pieces, each behind a payload descriptor with the picture id. */
function vp8Packets(stream: Stream, payload: Buffer, frame: Vp8FrameInfo, timestamp: number): Buffer[] {
  const { pictureId, tl0PictureIndex, temporalLayer } = frame;
  const packets: Buffer[] = [];
  const count = Math.ceil(payload.length / MAX_PAYLOAD);
  for (let index = 0; index < count; index += 1) {
    const first = index === 0;
    // X=1, S on the first packet, partition 0; I, L and T: a 15-bit picture id, the TL0 picture index, and the
    // temporal layer with Y set (each frame depends on the base layer only, so a receiver may switch up at any frame).
    const descriptor = Buffer.from([
      0x80 | (first ? 0x10 : 0),
      0xe0,
      0x80 | ((pictureId >> 8) & 0x7f),
      pictureId & 0xff,
      tl0PictureIndex & 0xff,
      (temporalLayer << 6) | 0x20,
    ]);
    const body = payload.subarray(index * MAX_PAYLOAD, (index + 1) * MAX_PAYLOAD);
    packets.push(Buffer.concat([rtpHeader(stream, VP8_PT, index === count - 1, timestamp), descriptor, body]));
    stream.octets += descriptor.length + body.length;
  }
  return packets;
}

/**
 * The router's capabilities minus congestion control: a bot's sink sends no transport-wide feedback, and without
 * it mediasoup's estimate would starve the bot's consumers. Without it mediasoup forwards the preferred layers,
 * as for a browser whose link has room for them.
 */
function withoutCongestionControl(capabilities: unknown): unknown {
  const caps = capabilities as { codecs?: { rtcpFeedback?: { type: string }[] }[]; headerExtensions?: { uri: string }[] };
  return {
    ...caps,
    codecs: caps.codecs?.map((codec) => ({ ...codec, rtcpFeedback: codec.rtcpFeedback?.filter((fb) => !['transport-cc', 'goog-remb'].includes(fb.type)) })),
    headerExtensions: caps.headerExtensions?.filter((ext) => !/transport-wide-cc|abs-send-time/.test(ext.uri)),
  };
}

export class MediaBot {
  readonly sink = new Sink();
  joinStartedAt = 0;
  admitted: JoinResult['admitted'];
  private readonly socket = dgram.createSocket('udp4');
  private sendTo: { ip: string; port: number } | undefined;
  private audio: Stream | undefined;
  private video: Stream[] = [];
  private pictureId = 0;
  private tl0PictureIndex = 0;
  private frames = 0;
  private firstTick: number | undefined;
  private silent = false;
  private opusFrames: Buffer[] | undefined;
  private tile: BotMedia['tile'];
  private seal: FrameSeal | undefined;
  /** Sealed frames go out in the order they were made. */
  private sealing: Promise<void> = Promise.resolve();
  private readonly consuming = new Set<string>();
  /** The producer each consumer receives, so a consumer the server closes can be asked for again later. */
  private readonly consumerProducers = new Map<string, string>();
  /** Resolves once the receive transport is up; producers announced before then wait for it. */
  private readonly recvTransportReady: Promise<void>;
  private markReceiveReady!: () => void;

  private constructor(
    readonly client: TestClient,
    readonly participantId: string,
    readonly result: JoinResult,
  ) {
    // Events that arrived with the join's answer, before this object listened (the test client keeps them all).
    this.admitted = result.admitted ?? (client.events('admitted').at(-1) as JoinResult['admitted']);
    this.recvTransportReady = new Promise((resolve) => (this.markReceiveReady = resolve));
    client.socket.on('admitted', (view: NonNullable<JoinResult['admitted']>) => (this.admitted = view));
    // From the first moment, so no producer announced while the transports are being built is missed.
    client.socket.on('producerAdded', ({ producer }: { producer: ProducerInfo }) => this.receive(producer.producerId));
    // Someone back in the same space (a side room opened or closed): their producers are receivable again.
    client.socket.on('peerUpdated', (peer: PeerInfo) => {
      for (const producer of peer.producers) this.receive(producer.producerId);
    });
    client.socket.on('consumersClosed', ({ consumerIds }: { consumerIds: string[] }) => {
      for (const consumerId of consumerIds) {
        this.consuming.delete(this.consumerProducers.get(consumerId) ?? '');
        this.consumerProducers.delete(consumerId);
      }
    });
  }

  /**
   * Makes this bot a facilitator who admits everyone who knocks, as soon as they knock: each once, and again
   * after a rate-limit refusal.
   */
  admitEveryone(): void {
    const asked = new Set<string>();
    const admit = (participantId: string) => {
      asked.add(participantId);
      void this.client.call('admit', { participantId }).then((answer) => {
        if (!answer.ok && answer.error.code === 'RATE_LIMITED') setTimeout(() => admit(participantId), 200);
      });
    };
    this.client.socket.on('lobbyUpdated', ({ waiting }: { waiting: { participantId: string }[] }) => {
      for (const { participantId } of waiting) if (!asked.has(participantId)) admit(participantId);
    });
    // Someone who leaves and knocks again is admitted again.
    this.client.socket.on('peerLeft', ({ participantId }: { participantId: string }) => asked.delete(participantId));
  }

  /**
   * Connects and joins with a dev token (the same join path as anyone), timing from the connect. `encrypting`: the
   * bot says it can encrypt, and is handed its connection and seat before it joins, to take part in the key agreement.
   */
  static async join(url: string, room: string, name: string, role: string, participantId?: string, encrypting?: (client: TestClient, participantId: string) => void): Promise<MediaBot> {
    const { token, participantId: id } = await devToken(url, { room, name, role, ...(participantId ? { participantId } : {}) });
    return MediaBot.enter(url, id, (client) => {
      encrypting?.(client, id);
      return client.ok<JoinResult>('join', { token, ...(encrypting ? { e2ee: true } : {}) });
    });
  }

  /** Takes a held seat back on a new connection, as the SDK does after a dropped one. */
  static async resume(url: string, previous: MediaBot): Promise<MediaBot> {
    return MediaBot.enter(url, previous.participantId, (client) => client.ok<JoinResult>('resume', { resumeToken: previous.result.resumeToken }));
  }

  private static async enter(url: string, participantId: string, take: (client: TestClient) => Promise<JoinResult>): Promise<MediaBot> {
    const started = performance.now();
    const client = await connect(url);
    try {
      const bot = new MediaBot(client, participantId, await take(client));
      bot.joinStartedAt = started;
      return bot;
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /** Sends media and receives everyone's, once admitted. */
  async startMedia(media: BotMedia): Promise<void> {
    const view = this.admitted ?? (await this.client.next<NonNullable<JoinResult['admitted']>>('admitted', 30_000));
    this.admitted = view;
    this.silent = media.silent ?? false;
    this.opusFrames = media.opusFrames;
    this.tile = media.tile;
    this.seal = media.seal;
    await this.client.ok('setRtpCapabilities', { rtpCapabilities: withoutCongestionControl(view.routerRtpCapabilities) });
    await this.openReceive();
    this.markReceiveReady();
    for (const peer of view.peers as PeerInfo[]) for (const producer of peer.producers) await this.consume(producer.producerId);
    for (const event of this.client.events('producerAdded') as { producer: ProducerInfo }[]) await this.consume(event.producer.producerId);
    if (media.audio || media.videoLayers > 0) await this.openSend(media);
  }

  /** One tick of 20 ms: an audio packet, and every third tick or so a video frame (15 fps). */
  tick(tickIndex: number): void {
    const to = this.sendTo;
    if (!to) return;
    const audio = this.audio;
    if (audio && (!this.silent || tickIndex % 20 === 0)) {
      const timestamp = audio.timestamp;
      audio.timestamp += 960;
      this.send('audio', this.opusFrames?.[tickIndex % this.opusFrames.length] ?? FILLER_AUDIO, (payload) => {
        const header = rtpHeader(audio, OPUS_PT, false, timestamp);
        header[0] = 0x90; // version 2, X: a header extension follows
        audio.octets += payload.length;
        // A speaking bot at a voice's level near the microphone; a silent one's comfort noise at silence.
        return [Buffer.concat([header, audioLevelExtension(this.silent ? 127 : 25), payload])];
      });
    }
    if (tickIndex % 50 === 0) {
      for (const stream of [...(this.audio ? [this.audio] : []), ...this.video]) this.socket.send(senderReport(stream), to.port, to.ip);
    }
    // 15 fps from 50 ticks per second: a frame on ticks where the frame count falls behind.
    this.firstTick ??= tickIndex;
    if (this.video.length && this.frames < ((tickIndex - this.firstTick + 1) * 15) / 50) {
      // Three temporal layers as Chromium sends them (L1T3: 0, 2, 1, 2, …); a keyframe about every 2 s, on the base.
      const temporalLayer = TEMPORAL_PATTERN[this.frames % TEMPORAL_PATTERN.length]!;
      if (temporalLayer === 0) this.tl0PictureIndex = (this.tl0PictureIndex + 1) & 0xff;
      const frame = { pictureId: (this.pictureId = (this.pictureId + 1) & 0x7fff), tl0PictureIndex: this.tl0PictureIndex, temporalLayer, keyframe: this.frames % 32 === 0 };
      this.video.forEach((stream, layer) => {
        const timestamp = stream.timestamp;
        stream.timestamp += 6000; // 90 kHz at 15 fps
        this.send('video', vp8Payload(LAYERS[layer]!, frame.keyframe), (payload) => vp8Packets(stream, payload, frame, timestamp));
      });
      this.frames += 1;
    }
  }

  /** A frame's packets out now, or sealed first (in order) when the session is encrypted. */
  private send(kind: MediaKind, frame: Buffer, packetise: (payload: Buffer) => Buffer[]): void {
    const out = (payload: Buffer) => {
      const to = this.sendTo;
      if (to) for (const packet of packetise(payload)) this.socket.send(packet, to.port, to.ip);
    };
    const seal = this.seal;
    if (!seal) return out(frame);
    this.sealing = this.sealing.then(async () => {
      const sealed = await seal(kind, frame);
      if (sealed) out(sealed);
    });
  }

  async leave(): Promise<void> {
    await this.client.call('leave', {}).catch(() => undefined);
    this.close();
  }

  /** Drops the connection without a goodbye (the server holds the seat), and stops the media. */
  close(): void {
    this.sendTo = undefined;
    this.client.close();
    for (const socket of [this.socket, this.sink.socket]) {
      try {
        socket.close();
      } catch {
        // never bound: nothing to close
      }
    }
  }

  private async openReceive(): Promise<void> {
    const port = await this.sink.bind();
    const transport = await this.client.ok<{ id: string }>('createBotTransport', { direction: 'recv' });
    await this.client.ok('connectBotTransport', {
      transportId: transport.id,
      ip: '127.0.0.1',
      port,
      srtpKeyBase64: randomBytes(30).toString('base64'),
    });
  }

  private async openSend(media: BotMedia): Promise<void> {
    const transport = await this.client.ok<{ id: string; ip: string; port: number }>('createBotTransport', { direction: 'send' });
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    const ip = transport.ip === '0.0.0.0' ? '127.0.0.1' : transport.ip;
    if (media.audio) {
      const stream = newStream();
      await this.client.ok('produce', {
        transportId: transport.id,
        kind: 'audio',
        source: 'microphone',
        rtpParameters: {
          codecs: [{ mimeType: 'audio/opus', payloadType: OPUS_PT, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1, usedtx: 1 } }],
          headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: AUDIO_LEVEL_ID }],
          encodings: [{ ssrc: stream.ssrc }],
        },
      });
      this.audio = stream;
    }
    if (media.videoLayers > 0) {
      const streams = LAYERS.slice(0, media.videoLayers).map(newStream);
      await this.client.ok('produce', {
        transportId: transport.id,
        kind: 'video',
        source: 'camera',
        rtpParameters: {
          codecs: [{ mimeType: 'video/VP8', payloadType: VP8_PT, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] }],
          encodings: streams.map((s) => ({ ssrc: s.ssrc, scalabilityMode: 'L1T3' })),
        },
        videoSize: { width: LAYERS[streams.length - 1]!.width, height: LAYERS[streams.length - 1]!.height },
      });
      this.video = streams;
    }
    this.sendTo = { ip, port: transport.port };
  }

  /** Consumes in the background; a request cut short by the bot closing is nothing to report. */
  private receive(producerId: string): void {
    this.consume(producerId).catch(() => this.consuming.delete(producerId));
  }

  private async consume(producerId: string): Promise<void> {
    if (this.consuming.has(producerId)) return;
    this.consuming.add(producerId);
    await this.recvTransportReady;
    const answer = await this.client.call<ConsumerInfo>('consume', { producerId });
    if (!answer.ok) {
      this.consuming.delete(producerId); // the producer left, or its owner is elsewhere now
      return;
    }
    this.consumerProducers.set(answer.data.consumerId, producerId);
    for (const { ssrc } of answer.data.rtpParameters.encodings ?? []) {
      if (answer.data.kind === 'audio') this.sink.audioSsrcs.add(ssrc!);
      this.sink.owners.set(ssrc!, { participantId: answer.data.participantId, kind: answer.data.kind });
    }
    await this.client.call('resumeConsumer', { consumerId: answer.data.consumerId });
    if (this.tile && answer.data.kind === 'video') {
      await this.client.call('setVideoViews', { views: [{ consumerId: answer.data.consumerId, ...this.tile, visible: true }] });
    }
  }
}

/** Drives every bot's media from one 20 ms timer (one timer per bot would cost the harness more than the SFU). */
export class MediaClock {
  private readonly bots = new Set<MediaBot>();
  private tickIndex = 0;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    const started = performance.now();
    this.timer = setInterval(() => {
      // Catch up on ticks the event loop delayed, so the media rate stays right under load.
      const due = Math.floor((performance.now() - started) / 20);
      for (; this.tickIndex < due; this.tickIndex += 1) for (const bot of this.bots) bot.tick(this.tickIndex);
    }, 20);
  }

  add(bot: MediaBot): void {
    this.bots.add(bot);
  }

  remove(bot: MediaBot): void {
    this.bots.delete(bot);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
