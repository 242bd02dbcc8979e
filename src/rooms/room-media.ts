import type { types } from 'mediasoup';
import type { ActiveSpeakers } from '../media/active-speakers.js';
import type { SpeechLevels } from '../media/speech-levels.js';
import { describeProducer, type BotTransportInfo, type Direction, type ParticipantMedia } from '../media/participant-media.js';
import type { ConsumerInfo, MediaKind, MediaSource, TransportInfo } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import type { VideoSize, VideoView } from '../protocol/video-views.js';
import { isModerator } from '../protocol/roles.js';
import type { Audience } from './audience.js';
import type { Floor } from './floor.js';
import type { CallLeg, Participant } from './participant.js';
import { authorize } from './permissions.js';

/**
 * A room's media rules and requests: what the SFU forwards of each participant (their wish, a facilitator's
 * lock, the floor, their uplink), and the transports, producers and consumers they ask for, each refused when the
 * rules say no. Only producers of someone the participant may see can be consumed, so no one consumes across
 * rooms or from the lobby.
 */
export class RoomMedia {
  constructor(
    private readonly audience: Audience,
    private readonly floor: Floor,
    /** Who speaks in each space: every audio producer is observed, in its owner's space. */
    private readonly speakers: ActiveSpeakers,
    /** Whether load-test bots may open plain RTP transports (benchmarks only). */
    private readonly botTransports: boolean,
    /** Whether the group is on a break: no client's microphone or camera is forwarded meanwhile. */
    private readonly onBreak: () => boolean,
    /** Who is heard, for speaking time (absent when `rooms.talkBalance` is off): every audio producer, wherever. */
    private readonly levels?: SpeechLevels,
  ) {}

  /** Whether the SFU forwards this participant's `kind` now, from `media` (their connection's, or their call leg's). */
  mayFlow(participant: Participant, kind: MediaKind, media: ParticipantMedia = participant.media): boolean {
    if (!participant.wants[kind] || participant.locks[kind]) return false;
    // A break pauses every client, wish and lock untouched, so its end brings back what was before; staff may talk.
    if (participant.role === 'client' && this.onBreak()) return false;
    // While a call carries the seat's voice, the page's microphone is not heard: nobody hears them twice. A call the
    // page has not said yes to is not heard at all.
    const leg = participant.callLeg;
    if (kind === 'audio' && leg && (media === leg.media) !== leg.confirmed) return false;
    if (kind === 'video') return participant.link.sendVideo;
    // The floor is the group's: a side room is an open conversation.
    if (this.floor.mode === 'open' || isModerator(participant.role) || participant.sideRoomId !== null) return true;
    return this.floor.holder === participant.id;
  }

  /** A break began or ended: every participant's microphone and camera in line with it, at once. */
  async applyBreak(admitted: Participant[]): Promise<void> {
    await Promise.all(admitted.flatMap((participant) => [this.syncProducers(participant, 'audio'), this.syncProducers(participant, 'video')]));
  }

  /** Brings the participant's producers of `kind` in line with `mayFlow`, telling those who see them. */
  async syncProducers(participant: Participant, kind: MediaKind): Promise<void> {
    for (const media of participant.mediaSets()) await this.syncProducersOf(participant, media, kind);
  }

  private async syncProducersOf(participant: Participant, media: ParticipantMedia, kind: MediaKind): Promise<void> {
    for (const producer of media.producers.values()) {
      if (producer.kind !== kind) continue;
      // What decides (a lock, the floor, a break) can change while a pause or resume is under way, and mediasoup sets
      // `paused` only once it answers: another change meanwhile would see the old state and do nothing. So each
      // producer is brought in line until it matches the latest decision; two changes racing end where the last says.
      for (let flow = this.mayFlow(participant, kind, media); !producer.closed && producer.paused === flow; flow = this.mayFlow(participant, kind, media)) {
        try {
          if (flow) await producer.resume();
          else await producer.pause();
        } catch (error) {
          if (producer.closed) break; // its owner left meanwhile: nothing left to pause
          throw error;
        }
        if (kind === 'audio') {
          if (flow) this.speakers.heardAgain(producer);
          else this.speakers.silenced(participant.id);
        }
        const event = flow ? 'producerResumed' : 'producerPaused';
        this.audience.notifyReceivers(participant, kind, event, { participantId: participant.id, producerId: producer.id });
      }
    }
  }

  /**
   * A facilitator's lock: pauses the participant's producers of that kind at the SFU. It also counts as the
   * participant having turned it off, so lifting the lock later turns nothing on.
   */
  async lock(participant: Participant, kind: MediaKind): Promise<void> {
    participant.lock(kind);
    await this.syncProducers(participant, kind);
    this.audience.privateStateChanged(participant);
  }

  /** Lifts the lock; the producer stays paused until the participant resumes it: no one else turns a mic on. */
  unlock(participant: Participant, kind: MediaKind): void {
    participant.unlock(kind);
    this.audience.privateStateChanged(participant);
  }

