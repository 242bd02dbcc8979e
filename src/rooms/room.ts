import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import type { Identity } from '../auth/tokens.js';
import { ParticipantMedia, type BotTransportInfo, type Direction, type TransportSettings } from '../media/participant-media.js';
import type { MediaWorker } from '../media/worker-pool.js';
import type {
  AdmittedView,
  ConsumerInfo,
  JoinResult,
  LobbyEntry,
  MediaKind,
  MediaSource,
  ModerationAction,
  ReconnectReason,
  RoomView,
  SessionEndReason,
  TransportInfo,
} from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import { isModerator, type Role } from '../protocol/roles.js';
import { LinkQuality, type QualitySettings } from '../quality/link-quality.js';
import { RoomQuality, type QualityHooks } from '../quality/room-quality.js';
import { SeatHolds } from '../sessions/seat-holds.js';
import { Floor, type GrantSource } from './floor.js';
import { Moderation } from './moderation.js';
import { TurnTaking } from './turn-taking.js';
import { Participant, type ParticipantChannel, type ServerEventArgs, type ServerEventName } from './participant.js';
import { authorize } from './permissions.js';
import type { RoomRecord } from './room-record.js';

export interface RoomSettings {
  maxParticipants: number;
  transport: Omit<TransportSettings, 'webRtcServer'>;
  /** Clients wait in the lobby until a facilitator or co-facilitator admits them. */
  requireAdmission: boolean;
  observersVisibleToClients: boolean;
  /** How long a room may lack a facilitator before it is put on hold. */
  facilitatorAbsenceMs: number;
  /** How long before a timed turn ends its holder and the staff are warned. */
  turnWarningMs: number;
  /** How long the seat of someone whose connection dropped is kept for them. */
  resumeGraceMs: number;
  /** Whether load-test bots may open plain RTP transports (benchmarks only). */
  botTransports: boolean;
  /** When video steps down to audio-only and back, per participant and direction. */
  quality: QualitySettings;
  qualityHooks: Omit<QualityHooks, 'onError'>;
  /** A forwarded stream's quality score (0–10) changed. */
  onConsumerScore: (score: number) => void;
  onModeration: (action: ModerationAction) => void;
  onFloorGrant: (source: GrantSource, waitedMs: number | null) => void;
  /** How a held or duplicated seat ended: its owner came back, the grace ran out, or a newer connection took it. */
  onSeatOutcome: (outcome: 'resumed' | 'expired' | 'replaced') => void;
  /** A failure in work no request waits for (a timer, an event): logged, never thrown into the void. */
  onError: (error: unknown, during: string) => void;
}

type RoomEvents = { empty: []; closed: [] };

/**
 * One group session: a mediasoup router and the participants in it. The room decides who may see whom:
 * a waiting client sees no one; observers are hidden from clients unless the room says otherwise.
 */
