import { Device, type types as client } from 'mediasoup-client';
import { io } from 'socket.io-client';
import type {
  AdmittedView,
  AuditEntry,
  ConsumerInfo,
  FloorMode,
  FloorView,
  JoinResult,
  LobbyEntry,
  MediaKind,
  MediaSource,
  PeerInfo,
  ProducerInfo,
  ReconnectReason,
  RoomView,
  SelfView,
  SessionEndReason,
  TransportInfo,
} from '../protocol/events.js';
import type { RequestName, RequestPayload } from '../protocol/schemas.js';
import { Emitter } from './emitter.js';
import { RequestError, request, type CircleSocket } from './request.js';

export type ClientState = 'idle' | 'joining' | 'waiting' | 'joined' | 'rejoining' | 'left' | 'ended';

export interface RemoteTrack {
  consumerId: string;
  participantId: string;
  kind: MediaKind;
  source: MediaSource;
  track: MediaStreamTrack;
}

export interface InboundStat {
  consumerId: string;
  participantId: string;
  kind: MediaKind;
  bytesReceived: number;
  packetsReceived: number;
  packetsLost: number;
}

type ClientEvents = {
  state: [ClientState];
  peerJoined: [PeerInfo];
  peerLeft: [{ participantId: string }];
  peerUpdated: [PeerInfo];
  self: [SelfView];
  room: [RoomView];
  lobby: [LobbyEntry[]];
  unmuteRequested: [MediaKind];
  /** A facilitator suggests audio-only (a weak connection); `setAudioOnly(true)` takes it up. */
  audioOnlySuggested: [];
  floor: [FloorView];
  turnWarning: [{ holder: string; endsAt: string }];
  trackAdded: [RemoteTrack];
  trackRemoved: [RemoteTrack];
  /** The seat is being recovered: the server asked (worker lost, shutdown) or the connection dropped. */
  reconnecting: [ReconnectReason | 'connection-lost'];
  ended: [SessionEndReason];
  error: [Error];
};

/** Three simulcast layers, so the SFU can give each receiver what its downlink carries. */
const SIMULCAST: client.RtpEncodingParameters[] = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 1_200_000 },
];

export interface CircleClientOptions {
  /** Origin of the Circle server; the page's own origin by default. */
  url?: string;
  /** How often the browser's own uplink estimate is sent to the server (ms); 0 never. */
  statsIntervalMs?: number;
}

/**
 * A participant's side of Circle: joins with a token, sends the local microphone and camera, receives
 * everyone else, and rejoins by itself when the server asks it to.
 */
export class CircleClient extends Emitter<ClientEvents> {
  state: ClientState = 'idle';
  self: SelfView | undefined;
  room: RoomView | undefined;
  lobby: LobbyEntry[] = [];
  floor: FloorView | undefined;
  endReason: SessionEndReason | undefined;
  readonly peers = new Map<string, PeerInfo>();
  readonly remoteTracks = new Map<string, RemoteTrack>();

  private socket: CircleSocket | undefined;
  /** Where the client first connects (a load balancer in front of the nodes); the room may run elsewhere. */
  private readonly entryUrl: string;
  /** The node this client talks to now: the entry, or the node running its room. */
  private currentUrl: string;
  private rejoinRun: Promise<void> | undefined;
  private token: string | undefined;
  private resumeToken: string | undefined;
  private device: Device | undefined;
  private sendTransport: client.Transport | undefined;
  private recvTransport: client.Transport | undefined;
  private readonly producers = new Map<MediaSource, client.Producer>();
  private readonly consumers = new Map<string, client.Consumer>();
  /** Producer ids received or being received, so a producer announced twice is consumed once. */
  private readonly consuming = new Set<string>();
  private localTracks: MediaStreamTrack[] = [];
  private producing: Promise<void> = Promise.resolve();
  /** Sources this participant turned off; kept across a reconnect so resuming does not unmute anyone. */
  private readonly turnedOff = new Set<MediaSource>();
  /** The camera stopped sending because the server found the uplink too weak; it resumes when it says so. */
  private cameraHeldForUplink = false;
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  /** Audio counters at the last report, per consumer, for the loss since then. */
  private readonly lastAudioCounts = new Map<string, { lost: number; received: number }>();

