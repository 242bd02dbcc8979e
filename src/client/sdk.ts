import type {
  DialIn,
  AdmittedView,
  AuditEntry,
  FloorMode,
  FloorView,
  IceServer,
  JoinResult,
  LobbyEntry,
  MediaKind,
  MessageAudience,
  PeerInfo,
  ReconnectReason,
  RoomView,
  SelfView,
  SessionEndReason,
} from '../protocol/events.js';
import type { CheckInAnswers } from '../protocol/check-in.js';
import type { TalkEntry } from '../protocol/talk.js';
import type { RequestName, RequestPayload } from '../protocol/schemas.js';
import { Connection, withBackoff } from './connection.js';
import { checkFromLobby, runConnectionCheck, type CheckOptions, type CheckResult } from './connection-check.js';
import { Emitter } from './emitter.js';
import { canEncrypt, Encryption } from './encryption.js';
import { LinkReporter } from './link-reporter.js';
import { Publisher } from './publisher.js';
import { RequestError, request, type CircleSocket } from './request.js';
import { RoomMirror } from './room-mirror.js';
import { Subscriber, type InboundStat, type RemoteTrack } from './subscriber.js';
import { VideoViews } from './video-views.js';
import { openTransports, restartTransportIce, type MediaTransports } from './transports.js';
import type { CircleClientOptions, ClientEvents, ClientState } from './client-types.js';

export type { CircleClientOptions, ClientEvents, ClientState, InboundStat, RemoteTrack };
/**
 * A participant's side of Circle: joins with a token, sends the local microphone and camera, receives
 * everyone else, and rejoins by itself when the server asks it to. A facade over its parts: the connection
 * (socket, moves between nodes), the room mirror (the room as the server tells it), the publisher, the
 * subscriber and the link reporter.
 */
export class CircleClient extends Emitter<ClientEvents> {
  state: ClientState = 'idle';
  endReason: SessionEndReason | undefined;
  /** Where this seat can be taken by telephone if the internet fails (show it before it does); from the join. */
  dialIn: DialIn | undefined;
  private readonly mirror = new RoomMirror();
  private readonly connection: Connection;
  /** End-to-end encryption, when the session has it: who holds the keys and the code to compare (event `changed`). */
  readonly encryption = new Encryption(this.mirror);
  private readonly publisher = new Publisher(() => this.mirror.self);
  private readonly subscriber = new Subscriber();
  private readonly reporter = new LinkReporter();
  private transports: MediaTransports | undefined;
  private rejoinRun: Promise<void> | undefined;
  private token: string | undefined;
  private resumeToken: string | undefined;
  /** The TURN relay and its credentials, from the latest join or resume (they expire: never kept past a rejoin). */
  private iceServers: IceServer[] = [];
  /** How the page draws the remote videos, told to the server (made at the first `watchVideo`). */
  private videoViews: VideoViews | undefined;

  constructor(private readonly options: CircleClientOptions = {}) {
    super();
    this.connection = new Connection(options.url ?? window.location.origin, (socket) => this.listen(socket), options.allowedOrigins);
    for (const event of ['peerJoined', 'peerLeft', 'peerUpdated', 'room', 'lobby', 'floor', 'activeSpeaker', 'talk'] as const) {
      this.mirror.on(event, (...args: unknown[]) => (this.emit as (e: string, ...a: unknown[]) => void)(event, ...args));
    }
    this.mirror.on('self', (self) => {
      // The server already paused what a facilitator locked or the uplink cannot carry; match it locally.
      this.publisher.reconcile();
      this.emit('self', self);
    });
    this.mirror.on('peerLeft', ({ participantId }) => this.subscriber.dropParticipant(participantId));
    this.mirror.on('producerAvailable', (producerId) => void this.subscriber.consume(producerId));
    this.subscriber.on('trackAdded', (track) => this.emit('trackAdded', track));
    this.subscriber.on('trackRemoved', (track) => (this.videoViews?.forget(track.consumerId), this.emit('trackRemoved', track)));
    this.subscriber.on('error', (error) => this.emit('error', error));
  }

