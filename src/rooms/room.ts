import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import type { Identity } from '../auth/tokens.js';
import { ActiveSpeakers } from '../media/active-speakers.js';
import { ParticipantMedia } from '../media/participant-media.js';
import { SpeechLevels } from '../media/speech-levels.js';
import { Messaging } from './messaging.js';
import type { MediaWorker } from '../media/worker-pool.js';
import type { AdmittedView, JoinResult, MediaKind, ReconnectReason, RoomView, SessionEndReason } from '../protocol/events.js';
import type { ModerationAction } from '../protocol/moderation-actions.js';
import { CircleError } from '../protocol/errors.js';
import { isModerator, type Role } from '../protocol/roles.js';
import { LinkQuality } from '../quality/link-quality.js';
import type { RoomQuality } from './room-quality.js';
import { GraceTimers } from '../sessions/grace-timers.js';
import { ActorBudget } from './actor-budget.js';
import { BreakClock } from './break-clock.js';
import { CallLegs } from './call-legs.js';
import { CheckIns } from './check-ins.js';
import { Audience } from './audience.js';
import { FacilitatorPresence } from './facilitator-presence.js';
import { Floor } from './floor.js';
import { FloorFollower } from './floor-follower.js';
import { VideoPriorities } from './video-priorities.js';
import { Moderation } from './moderation.js';
import { Participant, type ParticipantChannel } from './participant.js';
import type { RoomRecord } from './room-record.js';
import { roomLinkQuality } from './room-link-quality.js';
import { RoomMedia } from './room-media.js';
import { RoomViews } from './room-views.js';
import { ADMINISTRATOR, type ModerationPort, type ParticipationEvent, type RoomObserverEvents, type SideRoomPort, type TurnTakingPort } from './room-port.js';
import type { RoomSettings } from './room-settings.js';
import { circleSeatOf, memberChannel, RoomCircles } from './room-circles.js';
import { SideRooms } from './side-rooms.js';
import { TalkBalance } from './talk-balance.js';
import { TurnTaking } from './turn-taking.js';
import type { E2eeDialIn, E2eeMode, KeyDeliveryMessage } from '../protocol/e2ee.js';

type RoomEvents = { empty: []; closed: [] };

/**
 * One group session: a mediasoup router and the participants in it. The room keeps who is inside and in what
 * seat, and carries out the changes its rules (moderation, turn-taking, link quality) decide on, through the
 * narrow ports those rules see. Who sees whom is the audience's; what flows is the room media's.
 */
export class Room extends EventEmitter<RoomEvents> implements ModerationPort, TurnTakingPort, SideRoomPort {
  readonly participants = new Map<string, Participant>();
  readonly moderation: Moderation;
  readonly floor: Floor;
  readonly turns: TurnTaking;
  readonly quality: RoomQuality;
  readonly media: RoomMedia;
  readonly messaging: Messaging;
  /** Clients' safety check-ins, in memory only. */
  readonly checkIns: CheckIns;
  readonly breaks: BreakClock;
  private readonly talk: TalkBalance;
  readonly sideRooms: SideRooms;
  /** Calls carrying the voice of seats whose pages are in. */
  readonly callLegs: CallLegs;
  /** What the room tells metrics and logs; nothing inside depends on who listens. */
  readonly observer = new EventEmitter<RoomObserverEvents>();
  /** End-to-end encryption in this session: `off`, or whether a browser that cannot encrypt is let in. */
  readonly e2eeMode: E2eeMode;
  /** Whether an encrypted session takes calls, the bridge then a member of its circles for each. */
  readonly e2eeDialIn: E2eeDialIn;
  /** The circles of keys (the group's and each side room's); none while the session is not encrypted. */
  readonly circles: RoomCircles | undefined;
  private readonly audience: Audience;
  private readonly presence: FacilitatorPresence;
  private readonly graceTimers: GraceTimers<Participant>;
  private readonly floorFollower: FloorFollower;
  private readonly views: RoomViews;
  private readonly priorities: VideoPriorities;
  private closed = false;