export class Room extends EventEmitter<RoomEvents> {
  readonly participants = new Map<string, Participant>();
  readonly moderation: Moderation;
  readonly floor: Floor;
  readonly turns: TurnTaking;
  readonly quality: RoomQuality;
  private onHold = false;
  private absenceTimer: NodeJS.Timeout | undefined;
  private readonly seatHolds: SeatHolds<Participant>;
  /** The SFU catching up with the latest change of floor holder. */
  private floorSync: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    readonly id: string,
    readonly router: types.Router,
    readonly mediaWorker: MediaWorker,
    readonly settings: RoomSettings,
    readonly record: RoomRecord,
  ) {
    super();
    this.moderation = new Moderation(this);
    this.seatHolds = new SeatHolds(settings.resumeGraceMs);
    this.floor = new Floor(record.floor, settings.turnWarningMs);
    this.turns = new TurnTaking(this);
    this.quality = new RoomQuality(this, settings.quality, { ...settings.qualityHooks, onError: settings.onError });
    this.floor.on('changed', () => {
      const view = this.floor.view();
      for (const participant of this.admittedParticipants()) participant.channel.send('floorUpdated', view);
    });
    this.floor.on('holderChanged', (previous, next) => {
      const syncs = [previous, next].map((id) => {
        const participant = id ? this.participants.get(id) : undefined;
        return participant ? this.syncProducers(participant, 'audio') : undefined;
      });
      this.floorSync = Promise.all(syncs).then(
        () => undefined,
        (error) => settings.onError(error, 'floor change'),
      );
    });
    this.floor.on('granted', (_id, source, waitedMs) => settings.onFloorGrant(source, waitedMs));
    this.floor.on('warning', (holder, endsAt) => {
      const warning = { holder, endsAt: new Date(endsAt).toISOString() };
      const holderSeat = this.participants.get(holder);
      for (const participant of new Set([...this.moderators(), ...(holderSeat ? [holderSeat] : [])])) {
        participant.channel.send('turnWarning', warning);
      }
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get isOnHold(): boolean {
    return this.onHold;
  }

  join(identity: Identity, channel: ParticipantChannel): Participant {
    if (this.closed) throw new CircleError('UNAVAILABLE', 'the room is closing; join again');
    const previous = this.participants.get(identity.participantId);
    assertMayEnter(this.record, identity, previous !== undefined);
    if (!previous && this.participants.size >= this.settings.maxParticipants) {
      throw new CircleError('ROOM_FULL', 'the room is full');
    }
    const link = new LinkQuality(this.settings.quality);
    const media = new ParticipantMedia(
      this.router,
      { ...this.settings.transport, webRtcServer: this.mediaWorker.webRtcServer },
      () => link.receiveLayers,
    );
    media.on('consumerScore', this.settings.onConsumerScore);
    const participant = new Participant(identity, media, channel, link);
    const held = previous ? undefined : this.record.takeHeldSeat(identity.participantId);
    if (previous) {
      // The same person is back (a resumed connection, a reload, a new tab): the newest connection takes the
      // seat as it stands, position in the queue and the floor included. The others see no leave and no join.
      participant.restore(previous.seatState());
      this.vacate(previous);
      if (previous.connection === 'connected') previous.channel.end('replaced-by-new-session');
      this.settings.onSeatOutcome(previous.connection === 'reconnecting' ? 'resumed' : 'replaced');
    } else if (held) {
      participant.restore(held);
    } else {
      participant.admitted = !this.mustWait(participant.role);
    }
    this.participants.set(participant.id, participant);
    this.record.touch();
    if (previous && participant.admitted) this.peerChanged(participant);
    else if (participant.admitted) this.announceAdmitted(participant);
    else this.lobbyChanged();
    if (participant.role === 'facilitator') this.facilitatorArrived();
    return participant;
  }

  joinResult(participant: Participant, resumeToken: string): JoinResult {
    return {
      resumeToken,
      participantId: participant.id,
      role: participant.role,
      displayName: participant.identity.displayName,
      self: participant.selfView(),
      ...(participant.admitted ? { admitted: this.admittedView(participant) } : {}),
    };
  }

  leave(participant: Participant): void {
    if (this.participants.get(participant.id) !== participant) return;
    this.remove(participant);
  }

  /**
   * The participant's connection dropped: their media goes, their seat stays for `resumeGraceMs`, and the
   * others see them as reconnecting rather than gone. Only when the grace runs out do they leave.
   */
  holdSeat(participant: Participant): void {
    if (this.participants.get(participant.id) !== participant) return;
    participant.connection = 'reconnecting';
    this.dropMedia(participant);
    if (participant.admitted) this.peerChanged(participant);
    this.seatHolds.hold(participant, () => {
      this.settings.onSeatOutcome('expired');
      this.leave(participant);
    });
  }

  /** Takes a participant out for good this session: told why, then disconnected. */
  dismiss(participant: Participant, reason: SessionEndReason): void {
    this.leave(participant);
    participant.channel.end(reason);
  }

  admit(participant: Participant): void {
    participant.admitted = true;
    this.announceAdmitted(participant);
    participant.channel.send('admitted', this.admittedView(participant));
    participant.channel.send('selfUpdated', participant.selfView());
    this.lobbyChanged();
  }

  waiting(): Participant[] {
    return [...this.participants.values()].filter((p) => !p.admitted);
  }

  admittedParticipants(): Participant[] {
    return [...this.participants.values()].filter((p) => p.admitted);
  }

  /** Changes a role; resolves once the SFU applies what the new role may send (in a one-speaker room). */
  async setRole(participant: Participant, role: Role): Promise<void> {
    const before = new Set(this.visibleTo(participant).map((p) => p.id));
    participant.role = role;
    for (const viewer of this.viewersOf(participant)) viewer.channel.send('peerUpdated', this.describe(viewer, participant));
    participant.channel.send('selfUpdated', participant.selfView());
    const after = this.visibleTo(participant);
    for (const peer of after) if (!before.has(peer.id)) participant.channel.send('peerJoined', this.describe(participant, peer));
    const afterIds = new Set(after.map((p) => p.id));
    for (const id of before) if (!afterIds.has(id)) participant.channel.send('peerLeft', { participantId: id });
    if (isModerator(role)) participant.channel.send('lobbyUpdated', { waiting: this.lobbyEntries() });
    if (role === 'facilitator') this.facilitatorArrived();
    else this.checkFacilitatorPresence();
    // In a one-speaker room staff are always heard, clients only with the floor.
    await this.syncProducers(participant, 'audio');
  }

  /**
   * A facilitator's lock: pauses the participant's producers of that kind at the SFU. It also counts as the
   * participant having turned it off, so lifting the lock later turns nothing on.
   */
  async lockMedia(participant: Participant, kind: MediaKind): Promise<void> {
    participant.locks[kind] = true;
    participant.wants[kind] = false;
    await this.syncProducers(participant, kind);
    this.privateStateChanged(participant);
  }

  /** Lifts the lock; the producer stays paused until the participant resumes it: no one else turns a mic on. */
  unlockMedia(participant: Participant, kind: MediaKind): void {
    participant.locks[kind] = false;
    this.privateStateChanged(participant);
  }

  /**
   * Whether the SFU forwards this participant's `kind` now: their wish, the facilitator's lock, the floor, and
   * for video whether their uplink carries it.
   */
  mayFlow(participant: Participant, kind: MediaKind): boolean {
    if (!participant.wants[kind] || participant.locks[kind]) return false;
    if (kind === 'video') return participant.link.sendVideo;
    if (this.floor.mode === 'open' || isModerator(participant.role)) return true;
    return this.floor.holder === participant.id;
  }

  /** Brings the participant's producers of `kind` in line with `mayFlow`, telling those who see them. */
  async syncProducers(participant: Participant, kind: MediaKind): Promise<void> {
    const flow = this.mayFlow(participant, kind);
    for (const producer of participant.media.producers.values()) {
      if (producer.kind !== kind || producer.closed || producer.paused === !flow) continue;
      try {
        if (flow) await producer.resume();
        else await producer.pause();
      } catch (error) {
        if (producer.closed) continue; // its owner left meanwhile: nothing left to pause
        throw error;
      }
      const event = flow ? 'producerResumed' : 'producerPaused';
      this.notifyViewers(participant, event, { participantId: participant.id, producerId: producer.id });
    }
  }

  /** Resolves once the SFU pauses and resumes what the latest floor change asks for. */
  floorSettled(): Promise<void> {
    return this.floorSync;
  }

  /** Appends a carried-out moderation action to the audit log (ids only) and counts it. */
  recordAction(actor: Participant, action: ModerationAction, target?: Participant): void {
    this.record.log(actor.id, action, target?.id);
    this.settings.onModeration(action);
  }

  broadcastRoomView(): void {
    const view = this.roomView();
    for (const participant of this.admittedParticipants()) participant.channel.send('roomUpdated', view);
  }

  roomView(): RoomView {
    return {
      locked: this.record.locked,
      onHold: this.onHold,
      started: this.record.started,
      spotlight: this.record.spotlight,
    };
  }

  async createTransport(participant: Participant, direction: Direction): Promise<TransportInfo> {
    this.requireAdmitted(participant);
    if (direction === 'send') authorize(participant.role, 'sendMedia');
    return participant.media.createTransport(direction);
  }

  /** A load-test bot's plain RTP transport; refused unless the node was started with `load.botTransports`. */
  async createBotTransport(participant: Participant, direction: Direction): Promise<BotTransportInfo> {
    this.requireBotTransports(participant);
    if (direction === 'send') authorize(participant.role, 'sendMedia');
    return participant.media.createBotTransport(direction);
  }

  async connectBotTransport(
    participant: Participant,
    request: { transportId: string; ip: string; port: number; srtpKeyBase64: string },
  ): Promise<void> {
    this.requireBotTransports(participant);
    await participant.media.connectBotTransport(request.transportId, request.ip, request.port, request.srtpKeyBase64);
  }

  async connectTransport(participant: Participant, transportId: string, dtls: types.DtlsParameters): Promise<void> {
    this.requireAdmitted(participant);
    await participant.media.connectTransport(transportId, dtls);
  }

  async restartIce(participant: Participant, transportId: string): Promise<types.IceParameters> {
    this.requireAdmitted(participant);
    return participant.media.restartIce(transportId);
  }

  async produce(
    participant: Participant,
    request: { transportId: string; kind: MediaKind; rtpParameters: types.RtpParameters; source: MediaSource },
  ): Promise<string> {
    this.requireAdmitted(participant);
    authorize(participant.role, 'sendMedia');
    participant.wants[request.kind] = !participant.locks[request.kind];
    const producer = await participant.media.produce(
      request.transportId,
      request.kind,
      request.rtpParameters,
      request.source,
      !this.mayFlow(participant, request.kind),
    );
    this.notifyViewers(participant, 'producerAdded', { participantId: participant.id, producer });
    return producer.producerId;
  }

  async setProducerPaused(participant: Participant, producerId: string, paused: boolean): Promise<void> {
    const producer = participant.media.producer(producerId);
    if (!paused && participant.locks[producer.kind]) {
      throw new CircleError('FORBIDDEN', `your ${producer.kind === 'audio' ? 'microphone' : 'camera'} was turned off by a facilitator`);
    }
    participant.wants[producer.kind] = !paused;
    await this.syncProducers(participant, producer.kind);
  }

  closeProducer(participant: Participant, producerId: string): void {
    participant.media.producer(producerId).close();
    this.notifyViewers(participant, 'producerRemoved', { participantId: participant.id, producerId });
  }

  /** Only producers of participants this one can see are found, so no one consumes across rooms or the lobby. */
  async consume(participant: Participant, producerId: string): Promise<ConsumerInfo> {
    this.requireAdmitted(participant);
    for (const owner of this.visibleTo(participant)) {
      const producer = owner.media.producers.get(producerId);
      if (producer) return participant.media.consume(producer, owner.id);
    }
    throw new CircleError('NOT_FOUND', 'no such producer in this room');
  }

  /** Closes the router; anyone still inside is told why and asked to reconnect, and keeps their seat. */
  close(reason: ReconnectReason): void {
    this.shutDown((participant) => {
      const until = Date.now() + this.settings.resumeGraceMs;
      this.record.heldSeats.set(participant.id, { seat: participant.seatState(), until });
      participant.channel.send('reconnectRequired', { reason });
      participant.channel.detach();
    });
  }

  /** The facilitator ended the session: everyone leaves, and no one can join this room again. */
  end(): void {
    this.record.ended = true;
    this.record.touch();
    this.shutDown((participant) => participant.channel.end('ended'));
  }

  /** Someone who may see `subject`, and `subject` is someone they may see. */
  canSee(viewer: Participant, subject: Participant): boolean {
    if (viewer === subject || !viewer.admitted || !subject.admitted) return false;
    if (subject.role !== 'observer') return true;
    return viewer.role !== 'client' || this.settings.observersVisibleToClients;
  }

  moderators(): Participant[] {
    return this.admittedParticipants().filter((p) => isModerator(p.role));
  }

  lobbyEntries(): LobbyEntry[] {
    return this.waiting().map((p) => ({
      participantId: p.id,
      displayName: p.identity.displayName,
      waitingSince: p.waitingSince.toISOString(),
    }));
  }

  private admittedView(participant: Participant): AdmittedView {
    return {
      routerRtpCapabilities: this.router.rtpCapabilities,
      peers: this.visibleTo(participant).map((peer) => this.describe(participant, peer)),
      room: this.roomView(),
      lobby: isModerator(participant.role) ? this.lobbyEntries() : [],
      floor: this.floor.view(),
    };
  }

  private mustWait(role: Role): boolean {
    if (role !== 'client') return false;
    return this.settings.requireAdmission || !this.record.started;
  }

  private requireBotTransports(participant: Participant): void {
    if (!this.settings.botTransports) throw new CircleError('FORBIDDEN', 'bot transports are disabled on this node');
    this.requireAdmitted(participant);
  }

  requireAdmitted(participant: Participant): void {
    if (!participant.admitted) throw new CircleError('NOT_ADMITTED', 'you are waiting to be admitted');
  }

  private describe(viewer: Participant, subject: Participant) {
    return subject.describe(isModerator(viewer.role));
  }

  private visibleTo(viewer: Participant): Participant[] {
    return [...this.participants.values()].filter((subject) => this.canSee(viewer, subject));
  }

  private viewersOf(subject: Participant): Participant[] {
    return [...this.participants.values()].filter((viewer) => this.canSee(viewer, subject));
  }

  private notifyViewers<E extends ServerEventName>(subject: Participant, event: E, ...args: ServerEventArgs<E>): void {
    for (const viewer of this.viewersOf(subject)) viewer.channel.send(event, ...args);
  }

  private announceAdmitted(participant: Participant): void {
    this.record.admitted.add(participant.id);
    for (const viewer of this.viewersOf(participant)) {
      viewer.channel.send('peerJoined', this.describe(viewer, participant));
    }
  }

  /** What the participant and the staff see of them changed (locks, link): clients see none of it of others. */
  privateStateChanged(participant: Participant): void {
    participant.channel.send('selfUpdated', participant.selfView());
    for (const moderator of this.moderators()) {
      if (moderator !== participant) moderator.channel.send('peerUpdated', participant.describe(true));
    }
  }

  private peerChanged(participant: Participant): void {
    for (const viewer of this.viewersOf(participant)) viewer.channel.send('peerUpdated', this.describe(viewer, participant));
  }

  /** Ends a connection's hold on its seat: its media closes (the others are told) and its grace timer stops. */
  private vacate(participant: Participant): void {
    this.seatHolds.release(participant);
    this.dropMedia(participant);
  }

  private dropMedia(participant: Participant): void {
    for (const producerId of participant.media.producers.keys()) {
      this.notifyViewers(participant, 'producerRemoved', { participantId: participant.id, producerId });
    }
    participant.media.close();
  }

  private lobbyChanged(): void {
    const waiting = this.lobbyEntries();
    for (const moderator of this.moderators()) moderator.channel.send('lobbyUpdated', { waiting });
  }

  private remove(participant: Participant): void {
    const viewers = this.viewersOf(participant);
    this.participants.delete(participant.id);
    this.vacate(participant);
    for (const viewer of viewers) viewer.channel.send('peerLeft', { participantId: participant.id });
    if (!participant.admitted) this.lobbyChanged();
    if (this.record.spotlight === participant.id) {
      this.record.spotlight = null;
      this.broadcastRoomView();
    }
    if (participant.role === 'facilitator') this.checkFacilitatorPresence();
    this.floor.participantLeft(participant.id);
    if (this.participants.size === 0) this.emit('empty');
  }

  private facilitatorArrived(): void {
    clearTimeout(this.absenceTimer);
    this.absenceTimer = undefined;
    const changed = this.onHold || !this.record.started;
    this.onHold = false;
    this.record.started = true;
    if (!this.settings.requireAdmission) for (const participant of this.waiting()) this.admit(participant);
    if (changed) this.broadcastRoomView();
  }

  private checkFacilitatorPresence(): void {
    const present = [...this.participants.values()].some((p) => p.role === 'facilitator');
    if (present || this.absenceTimer || this.closed) return;
    // Co-facilitators keep authority meanwhile; only a long absence puts the room on hold.
    this.absenceTimer = setTimeout(() => {
      this.absenceTimer = undefined;
      this.onHold = true;
      this.broadcastRoomView();
    }, this.settings.facilitatorAbsenceMs);
    this.absenceTimer.unref();
  }

  private shutDown(farewell: (participant: Participant) => void): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.absenceTimer);
    this.quality.dispose();
    this.seatHolds.clear();
    this.floor.dispose();
    for (const participant of this.participants.values()) {
      farewell(participant);
      participant.media.close();
    }
    this.participants.clear();
    this.router.close();
    this.emit('closed');
  }
}

/** Refusals that depend only on the room's record: an ended session, a removed participant, a lock. */
export function assertMayEnter(record: RoomRecord, identity: Identity, seated: boolean): void {
  if (record.ended) throw new CircleError('SESSION_ENDED', 'this session has ended');
  if (record.removed.has(identity.participantId)) {
    throw new CircleError('REMOVED', 'you were removed from this session');
  }
  // A lock keeps newcomers out, even of the lobby; staff and anyone already admitted this session may return.
  const id = identity.participantId;
  const returning = seated || identity.role !== 'client' || record.admitted.has(id) || record.holdsSeatFor(id);
  if (record.locked && !returning) throw new CircleError('ROOM_LOCKED', 'the room is locked');
}