  constructor(private readonly options: CircleClientOptions = {}) {
    super();
    this.entryUrl = this.currentUrl = options.url ?? window.location.origin;
  }

  /** Joins with a token; resolves in state `joined`, or `waiting` when the room admits clients from a lobby. */
  async join(token: string): Promise<JoinResult> {
    this.token = token;
    this.setState('joining');
    return this.takeSeat(await this.followingMoves((socket) => request(socket, 'join', { token })));
  }

  /**
   * Sends a join or resume; when the room runs on another node (`MOVED`), connects there and asks again.
   * A few hops at most: the directory names one owner, and a stale answer is corrected on the next try.
   */
  private async followingMoves(ask: (socket: CircleSocket) => Promise<JoinResult>): Promise<JoinResult> {
    for (let hop = 0; ; hop += 1) {
      try {
        return await ask(this.socket ?? this.connect());
      } catch (error) {
        const moved = error instanceof RequestError && error.code === 'MOVED' && error.location;
        if (!moved || hop >= 3) throw error;
        this.switchNode(error.location!);
      }
    }
  }

  /** Drops the current connection (it holds no seat) and talks to another node from now on. */
  private switchNode(url: string): void {
    this.socket?.removeAllListeners();
    this.socket?.io.removeAllListeners();
    this.socket?.disconnect();
    this.socket = undefined;
    this.currentUrl = url;
  }

  private async takeSeat(joined: JoinResult): Promise<JoinResult> {
    this.resumeToken = joined.resumeToken;
    this.updateSelf(joined.self);
    if (joined.admitted) await this.enterRoom(this.socket!, joined.admitted);
    else this.setState('waiting');
    return joined;
  }

  /**
   * Sends the microphone (Opus with FEC and DTX) and camera (VP8, three simulcast layers); while waiting in the
   * lobby the tracks are kept and sent once admitted.
   */
  async publish(stream: MediaStream): Promise<void> {
    this.localTracks = stream.getTracks();
    await this.produceLocalTracks();
  }

  async setMicrophoneEnabled(enabled: boolean): Promise<void> {
    await this.setSourceEnabled('microphone', enabled);
  }

  async setCameraEnabled(enabled: boolean): Promise<void> {
    await this.setSourceEnabled('camera', enabled);
  }

  get microphoneEnabled(): boolean {
    const producer = this.producers.get('microphone');
    return Boolean(producer && !producer.paused);
  }

  get cameraEnabled(): boolean {
    const producer = this.producers.get('camera');
    if (!producer) return false;
    return !producer.paused || (this.cameraHeldForUplink && !this.turnedOff.has('camera'));
  }

  /** No video either way, the voice stays: for a weak connection, or by choice. */
  setAudioOnly = (enabled: boolean) => this.call('setAudioOnly', { enabled });
  suggestAudioOnly = (participantId: string) => this.call('suggestAudioOnly', { participantId });

  /** Whether video is off, and why: `manual` (chosen), `downlink` or `uplink` (a weak connection). */
  get audioOnly() {
    return this.self?.link.audioOnly ?? null;
  }