  get self(): SelfView | undefined {
    return this.mirror.self;
  }
  get room(): RoomView | undefined {
    return this.mirror.room;
  }
  get lobby(): LobbyEntry[] {
    return this.mirror.lobby;
  }
  get floor(): FloorView | undefined {
    return this.mirror.floor;
  }
  /** Who is speaking in this participant's space (the group or their side room); null: no one yet. */
  get activeSpeaker(): string | null {
    return this.mirror.activeSpeaker;
  }
  get peers(): ReadonlyMap<string, PeerInfo> {
    return this.mirror.peers;
  }
  /** Staff: each person's speaking time and turns this session, by participant id (event `talk`). */
  get talk(): ReadonlyMap<string, TalkEntry> {
    return this.mirror.talk;
  }
  get remoteTracks(): ReadonlyMap<string, RemoteTrack> {
    return this.subscriber.remoteTracks;
  }
  /** 1-based place in the hand queue; 0 when the hand is down. */
  get handPosition(): number {
    return this.mirror.handPosition;
  }
  /** Whether the SFU lets this participant be heard now (a queue-mode room hears only the floor holder). */
  get mayBeHeard(): boolean {
    return this.mirror.mayBeHeard;
  }
  get microphoneEnabled(): boolean {
    return this.publisher.enabled('microphone');
  }
  get cameraEnabled(): boolean {
    return this.publisher.enabled('camera');
  }
  /** Whether video is off, and why: `manual` (chosen), `downlink` or `uplink` (a weak connection). */
  get audioOnly() {
    return this.mirror.self?.link.audioOnly ?? null;
  }
  /** Joins with a token; resolves in state `joined`, or `waiting` when the room admits clients from a lobby. */
  async join(token: string): Promise<JoinResult> {
    this.token = token;
    this.setState('joining');
    return this.takeSeat(await this.connection.followingMoves((socket) => request(socket, 'join', { token, e2ee: canEncrypt(), videoViews: this.options.adaptiveVideo !== false })));
  }
  /** The pre-session check: `stream`'s tracks to the SFU and back, no token, no room; what the path did, and a verdict. */
  check = (stream: MediaStream, options: CheckOptions = {}): Promise<CheckResult> =>
    runConnectionCheck(this.connection.open(), stream, { iceTransportPolicy: this.options.iceTransportPolicy, ...options });

  /** Sends the microphone and camera: kept until admitted, and meanwhile checked quietly for the staff to see. */
  publish = async (stream: MediaStream): Promise<void> => {
    await this.publisher.setTracks(stream.getTracks());
    if (this.state === 'waiting' && this.options.checkInLobby !== false) void checkFromLobby(this.connection.open(), stream, this.options.iceTransportPolicy).catch(() => undefined);
  };
  /** `element` draws the remote video `consumerId`: it gets the layer the element's size needs, none while unseen. */
  watchVideo = (consumerId: string, element: Element): void => {
    if (this.options.adaptiveVideo === false || !this.subscriber.remoteTracks.has(consumerId)) return;
    this.videoViews ??= new VideoViews((views) => this.call('setVideoViews', { views }).then(() => undefined));
    this.videoViews.watch(consumerId, element);
  };
  setMicrophoneEnabled = (enabled: boolean): Promise<void> => this.publisher.setEnabled('microphone', enabled);
  setCameraEnabled = (enabled: boolean): Promise<void> => this.publisher.setEnabled('camera', enabled);

  /** No video either way, the voice stays: for a weak connection, or by choice. */
  setAudioOnly = (enabled: boolean) => this.call('setAudioOnly', { enabled });
  suggestAudioOnly = (participantId: string) => this.call('suggestAudioOnly', { participantId });

