import { EventEmitter } from 'node:events';
import { types } from 'mediasoup';
import type { ConsumerInfo, MediaKind, MediaSource, ProducerInfo, TransportInfo } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import type { VideoSize, VideoView } from '../protocol/video-views.js';
import { EstimateFloor } from './estimate-floor.js';
import { Receiving, type ConsumerAppData, type ReceivePolicy } from './receiving.js';

export type Direction = 'send' | 'recv';

export interface TransportSettings {
  webRtcServer: types.WebRtcServer;
  enableTcp: boolean;
  initialAvailableOutgoingBitrate: number;
  /** The address load-test bots' plain RTP transports bind; they exist only when `load.botTransports` is on. */
  listenIp: string;
}

/** A load-test bot's media path: plain RTP in, SRTP out (so forwarding costs what it costs for a browser). */
export interface BotTransportInfo {
  id: string;
  ip: string;
  port: number;
}

/** `videoSize`: a camera's size as sent, as its SDK declared it. */
type ProducerAppData = { source: MediaSource; videoSize?: VideoSize };
/** WebRTC for browsers, plain RTP for load-test bots, direct (in-process RTP) for the phone bridge. */
type MediaTransport = types.WebRtcTransport | types.PlainTransport | types.DirectTransport;

type MediaEvents = {
  /** Consumers closed by one change, in one event so that the client hears of them in one message. */
  consumersClosed: [consumerIds: string[]];
  /** A forwarded stream's score (0–10) changed: the receiver's reports of loss on the way to this participant. */
  consumerScore: [score: number];
  /** The lowest score (0–10) of an incoming stream changed: loss on the way from this participant. */
  producerScore: [score: number];
  /** Video runs again after none did (every tile hidden, or audio-only): the downlink's estimate is stale. */
  videoReturned: [];
};

/**
 * mediasoup refuses bad parameters with TypeError or UnsupportedError: that is the client's mistake. mediasoup exports
 * its error classes as types only, so UnsupportedError is known by its name.
 */
async function asClientError<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    if (error instanceof TypeError || (error instanceof Error && error.name === 'UnsupportedError')) {
      throw new CircleError('BAD_REQUEST', error.message);
    }
    throw error;
  }
}

/** The mediasoup objects of one participant: a send and a receive transport, its producers and consumers. */
export class ParticipantMedia extends EventEmitter<MediaEvents> {
  private readonly transports = new Map<Direction, MediaTransport>();
  /** Directions whose transport is being made, and sources whose producer is: reserved before the await. */
  private readonly creating = new Set<Direction | MediaSource>();
  readonly producers = new Map<string, types.Producer<ProducerAppData>>();
  readonly consumers = new Map<string, types.Consumer<ConsumerAppData>>();
  private rtpCapabilities: types.RtpCapabilities | undefined;
  private readonly receiving: Receiving;
  private closed = false;

  constructor(
    private readonly router: types.Router,
    private readonly settings: TransportSettings,
    policy: ReceivePolicy,
  ) {
    super();
    this.receiving = new Receiving(this.consumers, policy, new EstimateFloor(settings.initialAvailableOutgoingBitrate), {
      transport: () => this.transports.get('recv'),
      videoReturned: () => this.emit('videoReturned'),
    });
  }

  setRtpCapabilities(rtpCapabilities: types.RtpCapabilities): void {
    this.rtpCapabilities = rtpCapabilities;
  }