  // Facilitator and co-facilitator controls. The server checks every one against its permission table.
  admit = (participantId: string) => this.call('admit', { participantId });
  admitAll = () => this.call('admitAll', {});
  deny = (participantId: string) => this.call('deny', { participantId });
  denyAll = () => this.call('denyAll', {});
  mute = (participantId: string) => this.call('mute', { participantId });
  muteAllClients = () => this.call('muteAllClients', {});
  askToUnmute = (participantId: string) => this.call('askToUnmute', { participantId });
  stopVideo = (participantId: string) => this.call('stopVideo', { participantId });
  askToStartVideo = (participantId: string) => this.call('askToStartVideo', { participantId });
  remove = (participantId: string) => this.call('remove', { participantId });
  promote = (participantId: string) => this.call('promote', { participantId });
  demote = (participantId: string) => this.call('demote', { participantId });
  handOver = (participantId: string) => this.call('handOver', { participantId });
  spotlight = (participantId: string | null) => this.call('spotlight', { participantId });
  lock = () => this.call('lock', {});
  unlock = () => this.call('unlock', {});
  end = () => this.call('end', {});
  auditLog = async (): Promise<AuditEntry[]> => (await this.call('getAuditLog', {})).entries;

  // Turn-taking. Hands are everyone's own; the rest is for facilitators and co-facilitators.
  raiseHand = async (): Promise<number> => (await this.call('raiseHand', {})).position;
  lowerHand = () => this.call('lowerHand', {});
  /** To a participant, or with `null` to the first raised hand. */
  grantFloor = (participantId: string | null) => this.call('grantFloor', { participantId });
  takeBackFloor = () => this.call('takeBackFloor', {});
  moveInQueue = (participantId: string, position: number) => this.call('moveInQueue', { participantId, position });
  removeFromQueue = (participantId: string) => this.call('removeFromQueue', { participantId });
  clearQueue = () => this.call('clearQueue', {});
  setFloorMode = (mode: FloorMode) => this.call('setFloorMode', { mode });
  setTurnLimit = (seconds: number | null) => this.call('setTurnLimit', { seconds });
  extendTurn = (seconds: number) => this.call('extendTurn', { seconds });

  /** 1-based place in the hand queue; 0 when the hand is down. */
  get handPosition(): number {
    return this.self && this.floor ? this.floor.queue.indexOf(this.self.participantId) + 1 : 0;
  }

  /** Whether the SFU lets this participant be heard now (a queue-mode room hears only the floor holder). */
  get mayBeHeard(): boolean {
    if (!this.self || !this.floor || this.floor.mode === 'open') return true;
    return this.self.role !== 'client' || this.floor.holder === this.self.participantId;
  }

  async leave(): Promise<void> {
    if (this.socket?.connected && this.self) await request(this.socket, 'leave', {}).catch(() => undefined);
    this.teardownMedia();
    this.socket?.disconnect();
    this.socket = undefined;
    this.setState('left');
  }

  /** Inbound RTP counters per remote stream (of one kind, or all), read from the receiving peer connection. */
  async inboundStats(kind?: MediaKind): Promise<InboundStat[]> {
    const stats: InboundStat[] = [];
    for (const consumer of this.consumers.values()) {
      if (kind && consumer.kind !== kind) continue;
      const report = await consumer.getStats();
      report.forEach((entry: { type: string; bytesReceived?: number; packetsReceived?: number; packetsLost?: number }) => {
        if (entry.type !== 'inbound-rtp') return;
        stats.push({
          consumerId: consumer.id,
          participantId: (consumer.appData as { participantId: string }).participantId,
          kind: consumer.kind as MediaKind,
          bytesReceived: entry.bytesReceived ?? 0,
          packetsReceived: entry.packetsReceived ?? 0,
          packetsLost: entry.packetsLost ?? 0,
        });
      });
    }
    return stats;
  }