  /** To 'everyone', 'staff', or `{ participantId }` (staff only). Never stored by the server. */
  sendMessage = (to: MessageAudience, text: string) => this.call('sendMessage', { to, text });
  setGroupMessages = (enabled: boolean) => this.call('setGroupMessages', { enabled });
  /** Staff: whether a call may go straight into a seat held for its own drop, or every call waits in the waiting room. */
  setPhoneEntry = (intoHeldSeats: boolean) => this.call('setPhoneEntry', { intoHeldSeats });
  /** Focus mode (staff): clients receive only the staff's video while on. */
  setFocus = (on: boolean) => this.call('setFocus', { on });
  /** Staff: whether clients are asked a safety check-in as they arrive. */
  setCheckIn = (ask: boolean) => this.call('setCheckIn', { ask });
  /** A client's safety check-in, while waiting or again later ("I moved"): only the staff see it. */
  checkIn = (answers: CheckInAnswers) => this.call('checkIn', answers);
  /** Staff: a break of 5, 10 or 15 minutes (clients' microphones and cameras paused at the SFU), or its early end. */
  startBreak = (minutes: 5 | 10 | 15) => this.call('startBreak', { minutes });
  endBreak = () => this.call('endBreak', {});
  /** The answer to `phoneJoinRequested`: whether the call joining as you is yours. */
  answerPhoneJoin = (accept: boolean) => this.call('answerPhoneJoin', { accept });
  removeMessage = (messageId: string) => this.call('removeMessage', { messageId });

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

  // Side rooms: step out privately with one or more people; everyone stays connected.
  openSideRoom = async (participantIds: string[]): Promise<string> => (await this.call('openSideRoom', { participantIds })).sideRoomId;
  closeSideRoom = (sideRoomId: string) => this.call('closeSideRoom', { sideRoomId });
  moveToSideRoom = (participantId: string, sideRoomId: string) => this.call('moveToSideRoom', { participantId, sideRoomId });
  returnToGroup = (participantId: string) => this.call('returnToGroup', { participantId });

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

  async leave(): Promise<void> {
    const socket = this.connection.socket;
    if (socket?.connected && this.mirror.self) await request(socket, 'leave', {}).catch(() => undefined);
    this.teardownMedia();
    this.connection.close();
    this.setState('left');
  }

  /** Inbound RTP counters per remote stream (of one kind, or all), read from the receiving peer connection. */
  inboundStats(kind?: MediaKind): Promise<InboundStat[]> {
    return this.subscriber.inboundStats(kind);
  }

  /** Restarts ICE on both transports; the SDK does this by itself when a transport's connection fails. */
  async restartIce(): Promise<void> {
    const socket = this.connection.socket;
    for (const transport of [this.transports?.send, this.transports?.recv]) {
      if (socket && transport && !transport.closed) await restartTransportIce(socket, transport);
    }
  }