  async createTransport(direction: Direction): Promise<TransportInfo> {
    const transport = await this.addTransport(direction, () =>
      this.router.createWebRtcTransport({
        webRtcServer: this.settings.webRtcServer,
        enableUdp: true,
        enableTcp: this.settings.enableTcp,
        preferUdp: true,
        initialAvailableOutgoingBitrate: this.settings.initialAvailableOutgoingBitrate,
        appData: { direction },
      }),
    );
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  /**
   * A bot's transport: plain RTP. The send side learns the bot's address from its first packet; the receive side
   * sends SRTP to the address the bot gives (`connectBotTransport`), encrypting each packet as for a browser.
   */
  async createBotTransport(direction: Direction): Promise<BotTransportInfo> {
    const transport = await this.addTransport(direction, () =>
      this.router.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: this.settings.listenIp },
        rtcpMux: true,
        comedia: direction === 'send',
        enableSrtp: direction === 'recv',
      }),
    );
    return { id: transport.id, ip: transport.tuple.localIp, port: transport.tuple.localPort };
  }

  /**
   * A phone call's transport: RTP handed to and from this process (mediasoup's DirectTransport), where the bridge
   * turns it into and out of the call's G.711. Nothing to connect: it is ready at once.
   */
  async createDirectTransport(direction: Direction): Promise<string> {
    const transport = await this.addTransport(direction, () => this.router.createDirectTransport());
    return transport.id;
  }

  async connectBotTransport(transportId: string, ip: string, port: number, srtpKeyBase64: string): Promise<void> {
    const transport = this.transportById(transportId);
    if (transport.type !== 'plain') throw new CircleError('BAD_REQUEST', 'not a bot transport');
    await asClientError(
      transport.connect({ ip, port, srtpParameters: { cryptoSuite: 'AES_CM_128_HMAC_SHA1_80', keyBase64: srtpKeyBase64 } }),
    );
  }

  async connectTransport(transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    await asClientError(this.webRtcTransport(transportId).connect({ dtlsParameters }));
  }

  /** New ICE credentials for a transport whose path failed (Wi-Fi to mobile data, say); DTLS and media stay. */
  async restartIce(transportId: string): Promise<types.IceParameters> {
    return this.webRtcTransport(transportId).restartIce();
  }

  async produce(
    transportId: string,
    kind: MediaKind,
    rtpParameters: types.RtpParameters,
    source: MediaSource,
    { paused = false, videoSize }: { paused?: boolean; videoSize?: VideoSize } = {},
  ): Promise<ProducerInfo> {
    const transport = this.transportById(transportId);
    if (transport !== this.transports.get('send')) {
      throw new CircleError('BAD_REQUEST', 'produce needs the send transport');
    }
    if ((source === 'microphone') !== (kind === 'audio')) {
      throw new CircleError('BAD_REQUEST', `a ${source} produces ${source === 'microphone' ? 'audio' : 'video'}`);
    }
    if (this.creating.has(source) || [...this.producers.values()].some((p) => p.appData.source === source)) {
      throw new CircleError('BAD_REQUEST', `already producing from the ${source}`);
    }
    const producer = await this.reserving(source, () =>
      asClientError(transport.produce<ProducerAppData>({ kind, rtpParameters, paused, appData: { source, videoSize } })),
    );
    if (this.closed) {
      producer.close();
      throw new CircleError('NOT_JOINED', 'the session ended');
    }
    this.producers.set(producer.id, producer);
    producer.on('score', (scores) => scores.length && this.emit('producerScore', Math.min(...scores.map((s) => s.score))));
    producer.observer.once('close', () => this.producers.delete(producer.id));
    return describeProducer(producer);
  }

  hasTransport(transportId: string): boolean {
    return [...this.transports.values()].some((transport) => transport.id === transportId);
  }

  /** The transport of one direction, for reading its statistics. */
  transport(direction: Direction): MediaTransport | undefined {
    return this.transports.get(direction);
  }

  producer(producerId: string): types.Producer<ProducerAppData> {
    const producer = this.producers.get(producerId);
    if (!producer) throw new CircleError('NOT_FOUND', 'no such producer of yours');
    return producer;
  }

  async consume(producer: types.Producer<ProducerAppData>, ownerId: string): Promise<ConsumerInfo> {
    const transport = this.transports.get('recv');
    if (!transport) throw new CircleError('BAD_REQUEST', 'create a recv transport before consuming');
    if (!this.rtpCapabilities) throw new CircleError('BAD_REQUEST', 'send setRtpCapabilities before consuming');
    if (!this.router.canConsume({ producerId: producer.id, rtpCapabilities: this.rtpCapabilities })) {
      throw new CircleError('BAD_REQUEST', 'your device cannot receive this producer');
    }
    if ([...this.consumers.values()].some((c) => c.producerId === producer.id)) {
      throw new CircleError('BAD_REQUEST', 'already consuming this producer');
    }
    // Created paused: the client resumes once its track is wired, so no keyframe is wasted before then.
    const consumer = await asClientError(
      transport.consume<ConsumerAppData>({
        producerId: producer.id,
        rtpCapabilities: this.rtpCapabilities,
        paused: true,
        appData: { participantId: ownerId, source: producer.appData.source, videoSize: producer.appData.videoSize },
      }),
    );
    this.consumers.set(consumer.id, consumer);
    await this.receiving.apply(consumer);
    const forget = () => this.forgetConsumers([consumer.id]);
    consumer.on('score', ({ score }) => this.emit('consumerScore', score));
    consumer.on('producerclose', forget);
    consumer.on('transportclose', forget);
    return {
      consumerId: consumer.id,
      producerId: producer.id,
      participantId: ownerId,
      kind: consumer.kind,
      source: producer.appData.source,
      rtpParameters: consumer.rtpParameters,
      producerPaused: consumer.producerPaused,
    };
  }

  /**
   * Stops receiving everything (or only the `kind`) of `ownerIds`: they and this participant are no longer in one
   * space, or focus mode hides their video. The client is told in one message: sent one by one, all but the first
   * wait for the socket's next write, which on a loaded node came 100–300 ms later, and the client went on hearing
   * those streams meanwhile.
   */
  closeConsumersOf(ownerIds: ReadonlySet<string>, kind?: MediaKind): void {
    const closed = [...this.consumers.values()].filter(
      (consumer) => ownerIds.has(consumer.appData.participantId) && (kind === undefined || consumer.kind === kind),
    );
    for (const consumer of closed) consumer.close();
    this.forgetConsumers(closed.map((consumer) => consumer.id));
  }

  async resumeConsumer(consumerId: string): Promise<void> {
    const consumer = this.consumers.get(consumerId);
    if (!consumer) throw new CircleError('NOT_FOUND', 'no such consumer of yours');
    await this.receiving.resumedByClient(consumer);
  }

  /** Pauses (or runs again) every audio consumer at the SFU: the seat hears the room on its phone meanwhile. */
  async holdAudio(held: boolean): Promise<void> {
    await this.receiving.holdAudio(held);
  }

  /** How the page draws its videos now (see `Receiving.setViews`). */
  async setVideoViews(views: VideoView[]): Promise<void> {
    await this.receiving.setViews(views);
  }

  /** Brings every consumer in line with the room's policy and the page's views (see `Receiving`). */
  async applyReceivingToAll(): Promise<void> {
    await this.receiving.applyToAll();
  }

  private forgetConsumers(consumerIds: string[]): void {
    this.receiving.forget(consumerIds);
    const forgotten = consumerIds.filter((consumerId) => this.consumers.delete(consumerId));
    if (forgotten.length && !this.closed) this.emit('consumersClosed', forgotten);
  }

  describeProducers(): ProducerInfo[] {
    return [...this.producers.values()].map(describeProducer);
  }

  countByKind(target: Record<MediaKind, number>, of: 'producers' | 'consumers'): void {
    for (const item of this[of].values()) target[item.kind] += 1;
  }

  get transportCount(): number {
    return this.transports.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const transport of this.transports.values()) transport.close();
    this.transports.clear();
    this.producers.clear();
    this.consumers.clear();
    this.receiving.stop();
  }

  /** One transport per direction; one created while the participant left is closed at once. */
  private async addTransport<T extends MediaTransport>(
    direction: Direction,
    create: () => Promise<T>,
  ): Promise<T> {
    if (this.transports.has(direction) || this.creating.has(direction)) {
      throw new CircleError('BAD_REQUEST', `a ${direction} transport already exists`);
    }
    const transport = await this.reserving(direction, create);
    if (this.closed) {
      transport.close();
      throw new CircleError('NOT_JOINED', 'the session ended');
    }
    this.transports.set(direction, transport);
    return transport;
  }

  /** Runs `create` with `what` reserved, so a concurrent request for the same is refused instead of doubling it. */
  private async reserving<T>(what: Direction | MediaSource, create: () => Promise<T>): Promise<T> {
    this.creating.add(what);
    try {
      return await create();
    } finally {
      this.creating.delete(what);
    }
  }

  private transportById(transportId: string): MediaTransport {
    for (const transport of this.transports.values()) if (transport.id === transportId) return transport;
    throw new CircleError('NOT_FOUND', 'no such transport of yours');
  }

  private webRtcTransport(transportId: string): types.WebRtcTransport {
    const transport = this.transportById(transportId);
    if (transport.type !== 'webrtc') throw new CircleError('BAD_REQUEST', 'not a WebRTC transport');
    return transport;
  }
}

export function describeProducer(producer: types.Producer<ProducerAppData>): ProducerInfo {
  return { producerId: producer.id, kind: producer.kind, source: producer.appData.source, paused: producer.paused };
}