  async createTransport(participant: Participant, direction: Direction): Promise<TransportInfo> {
    participant.assertAdmitted();
    if (direction === 'send') authorize(participant.role, 'sendMedia');
    return participant.media.createTransport(direction);
  }

  /** A load-test bot's plain RTP transport; refused unless the node was started with `load.botTransports`. */
  async createBotTransport(participant: Participant, direction: Direction): Promise<BotTransportInfo> {
    this.requireBotTransports(participant);
    if (direction === 'send') authorize(participant.role, 'sendMedia');
    return participant.media.createBotTransport(direction);
  }

  /**
   * A call's send transport (a DirectTransport), under the same rules as a page's. What the call hears comes through
   * its space's receiver (`listenFor`).
   */
  async createCallTransport(participant: Participant): Promise<string> {
    participant.assertAdmitted();
    authorize(participant.role, 'sendMedia');
    const media = participant.callMedia;
    if (!media) throw new CircleError('NOT_JOINED', 'no call holds this seat');
    return media.createDirectTransport('send');
  }

  async connectBotTransport(
    participant: Participant,
    request: { transportId: string; ip: string; port: number; srtpKeyBase64: string },
  ): Promise<void> {
    this.requireBotTransports(participant);
    await participant.media.connectBotTransport(request.transportId, request.ip, request.port, request.srtpKeyBase64);
  }

  async connectTransport(participant: Participant, transportId: string, dtls: types.DtlsParameters): Promise<void> {
    participant.assertAdmitted();
    await participant.media.connectTransport(transportId, dtls);
  }

  async restartIce(participant: Participant, transportId: string): Promise<types.IceParameters> {
    participant.assertAdmitted();
    return participant.media.restartIce(transportId);
  }

  async produce(
    participant: Participant,
    request: { transportId: string; kind: MediaKind; rtpParameters: types.RtpParameters; source: MediaSource; videoSize?: VideoSize },
  ): Promise<string> {
    participant.assertAdmitted();
    authorize(participant.role, 'sendMedia');
    participant.startsSending(request.kind);
    // The connection's send transport, or the call leg's.
    const media = participant.mediaSets().find((candidate) => candidate.hasTransport(request.transportId)) ?? participant.media;
    const created = await media.produce(
      request.transportId,
      request.kind,
      request.rtpParameters,
      request.source,
      { paused: !this.mayFlow(participant, request.kind, media), videoSize: request.videoSize },
    );
    // A lock (or the floor) may have changed while the producer was being made, past the producers the lock saw:
    // applied again before anyone is told of it, so nothing of a locked microphone is ever forwarded. A change
    // during this await sees the producer and applies itself.
    const made = media.producer(created.producerId);
    const flow = this.mayFlow(participant, request.kind, media);
    if (made.paused === flow) await (flow ? made.resume() : made.pause());
    const producer = describeProducer(made);
    this.audience.notifyReceivers(participant, request.kind, 'producerAdded', { participantId: participant.id, producer });
    await this.speakers.observe(media.producer(producer.producerId), participant.id, participant.sideRoomId);
    await this.levels?.observe(media.producer(producer.producerId), participant.id);
    return producer.producerId;
  }

  /** The participant turns their microphone or camera on or off (a call's `*6` included: one seat, one wish). */
  async setProducerPaused(participant: Participant, producerId: string, paused: boolean): Promise<void> {
    const producer = this.producerOf(participant, producerId);
    if (!paused && participant.role === 'client' && this.onBreak()) throw new CircleError('FORBIDDEN', 'the group is on a break');
    participant.wish(producer.kind, !paused);
    await this.syncProducers(participant, producer.kind);
  }

  closeProducer(participant: Participant, producerId: string): void {
    const producer = this.producerOf(participant, producerId);
    producer.close();
    this.audience.notifyReceivers(participant, producer.kind, 'producerRemoved', { participantId: participant.id, producerId });
  }

  /** How the participant's page draws the videos it receives: each gets the layer its tile needs, none while hidden. */
  async setVideoViews(participant: Participant, views: VideoView[]): Promise<void> {
    participant.assertAdmitted();
    await participant.media.setVideoViews(views);
  }

  /** A consumer on the participant's connection of `producerId`, if they may hear its owner now. */
  async consume(participant: Participant, producerId: string): Promise<ConsumerInfo> {
    const { producer, owner } = this.audibleProducer(participant, producerId);
    const consumer = await participant.media.consume(producer, owner.id);
    // One of them changed space, or focus mode began, while the consumer was being made: it must not carry a word
    // (or a face) across.
    if (this.audience.canReceive(participant, owner, producer.kind)) return consumer;
    participant.media.closeConsumersOf(new Set([owner.id]), producer.kind);
    throw new CircleError('NOT_FOUND', 'no such producer in this room');
  }