  private connect(): CircleSocket {
    const socket: CircleSocket = io(this.currentUrl, {
      transports: ['websocket'],
      // Back within about 2 s of the network returning (a therapy group is waiting); the jitter keeps a room
      // whose connections dropped together from returning in one burst.
      reconnectionDelay: 500,
      reconnectionDelayMax: 2000,
      randomizationFactor: 0.5,
    });
    this.socket = socket;
    socket.on('peerJoined', (peer) => this.addPeer(peer));
    socket.on('peerLeft', ({ participantId }) => {
      this.peers.delete(participantId);
      for (const [consumerId, remote] of this.remoteTracks) {
        if (remote.participantId === participantId) this.dropConsumer(consumerId);
      }
      this.emit('peerLeft', { participantId });
    });
    socket.on('producerAdded', ({ participantId, producer }) => {
      this.updatePeerProducers(participantId, (producers) => [...producers, producer]);
      void this.consume(producer.producerId);
    });
    socket.on('producerRemoved', ({ participantId, producerId }) =>
      this.updatePeerProducers(participantId, (producers) => producers.filter((p) => p.producerId !== producerId)),
    );
    for (const [event, paused] of [['producerPaused', true], ['producerResumed', false]] as const) {
      socket.on(event, ({ participantId, producerId }) =>
        this.updatePeerProducers(participantId, (producers) =>
          producers.map((p) => (p.producerId === producerId ? { ...p, paused } : p)),
        ),
      );
    }
    socket.on('consumerClosed', ({ consumerId }) => this.dropConsumer(consumerId));
    socket.on('peerUpdated', (peer) => {
      this.peers.set(peer.participantId, peer);
      this.emit('peerUpdated', peer);
    });
    socket.on('selfUpdated', (self) => this.updateSelf(self));
    socket.on('roomUpdated', (room) => {
      this.room = room;
      this.emit('room', room);
    });
    socket.on('lobbyUpdated', ({ waiting }) => {
      this.lobby = waiting;
      this.emit('lobby', waiting);
    });
    socket.on('admitted', (view) => {
      this.enterRoom(socket, view).catch((error: Error) => this.emit('error', error));
    });
    socket.on('unmuteRequested', ({ kind }) => this.emit('unmuteRequested', kind));
    socket.on('audioOnlySuggested', () => this.emit('audioOnlySuggested'));
    socket.on('floorUpdated', (floor) => {
      this.floor = floor;
      this.emit('floor', floor);
    });
    socket.on('turnWarning', (warning) => this.emit('turnWarning', warning));
    socket.on('reconnectRequired', ({ reason }) => {
      this.beginRejoin(reason);
      // A node going away: come back through the entry, which sends the client to wherever the room runs next.
      if (reason !== 'media-worker-lost') this.switchNode(this.entryUrl);
      void this.completeRejoin();
    });
    // A dropped connection: socket.io-client reconnects with backoff and jitter; the server holds the seat
    // meanwhile (sessions.resumeGraceMs), and joining again with the same token takes it back.
    socket.on('disconnect', (reason) => {
      const deliberate = reason === 'io client disconnect' || reason === 'io server disconnect';
      if (!deliberate && this.token && (this.state === 'joined' || this.state === 'waiting')) {
        this.beginRejoin('connection-lost');
        // The node running the room may be gone; the entry knows where the room runs now.
        if (this.currentUrl !== this.entryUrl) {
          this.switchNode(this.entryUrl);
          this.connect().once('connect', () => void this.completeRejoin());
        }
      }
    });
    socket.io.on('reconnect', () => {
      if (this.state === 'rejoining') void this.completeRejoin();
    });
    socket.on('sessionEnded', ({ reason }) => {
      this.teardownMedia();
      this.endReason = reason;
      this.setState('ended');
      this.emit('ended', reason);
    });
    return socket;
  }

  private async call<K extends RequestName>(event: K, payload: RequestPayload<K>) {
    if (!this.socket) throw new Error('not connected');
    return request(this.socket, event, payload);
  }

  /** Someone to see: shown at once, their media received as soon as there is a receive transport. */
  private addPeer(peer: PeerInfo): void {
    this.peers.set(peer.participantId, peer);
    this.emit('peerJoined', peer);
    for (const producer of peer.producers) void this.consume(producer.producerId);
  }