  constructor(
    readonly id: string,
    readonly router: types.Router,
    readonly mediaWorker: MediaWorker,
    readonly settings: RoomSettings,
    readonly record: RoomRecord,
  ) {
    super();
    this.audience = new Audience(this.participants, {
      observersVisibleToClients: settings.observersVisibleToClients,
      focused: () => record.focus,
      checkInOf: (participantId) => this.checkIns.of(participantId),
    });
    this.checkIns = new CheckIns(this.audience);
    this.floor = new Floor(record.floor, settings.turnWarningMs);
    this.priorities = new VideoPriorities(
      { participant: (id) => this.participants.get(id), admitted: () => this.audience.admitted(), speakerIn: (space) => speakers.speakerIn(space), floorHolder: () => this.floor.holder },
      (error) => this.observer.emit('taskFailed', error, 'video priorities'),
    );
    const speakers = new ActiveSpeakers(router, (space, participantId) => {
      this.audience.notifySpace(space, 'activeSpeaker', { participantId });
      this.priorities.speakerChanged(participantId);
    });
    this.floor.on('holderChanged', () => this.priorities.changed());
    this.talk = new TalkBalance(this.audience, (spoken) => this.observer.emit('talk', spoken));
    const levels = settings.talkBalance ? new SpeechLevels(router, (participantId, ms) => this.talk.heard(participantId, ms)) : undefined;
    this.breaks = new BreakClock(record, (onBreak) => this.breakChanged(onBreak), (error) => this.observer.emit('taskFailed', error, 'break'));
    this.media = new RoomMedia(this.audience, this.floor, speakers, settings.botTransports, () => this.breaks.onBreak, levels);
    const budget = new ActorBudget(settings.moderationPerSecond, settings.moderationBurst);
    this.moderation = new Moderation(this, budget);
    this.turns = new TurnTaking(this, budget);
    this.sideRooms = new SideRooms(this, budget);
    this.messaging = new Messaging(this, budget, settings.messages, (audience) => this.observer.emit('message', audience));
    this.graceTimers = new GraceTimers(settings.resumeGraceMs);
    this.presence = new FacilitatorPresence(settings.facilitatorAbsenceMs, () => this.roomViewChanged());
    const unencrypted = () => (this.e2eeMode === 'preferred' ? this.admittedParticipants().filter((p) => !p.connectionChannel.canEncrypt).map((p) => p.id) : []);
    this.views = new RoomViews(router, this.audience, this.floor, speakers, record, () => this.presence.onHold, this.talk, unencrypted);
    this.quality = roomLinkQuality(this.participants, this.audience, this.media, settings.quality, this.observer);
    this.floorFollower = new FloorFollower(this.floor, this, this.audience, this.media, this.observer);
    const voiceMoved = (participant: Participant) => {
      if (participant.admitted) this.circles?.seated(circleSeatOf(participant));
    };
    this.callLegs = new CallLegs(this.media, this.audience, () => this.createMedia(() => 0), this.observer, voiceMoved);
    const keyPort = {
      tell: (memberId: string, message: KeyDeliveryMessage) => memberChannel(memberId, (id) => this.participants.get(id))?.send('e2ee', message),
    };
    // Chosen before the session opens (the clinic's, else the node's) and kept while it runs: keys are agreed from
    // the first member on.
    ({ e2eeMode: this.e2eeMode, e2eeDialIn: this.e2eeDialIn } = record.settingsOver(settings));
    this.circles = this.e2eeMode === 'off' ? undefined : new RoomCircles(keyPort);
    // A worker that dies takes its routers with it: mediasoup tells the router, and the room closes itself.
    router.on('workerclose', () => this.close('media-worker-lost'));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get isOnHold(): boolean {
    return this.presence.onHold;
  }

  participant(participantId: string): Participant | undefined {
    return this.participants.get(participantId);
  }

  /** `declaresViews`: the page says the size of each video it shows (see `ReceivePolicy.startsSmall`). */
  join(identity: Identity, channel: ParticipantChannel, { declaresViews = false } = {}): Participant {
    if (this.closed) throw new CircleError('UNAVAILABLE', 'the room is closing; join again');
    const previous = this.participants.get(identity.participantId);
    this.record.assertMayEnter(identity, previous !== undefined);
    // A call to a seat whose page is connected: the page is asked; once it says yes, the call carries the voice and
    // the page keeps the video. A seat a call holds, or whose voice a call carries, takes no other.
    if (channel.isCall && previous && (previous.connection === 'connected' || previous.callLeg)) return this.callLegs.ask(previous, channel);
    if (!previous && this.participants.size >= this.record.settingsOver(this.settings).maxParticipants) {
      throw new CircleError('ROOM_FULL', 'the room is full');
    }
    const link = new LinkQuality(this.settings.quality);
    const media = this.createMedia(() => link.receiveLayers, declaresViews);
    media.on('videoReturned', () => link.downlink.videoReturned(Date.now()));
    const participant = new Participant(identity, media, channel, link, this.record);
    this.quality.follow(participant);
    const held = previous ? undefined : this.record.takeHeldSeat(identity.participantId);
    // A call goes straight in only to a seat held for its own drop (the crisis case), where the room allows it; any
    // other call waits in the waiting room for the staff, whatever the room's admission setting: a PIN can be guessed.
    const callWaits = channel.isCall === true && !((previous || held) && this.record.callsIntoHeldSeats);
    const sawPrevious = callWaits && previous?.admitted ? this.audience.viewersOf(previous) : [];
    if (previous) {
      // The same person is back (a resumed connection, a reload, a new tab): the newest connection takes the
      // seat as it stands, position in the queue and the floor included. The others see no leave and no join.
      participant.restore(previous.seat);
      // A call carrying the voice, or holding the seat alone, stays as a browser's leg; a newer call replaces it.
      const callStays = this.callLegs.carryOver(previous, participant);
      if (callStays) this.graceTimers.release(previous);
      else this.vacate(previous);
      if (previous.connection === 'connected' && !callStays) previous.channel.end(channel.isCall ? 'taken-by-phone' : 'replaced-by-new-session');
      this.observer.emit('seatOutcome', previous.connection === 'reconnecting' ? 'resumed' : 'replaced');
      if (previous.connection === 'reconnecting') this.tell({ type: 'participant.resumed', participantId: participant.id });
    } else {
      this.tell({ type: held ? 'participant.resumed' : 'participant.joined', participantId: participant.id });
      if (held) participant.restore(held);
      // Whatever way they came back in, the staff's decisions about them stand.
      participant.applyStanding(this.record.standingFor(participant.id));
      if (!held && !this.record.mustWait(participant.role, this.settings)) participant.admit();
    }
    if (callWaits) participant.keepWaiting();
    participant.moveTo(this.record.sideRoomStillOpen(participant.sideRoomId));
    this.participants.set(participant.id, participant);
    this.tell({ type: 'participant.call', participantId: participant.id, voiceOnCall: participant.voiceOnCall });
    this.messaging.deliverPending(participant);
    this.record.touch();
    if (previous && participant.admitted) {
      this.audience.peerChanged(participant);
      // A page back into a seat its call held alone, or a call taking a seat from its page, changes its members.
      this.circles?.seated(circleSeatOf(participant));
    } else if (participant.admitted) this.announceAdmitted(participant);
    else {
      for (const viewer of sawPrevious) viewer.channel.send('peerLeft', { participantId: participant.id });
      this.audience.lobbyChanged();
    }
    if (participant.role === 'facilitator' && participant.admitted) this.facilitatorArrived();
    return participant;
  }

  joinResult(participant: Participant, resumeToken: string): JoinResult {
    return { ...this.views.joinResult(participant, resumeToken), e2ee: this.e2eeMode };
  }

  /** What an admitted participant sees: whom, with which producers (a call starts from it). */
  admittedView(participant: Participant): AdmittedView {
    return this.views.admitted(participant);
  }

  /** The connection leaves; while a call carries the seat's voice, the seat stays the caller's. */
  leave(participant: Participant): void {
    if (this.participants.get(participant.id) !== participant) return;
    this.callLegs.endUnconfirmed(participant);
    if (!participant.callLeg) return this.remove(participant);
    this.holdSeat(participant);
    this.callLegs.handSeatTo(participant);
  }

  /**
   * The participant's connection dropped: their media goes, their seat stays for `resumeGraceMs`, and the
   * others see them as reconnecting rather than gone. Only when the grace runs out do they leave.
   */
  holdSeat(participant: Participant): void {
    if (this.participants.get(participant.id) !== participant) return;
    participant.dropped();
    // A call the page was asked about is not taken into the seat its absence leaves.
    this.callLegs.endUnconfirmed(participant);
    this.tell({ type: 'participant.reconnecting', participantId: participant.id });
    this.media.drop(participant);
    if (participant.admitted) this.audience.peerChanged(participant);
    this.awaitReturn(participant);
  }

  /** Takes a participant out for good this session: told why (a call carrying their voice too), then disconnected. */
  dismiss(participant: Participant, reason: SessionEndReason): void {
    if (this.participants.get(participant.id) === participant) this.remove(participant);
    participant.channel.end(reason);
  }

  admit(participant: Participant): void {
    participant.admit();
    this.announceAdmitted(participant);
    participant.channel.send('admitted', this.views.admitted(participant));
    participant.channel.send('selfUpdated', participant.selfView());
    this.audience.lobbyChanged();
    if (participant.role === 'facilitator') this.facilitatorArrived();
  }

  /** Wrong dial-in PINs for this session within the hour: the staff are told (nothing names a caller). */
  wrongDialInPins(wrongPins: number): void {
    for (const moderator of this.audience.moderators()) moderator.channel.send('dialInAttempts', { wrongPins, withinMinutes: 60 });
  }

  /** The seat's page answers whether the call joining as it is theirs; a yes lets the call hear and be heard. */
  answerCallJoin(participant: Participant, accepted: boolean): void {
    const leg = this.callLegs.answer(participant, accepted);
    leg?.channel.send('admitted', this.views.admitted(participant));
  }

  waiting(): Participant[] {
    return this.audience.waiting();
  }

  admittedParticipants(): Participant[] {
    return this.audience.admitted();
  }

  /** Changes a role; resolves once the SFU applies what the new role may send (in a one-speaker room). */
  async setRole(participant: Participant, role: Role): Promise<void> {
    const sawBefore = this.audience.visibleTo(participant);
    participant.changeRole(role);
    this.audience.roleChanged(participant, sawBefore);
    this.priorities.changed();
    if (role === 'facilitator') this.facilitatorArrived();
    else this.checkFacilitatorPresence();
    // In a one-speaker room staff are always heard, clients only with the floor.
    await this.media.syncProducers(participant, 'audio');
  }

  async lockMedia(participant: Participant, kind: MediaKind): Promise<void> {
    await this.media.lock(participant, kind);
  }

  unlockMedia(participant: Participant, kind: MediaKind): void {
    this.media.unlock(participant, kind);
  }

  async relocate(moved: Participant[], sideRoomId: string | null): Promise<void> {
    for (const participant of moved) this.circles?.moved(circleSeatOf(participant), sideRoomId);
    this.audience.relocate(moved, sideRoomId, (apart) => {
      this.media.separate(apart);
      // Receivers that take a space's voices for calls stop taking those who left it, before anyone is told.
      this.observer.emit('parted', [...new Set(apart.flat())]);
    });
    for (const participant of moved) this.tell({ type: 'participant.sideRoom', participantId: participant.id, inSideRoom: sideRoomId !== null });
    // The group's turns go on without someone who is not there to take one (documented in docs/protocol.md).
    if (sideRoomId !== null) for (const participant of moved) this.floor.participantLeft(participant.id);
    this.record.touch();
    this.checkFacilitatorPresence();
    await this.media.moved(moved, sideRoomId);
  }

  async applyFloorToAll(): Promise<void> {
    for (const participant of this.admittedParticipants()) await this.media.syncProducers(participant, 'audio');
  }

  floorSettled(): Promise<void> {
    return this.floorFollower.settled();
  }

  audit(actor: Participant | typeof ADMINISTRATOR, action: ModerationAction, target?: Participant): void {
    this.record.log(actor === ADMINISTRATOR ? actor : actor.id, action, target?.id);
    this.observer.emit('moderation', action);
  }

  focusChanged(): void {
    this.media.focusChanged();
  }

  /** Clients' media paused or back at the SFU first; then everyone sees the break begin or end. */
  private async breakChanged(onBreak: boolean): Promise<void> {
    this.tell({ type: 'session.break', onBreak });
    await this.media.applyBreak(this.admittedParticipants());
    this.roomViewChanged();
  }

  roomViewChanged(): void {
    this.audience.notifyAdmitted('roomUpdated', this.roomView());
  }

  roomView(): RoomView {
    return this.views.room();
  }

  /** Closes the router; anyone still inside is told why and asked to reconnect, and keeps their seat. */
  close(reason: ReconnectReason): void {
    this.shutDown((participant) => {
      participant.holdUntil(Date.now() + this.settings.resumeGraceMs);
      participant.channel.send('reconnectRequired', { reason });
      participant.channel.detach();
    });
  }

  /** The session is over: everyone leaves, and no one can join this room again. */
  end(actorId: string): void {
    this.record.end(actorId);
    this.observer.emit('moderation', 'end');
    this.talk.stop();
    this.tell({ type: 'session.ended' });
    this.shutDown((participant) => participant.channel.end('ended'));
  }

  private announceAdmitted(participant: Participant): void {
    this.tell({ type: 'participant.admitted', participantId: participant.id });
    // Only the admitted hold the group's keys: the waiting room is outside the circle, and so is a browser that cannot
    // encrypt (let in by a `preferred` session). The staff commit its changes.
    this.circles?.seated(circleSeatOf(participant));
    for (const viewer of this.audience.viewersOf(participant)) {
      viewer.channel.send('peerJoined', this.audience.describe(viewer, participant));
    }
    this.clearMediaChangedBy(participant);
  }

  /** A page that cannot encrypt came in or left: in a `preferred` session, everyone's media goes clear or sealed. */
  private clearMediaChangedBy(participant: Participant): void {
    if (this.e2eeMode === 'preferred' && participant.admitted && !participant.connectionChannel.canEncrypt) this.roomViewChanged();
  }

  /** Ends a connection's hold on its seat: its media closes (the others are told) and its grace timer stops. */
  private vacate(participant: Participant): void {
    this.graceTimers.release(participant);
    this.media.drop(participant);
    if (participant.callLeg) this.media.closeMedia(participant, participant.callLeg.media);
  }

  /** The seat waits for its connection to come back; after the grace it is given up, or to a caller still on. */
  private awaitReturn(participant: Participant): void {
    this.graceTimers.hold(participant, () => {
      if (participant.callLeg?.confirmed) {
        this.callLegs.handSeatTo(participant);
        return this.awaitReturn(participant);
      }
      this.observer.emit('seatOutcome', 'expired');
      this.remove(participant);
    });
  }

  /**
   * A receiver at the SFU on this room's router, for voices taken outside a page (a bridge's, one per space): what it
   * takes passes `RoomMedia.listenFor`, and it stops taking whoever leaves its space when the room says `parted`.
   */
  createReceiver(): ParticipantMedia {
    const receiver = this.createMedia(() => 0);
    receiver.setRtpCapabilities(this.router.rtpCapabilities);
    return receiver;
  }

  private createMedia(videoLayers: () => number, declaresViews = false): ParticipantMedia {
    // Without adaptive video every sender keeps mediasoup's default priority, as before it: one allocation for all.
    const adaptive = this.settings.quality.adaptiveVideo;
    const policy = { videoLayers, followViews: adaptive, startsSmall: adaptive && declaresViews, priorityOf: (id: string) => (adaptive ? this.priorities.of(id) : 1) };
    const media = new ParticipantMedia(this.router, { ...this.settings.transport, webRtcServer: this.mediaWorker.webRtcServer }, policy);
    media.on('consumerScore', (score) => this.observer.emit('consumerScore', score));
    return media;
  }

  private remove(participant: Participant): void {
    const viewers = this.audience.viewersOf(participant);
    this.participants.delete(participant.id);
    this.tell({ type: this.record.wasRemoved(participant.id) ? 'participant.removed' : 'participant.left', participantId: participant.id });
    this.vacate(participant);
    this.circles?.left(participant.id);
    this.messaging.forget(participant.id);
    this.checkIns.forget(participant.id);
    this.priorities.forget(participant.id);
    for (const viewer of viewers) viewer.channel.send('peerLeft', { participantId: participant.id });
    this.clearMediaChangedBy(participant);
    if (!participant.admitted) this.audience.lobbyChanged();
    if (this.record.spotlight === participant.id) {
      this.record.setSpotlight(null);
      this.roomViewChanged();
    }
    if (isModerator(participant.role)) this.checkFacilitatorPresence();
    this.floor.participantLeft(participant.id);
    this.sideRooms.participantLeft(participant).catch((error) => this.observer.emit('taskFailed', error, 'side room'));
    if (this.participants.size === 0) this.emit('empty');
  }

  private facilitatorArrived(): void {
    const starting = !this.record.started;
    this.record.start();
    if (starting) this.tell({ type: 'session.started' });
    // A call always waits for the staff to let it in.
    if (!this.record.settingsOver(this.settings).requireAdmission) {
      for (const participant of this.waiting()) if (!participant.connectionChannel.isCall) this.admit(participant);
    }
    this.checkFacilitatorPresence(starting);
  }

  private checkFacilitatorPresence(viewChanged = false): void {
    if (this.closed) return;
    if (this.presence.review(this.participants.values()) || viewChanged) this.roomViewChanged();
  }

  private tell(event: ParticipationEvent): void {
    this.observer.emit('participation', event);
  }

  private shutDown(farewell: (participant: Participant) => void): void {
    if (this.closed) return;
    this.closed = true;
    this.presence.dispose();
    this.quality.dispose();
    this.talk.stop();
    this.breaks.dispose();
    this.graceTimers.clear();
    this.floor.dispose();
    this.circles?.close();
    for (const participant of this.participants.values()) {
      farewell(participant);
      for (const media of participant.mediaSets()) media.close();
    }
    this.participants.clear();
    this.router.close();
    this.emit('closed');
  }
}