  /**
   * A caller (`participant`, in `space`) hears `producerId`: `listener`, the receiver of `space`, takes it, running,
   * if they may hear its owner. Answers the listener's consumer.
   */
  async listenFor(listener: ParticipantMedia, participant: Participant, space: string | null, producerId: string): Promise<ConsumerInfo> {
    // A caller who moved meanwhile hears through their new space's receiver, never this one.
    if (participant.sideRoomId !== space) throw new CircleError('NOT_FOUND', 'no one listens in this space');
    const { producer, owner } = this.audibleProducer(participant, producerId);
    const consumer = await listener.consume(producer, owner.id);
    // The owner changed space while the consumer was being made: the listener hears only its own space.
    if (owner.sideRoomId !== space) {
      listener.closeConsumersOf(new Set([owner.id]));
      throw new CircleError('NOT_FOUND', 'no such producer in this space');
    }
    await listener.resumeConsumer(consumer.consumerId);
    return consumer;
  }

  /**
   * Focus mode began or ended. Began: each client's video consumers of everyone but the staff close at the SFU. Both
   * ways each client is shown those people again, with or without their video (the SDK consumes what it is shown).
   */
  focusChanged(): void {
    for (const receiver of this.audience.admitted()) {
      if (receiver.role !== 'client') continue;
      const others = this.audience.visibleTo(receiver).filter((sender) => !isModerator(sender.role) && this.audience.canHear(receiver, sender));
      const hidden = others.filter((sender) => this.audience.hidesVideo(receiver, sender));
      if (hidden.length) receiver.media.closeConsumersOf(new Set(hidden.map((sender) => sender.id)), 'video');
      for (const sender of others) receiver.channel.send('peerUpdated', this.audience.describe(receiver, sender));
    }
  }

  /** Those who could hear each other no longer can: what each received of the other stops at the SFU. */
  separate(pairs: [receiver: Participant, sender: Participant][]): void {
    const sendersOf = new Map<Participant, Set<string>>();
    for (const [receiver, sender] of pairs) sendersOf.set(receiver, (sendersOf.get(receiver) ?? new Set()).add(sender.id));
    for (const [receiver, senders] of sendersOf) receiver.media.closeConsumersOf(senders);
  }

  /**
   * `moved` changed space (a side room opened or closed): in a one-speaker group the floor applies again (or no
   * longer), their voice counts towards the new space's speaker, and they learn who is speaking there.
   */
  async moved(moved: Participant[], space: string | null): Promise<void> {
    for (const participant of moved) {
      await this.syncProducers(participant, 'audio');
      await this.speakers.move(participant.mediaSets().flatMap((media) => [...media.producers.values()]), space);
      participant.channel.send('activeSpeaker', { participantId: this.speakers.speakerIn(space) });
    }
  }

  /** The participant's connection's media closes; those who received their producers are told each is gone. */
  drop(participant: Participant): void {
    this.closeMedia(participant, participant.media);
  }

  /** A call carries the seat's voice from now on: the page's microphone and the room's audio to it pause. */
  async callAttached(participant: Participant): Promise<void> {
    await participant.media.holdAudio(true);
    await this.syncProducers(participant, 'audio');
  }

  /** The call carrying the seat's voice ended (`leg` already released): the page's microphone and playback return. */
  async callDetached(participant: Participant, leg: CallLeg): Promise<void> {
    this.closeMedia(participant, leg.media);
    await participant.media.holdAudio(false);
    await this.syncProducers(participant, 'audio');
  }

  /** Closes one of the participant's media sets; those who received its producers are told each is gone. */
  closeMedia(participant: Participant, media: ParticipantMedia): void {
    for (const { id: producerId, kind } of media.producers.values()) {
      this.audience.notifyReceivers(participant, kind, 'producerRemoved', { participantId: participant.id, producerId });
    }
    media.close();
  }

  /** `producerId` of someone `participant` may receive now (seen, admitted, in the same space, not hidden by focus). */
  private audibleProducer(participant: Participant, producerId: string) {
    participant.assertAdmitted();
    for (const owner of this.audience.visibleTo(participant)) {
      const producer = owner.mediaSets().map((media) => media.producers.get(producerId)).find(Boolean);
      if (producer && this.audience.canReceive(participant, owner, producer.kind)) return { producer, owner };
    }
    throw new CircleError('NOT_FOUND', 'no such producer in this room');
  }

  private producerOf(participant: Participant, producerId: string): types.Producer {
    for (const media of participant.mediaSets()) {
      const producer = media.producers.get(producerId);
      if (producer) return producer;
    }
    throw new CircleError('NOT_FOUND', 'no such producer of yours');
  }

  private requireBotTransports(participant: Participant): void {
    if (!this.botTransports) throw new CircleError('FORBIDDEN', 'bot transports are disabled on this node');
    participant.assertAdmitted();
  }
}