  private updatePeerProducers(participantId: string, change: (producers: ProducerInfo[]) => ProducerInfo[]): void {
    const peer = this.peers.get(participantId);
    if (!peer) return;
    const updated = { ...peer, producers: change(peer.producers) };
    this.peers.set(participantId, updated);
    this.emit('peerUpdated', updated);
  }

  private updateSelf(self: SelfView): void {
    this.self = self;
    // The server already paused what a facilitator locked; match it locally so the UI and uplink agree.
    if (self.locks.audio) this.producers.get('microphone')?.pause();
    if (self.locks.video) this.producers.get('camera')?.pause();
    this.followUplinkAdvice();
    this.emit('self', self);
  }

  /**
   * The server pauses the camera at the SFU when the uplink is too weak for video; stopping it here as well
   * frees the uplink for the voice. It comes back when the server says the uplink recovered, unless the
   * participant or a facilitator turned it off meanwhile.
   */
  private followUplinkAdvice(): void {
    const camera = this.producers.get('camera');
    if (!camera || !this.self) return;
    if (!this.self.link.sendVideo && !camera.paused) {
      camera.pause();
      this.cameraHeldForUplink = true;
    } else if (this.self.link.sendVideo && this.cameraHeldForUplink) {
      this.cameraHeldForUplink = false;
      if (!this.turnedOff.has('camera') && !this.self.locks.video) camera.resume();
    }
  }

  /**
   * The browser's own readings for the server's audio-only decisions: its uplink estimate and round trip, and the
   * loss on its least lossy incoming audio stream since the last report (the downlink's own share: a stream's
   * loss may also include its sender's uplink).
   */
  private async reportStats(): Promise<void> {
    const transport = this.sendTransport ?? this.recvTransport;
    if (!transport || !this.socket?.connected || this.state !== 'joined') return;
    let uplinkBitrateBps: number | undefined;
    let roundTripTimeMs: number | undefined;
    (await transport.getStats()).forEach((entry: { type: string; nominated?: boolean; availableOutgoingBitrate?: number; currentRoundTripTime?: number }) => {
      if (entry.type !== 'candidate-pair' || !entry.nominated) return;
      if (this.sendTransport && entry.availableOutgoingBitrate !== undefined) uplinkBitrateBps = entry.availableOutgoingBitrate;
      if (entry.currentRoundTripTime !== undefined) roundTripTimeMs = entry.currentRoundTripTime * 1000;
    });
    const losses: number[] = [];
    for (const stat of await this.inboundStats('audio')) {
      const last = this.lastAudioCounts.get(stat.consumerId);
      this.lastAudioCounts.set(stat.consumerId, { lost: stat.packetsLost, received: stat.packetsReceived });
      if (!last) continue;
      const lost = Math.max(0, stat.packetsLost - last.lost);
      const expected = lost + stat.packetsReceived - last.received;
      if (expected >= 10) losses.push(lost / expected); // a silent (DTX) stream says nothing
    }
    const downlinkLoss = losses.length ? Math.min(...losses) : undefined;
    await request(this.socket, 'reportStats', { uplinkBitrateBps, roundTripTimeMs, downlinkLoss });
  }

  private async enterRoom(socket: CircleSocket, view: AdmittedView): Promise<void> {
    this.room = view.room;
    this.lobby = view.lobby;
    this.floor = view.floor;
    this.emit('floor', view.floor);
    this.emit('room', view.room);
    this.emit('lobby', view.lobby);
    // The peers as of admission; events from here on keep them current while the transports are built.
    this.peers.clear();
    for (const peer of view.peers) this.addPeer(peer);
    await this.setUpMedia(socket, view);
    const producers = [...this.peers.values()].flatMap((peer) => peer.producers);
    await Promise.all(producers.map((producer) => this.consume(producer.producerId)));
    this.setState('joined');
    const interval = this.options.statsIntervalMs ?? 2000;
    if (interval > 0 && !this.statsTimer) {
      this.statsTimer = setInterval(() => void this.reportStats().catch(() => undefined), interval);
    }
    await this.produceLocalTracks();
  }