  /** The events of each new socket: the room mirror follows the room's; these are the seat's and media's. */
  private listen(socket: CircleSocket): void {
    this.mirror.follow(socket);
    socket.on('e2ee', (message) => this.encryption.handle(message));
    socket.on('consumersClosed', ({ consumerIds }) => consumerIds.forEach((consumerId) => this.subscriber.drop(consumerId)));
    socket.on('admitted', (view) => {
      this.enterRoom(socket, view).catch((error: Error) => this.emit('error', error));
    });
    socket.on('unmuteRequested', ({ kind }) => this.emit('unmuteRequested', kind));
    socket.on('phoneJoinRequested', ({ expiresInMs }) => this.emit('phoneJoinRequested', expiresInMs));
    socket.on('dialInAttempts', (attempts) => this.emit('dialInAttempts', attempts));
    socket.on('audioOnlySuggested', () => this.emit('audioOnlySuggested'));
    socket.on('turnWarning', (warning) => this.emit('turnWarning', warning));
    socket.on('message', (message) => this.emit('message', message));
    socket.on('messageRemoved', (event) => this.emit('messageRemoved', event));
    socket.on('reconnectRequired', ({ reason }) => {
      this.beginRejoin(reason);
      // A node going away: come back through the entry, which sends the client to wherever the room runs next.
      if (reason !== 'media-worker-lost') this.connection.returnToEntry();
      void this.completeRejoin();
    });
    // A dropped connection: socket.io-client reconnects with backoff and jitter; the server holds the seat
    // meanwhile (sessions.resumeGraceMs), and joining again with the same token takes it back.
    socket.on('disconnect', (reason) => {
      const deliberate = reason === 'io client disconnect' || reason === 'io server disconnect';
      if (!deliberate && this.token && (this.state === 'joined' || this.state === 'waiting')) {
        this.beginRejoin('connection-lost');
        // The node running the room may be gone; the entry knows where the room runs now.
        if (this.connection.awayFromEntry) {
          this.connection.returnToEntry();
          this.connection.open().once('connect', () => void this.completeRejoin());
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
  }

  private call<K extends RequestName>(event: K, payload: RequestPayload<K>) {
    return this.connection.request(event, payload);
  }

  private async takeSeat(joined: JoinResult): Promise<JoinResult> {
    this.resumeToken = joined.resumeToken;
    this.dialIn = joined.dialIn ?? this.dialIn;
    this.iceServers = joined.iceServers ?? [];
    this.mirror.setSelf(joined.self);
    await this.encryption.seated(joined, this.options.e2eeWorkerUrl ?? 'e2ee-worker.js', (name, payload) => this.connection.request(name, payload as never)).catch((error: Error) => this.leave().then(() => Promise.reject(error)));
    if (joined.admitted) await this.enterRoom(this.connection.socket!, joined.admitted);
    else this.setState('waiting');
    return joined;
  }

  private async enterRoom(socket: CircleSocket, view: AdmittedView): Promise<void> {
    this.mirror.enter(view);
    const ice = { iceServers: this.iceServers, iceTransportPolicy: this.options.iceTransportPolicy ?? 'all' };
    this.transports = await openTransports(socket, view, this.mirror.self?.role !== 'observer', ice, (error) => this.emit('error', error), this.encryption.protectWhile);
    this.subscriber.attach(socket, this.transports.recv);
    // Producers announced while the transports were built are received now.
    await Promise.all(this.mirror.producers().map((producer) => this.subscriber.consume(producer.producerId)));
    this.setState('joined');
    const { send, recv } = this.transports;
    this.reporter.start(this.options.statsIntervalMs ?? 2000, {
      socket,
      sendTransport: send,
      recvTransport: recv,
      audioStats: () => this.subscriber.inboundStats('audio'),
    });
    if (send) await this.publisher.attach(socket, send);
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
    this.rejoinRun ??= withBackoff(
      () => this.rejoinOnce(),
      () => Boolean(this.token) && this.state === 'rejoining',
      (error) => {
        this.emit('error', error);
        this.setState('rejoining');
      },
    ).finally(() => (this.rejoinRun = undefined));
    return this.rejoinRun;
  }

  private async rejoinOnce(): Promise<void> {
    const resumeToken = this.resumeToken;
    const resumed = resumeToken
      ? await this.connection
          .followingMoves((socket) => request(socket, 'resume', { resumeToken, e2ee: canEncrypt(), videoViews: this.options.adaptiveVideo !== false }))
          .catch((error: RequestError) => {
            if (error.code !== 'UNAUTHORIZED') throw error;
            this.resumeToken = undefined; // the seat is gone: join as new
            return undefined;
          })
      : undefined;
    if (resumed) await this.takeSeat(resumed);
    else await this.join(this.token!);
  }

  private teardownMedia(): void {
    this.reporter.stop();
    this.subscriber.detach();
    this.publisher.detach();
    this.transports?.send?.close();
    this.transports?.recv.close();
    this.transports = undefined;
  }

  private setState(state: ClientState): void {
    this.state = state;
    this.emit('state', state);
  }
}