  private async setUpMedia(socket: CircleSocket, joined: AdmittedView): Promise<void> {
    this.device = new Device();
    await this.device.load({
      routerRtpCapabilities: joined.routerRtpCapabilities as unknown as client.RtpCapabilities,
    });
    await request(socket, 'setRtpCapabilities', {
      rtpCapabilities: this.device.rtpCapabilities as RequestPayload<'setRtpCapabilities'>['rtpCapabilities'],
    });
    if (this.self?.role !== 'observer') this.sendTransport = await this.createTransport(socket, 'send');
    this.recvTransport = await this.createTransport(socket, 'recv');
  }

  /** Restarts ICE on both transports; the SDK does this by itself when a transport's connection fails. */
  async restartIce(): Promise<void> {
    for (const transport of [this.sendTransport, this.recvTransport]) {
      if (transport && !transport.closed) await this.restartTransportIce(transport);
    }
  }

  private async restartTransportIce(transport: client.Transport): Promise<void> {
    if (!this.socket) return;
    const { iceParameters } = await request(this.socket, 'restartIce', { transportId: transport.id });
    await transport.restartIce({ iceParameters: iceParameters as unknown as client.IceParameters });
  }

  private async createTransport(socket: CircleSocket, direction: 'send' | 'recv'): Promise<client.Transport> {
    const info: TransportInfo = await request(socket, 'createTransport', { direction });
    const options = info as unknown as client.TransportOptions;
    const transport =
      direction === 'send' ? this.device!.createSendTransport(options) : this.device!.createRecvTransport(options);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      request(socket, 'connectTransport', { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
    });
    // The media path failed while signaling lives on (a network switch): new ICE credentials, same transport.
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed') this.restartTransportIce(transport).catch((error: Error) => this.emit('error', error));
    });
    transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      const source = (appData as { source: MediaSource }).source;
      request(socket, 'produce', {
        transportId: transport.id,
        kind,
        rtpParameters: rtpParameters as unknown as RequestPayload<'produce'>['rtpParameters'],
        source,
      }).then(({ producerId }) => callback({ id: producerId }), errback);
    });
    return transport;
  }

  /**
   * Sends what is not being sent yet. Calls queue behind each other: admission and `publish` can ask at the same
   * moment, and two overlapping passes would produce one track twice.
   */
  private produceLocalTracks(): Promise<void> {
    const pass = this.producing.then(() => this.produceMissingTracks());
    this.producing = pass.catch(() => undefined);
    return pass;
  }

  private async produceMissingTracks(): Promise<void> {
    const transport = this.sendTransport;
    if (!transport) return;
    for (const track of this.localTracks) {
      const source: MediaSource = track.kind === 'audio' ? 'microphone' : 'camera';
      if (this.producers.has(source) || track.readyState === 'ended') continue;
      const producer = await transport.produce(
        source === 'microphone'
          ? { track, codecOptions: { opusFec: true, opusDtx: true }, stopTracks: false, appData: { source } }
          : {
              track,
              encodings: SIMULCAST,
              codecOptions: { videoGoogleStartBitrate: 1000 },
              stopTracks: false,
              // A paused camera sends nothing at all, which is the point on a weak uplink.
              zeroRtpOnPause: true,
              appData: { source },
            },
      );
      this.producers.set(source, producer);
      if (this.self?.locks[producer.kind as MediaKind]) producer.pause();
      else if (this.turnedOff.has(source)) await this.setSourceEnabled(source, false);
      else this.followUplinkAdvice();
    }
  }

  private async setSourceEnabled(source: MediaSource, enabled: boolean): Promise<void> {
    const producer = this.producers.get(source);
    if (!producer || !this.socket) return;
    await request(this.socket, enabled ? 'resumeProducer' : 'pauseProducer', { producerId: producer.id });
    if (enabled) this.turnedOff.delete(source);
    else this.turnedOff.add(source);
    const uplinkTooWeak = source === 'camera' && this.self?.link.sendVideo === false;
    if (enabled && uplinkTooWeak) this.cameraHeldForUplink = true;
    else if (enabled) producer.resume();
    else producer.pause();
  }

  /** Receives a producer once; before the receive transport exists, `enterRoom` catches up from `peers`. */
  private async consume(producerId: string): Promise<void> {
    const socket = this.socket;
    const transport = this.recvTransport;
    if (!socket || !transport || this.consuming.has(producerId)) return;
    this.consuming.add(producerId);
    try {
      const info: ConsumerInfo = await request(socket, 'consume', { producerId });
      const consumer = await transport.consume({
        id: info.consumerId,
        producerId: info.producerId,
        kind: info.kind,
        rtpParameters: info.rtpParameters as unknown as client.RtpParameters,
        appData: { participantId: info.participantId },
      });
      this.consumers.set(consumer.id, consumer);
      const remote: RemoteTrack = {
        consumerId: consumer.id,
        participantId: info.participantId,
        kind: info.kind,
        source: info.source,
        track: consumer.track,
      };
      this.remoteTracks.set(consumer.id, remote);
      await request(socket, 'resumeConsumer', { consumerId: consumer.id });
      this.emit('trackAdded', remote);
    } catch (error) {
      this.consuming.delete(producerId);
      this.emit('error', error as Error);
    }
  }

  private dropConsumer(consumerId: string): void {
    const remote = this.remoteTracks.get(consumerId);
    const consumer = this.consumers.get(consumerId);
    if (consumer) this.consuming.delete(consumer.producerId);
    consumer?.close();
    this.consumers.delete(consumerId);
    this.remoteTracks.delete(consumerId);
    if (remote) this.emit('trackRemoved', remote);
  }

  private beginRejoin(reason: ReconnectReason | 'connection-lost'): void {
    this.emit('reconnecting', reason);
    this.setState('rejoining');
    this.teardownMedia();
  }

  /**
   * Takes the seat back: by resume token while the server keeps it (this works after the join token has
   * expired), else by joining again with the join token.
   */
  private completeRejoin(): Promise<void> {
    // The reconnect and connect events can both ask for it; one run at a time.
    this.rejoinRun ??= this.rejoin().finally(() => (this.rejoinRun = undefined));
    return this.rejoinRun;
  }

  private async rejoin(): Promise<void> {
    for (let attempt = 0; this.token && this.state === 'rejoining'; attempt += 1) {
      try {
        const resumeToken = this.resumeToken;
        const resumed = resumeToken
          ? await this.followingMoves((socket) => request(socket, 'resume', { resumeToken })).catch((error: RequestError) => {
              if (error.code !== 'UNAUTHORIZED') throw error;
              this.resumeToken = undefined; // the seat is gone: join as new
              return undefined;
            })
          : undefined;
        if (resumed) await this.takeSeat(resumed);
        else await this.join(this.token);
        return;
      } catch (error) {
        this.emit('error', error as Error);
        this.setState('rejoining');
        // Backoff with jitter, so a whole room does not return in one burst.
        await new Promise((resolve) => setTimeout(resolve, Math.min(8000, 250 * 2 ** attempt) * (0.5 + Math.random())));
      }
    }
  }

  private teardownMedia(): void {
    clearInterval(this.statsTimer);
    this.statsTimer = undefined;
    this.lastAudioCounts.clear();
    this.cameraHeldForUplink = false;
    for (const consumerId of [...this.consumers.keys()]) this.dropConsumer(consumerId);
    this.consuming.clear();
    this.producers.forEach((producer) => producer.close());
    this.producers.clear();
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.sendTransport = this.recvTransport = undefined;
  }

  private setState(state: ClientState): void {
    this.state = state;
    this.emit('state', state);
  }
}
