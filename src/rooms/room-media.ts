import type { types } from 'mediasoup';
import type { ActiveSpeakers } from '../media/active-speakers.js';
import type { BotTransportInfo, Direction } from '../media/participant-media.js';
import type { ConsumerInfo, MediaKind, MediaSource, TransportInfo } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import { isModerator } from '../protocol/roles.js';
import type { Audience } from './audience.js';
import type { Floor } from './floor.js';
import type { Participant } from './participant.js';
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
  ) {}

  /** Whether the SFU forwards this participant's `kind` now. */
  mayFlow(participant: Participant, kind: MediaKind): boolean {
    if (!participant.wants[kind] || participant.locks[kind]) return false;
    if (kind === 'video') return participant.link.sendVideo;
    // The floor is the group's: a side room is an open conversation.
    if (this.floor.mode === 'open' || isModerator(participant.role) || participant.sideRoomId !== null) return true;
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
      if (kind === 'audio') {
        if (flow) this.speakers.heardAgain(producer);
        else this.speakers.silenced(participant.id);
      }
      const event = flow ? 'producerResumed' : 'producerPaused';
      this.audience.notifyHearers(participant, event, { participantId: participant.id, producerId: producer.id });
    }
  }

  /**
   * A facilitator's lock: pauses the participant's producers of that kind at the SFU. It also counts as the
   * participant having turned it off, so lifting the lock later turns nothing on.
   */
  async lock(participant: Participant, kind: MediaKind): Promise<void> {
    participant.locks[kind] = true;
    participant.wants[kind] = false;
    await this.syncProducers(participant, kind);
    this.audience.privateStateChanged(participant);
  }

  /** Lifts the lock; the producer stays paused until the participant resumes it: no one else turns a mic on. */
  unlock(participant: Participant, kind: MediaKind): void {
    participant.locks[kind] = false;
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

  /** A phone call's transport (the bridge's DirectTransport), under the same rules as a browser's. */
  async createPhoneTransport(participant: Participant, direction: Direction): Promise<string> {
    participant.assertAdmitted();
    if (direction === 'send') authorize(participant.role, 'sendMedia');
    return participant.media.createDirectTransport(direction);
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
    request: { transportId: string; kind: MediaKind; rtpParameters: types.RtpParameters; source: MediaSource },
  ): Promise<string> {
    participant.assertAdmitted();
    authorize(participant.role, 'sendMedia');
    participant.wants[request.kind] = !participant.locks[request.kind];
    const producer = await participant.media.produce(
      request.transportId,
      request.kind,
      request.rtpParameters,
      request.source,
      !this.mayFlow(participant, request.kind),
    );
    this.audience.notifyHearers(participant, 'producerAdded', { participantId: participant.id, producer });
    await this.speakers.observe(participant.media.producer(producer.producerId), participant.id, participant.sideRoomId);
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
    this.audience.notifyHearers(participant, 'producerRemoved', { participantId: participant.id, producerId });
  }

  async consume(participant: Participant, producerId: string): Promise<ConsumerInfo> {
    participant.assertAdmitted();
    for (const owner of this.audience.visibleTo(participant)) {
      const producer = owner.media.producers.get(producerId);
      if (!producer || !this.audience.canHear(participant, owner)) continue;
      const consumer = await participant.media.consume(producer, owner.id);
      // One of them changed space while the consumer was being made: it must not carry a word across.
      if (this.audience.canHear(participant, owner)) return consumer;
      participant.media.closeConsumersOf(new Set([owner.id]));
      break;
    }
    throw new CircleError('NOT_FOUND', 'no such producer in this room');
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
      await this.speakers.move([...participant.media.producers.values()], space);
      participant.channel.send('activeSpeaker', { participantId: this.speakers.speakerIn(space) });
    }
  }

  /** The participant's media closes; those who received their producers are told each is gone. */
  drop(participant: Participant): void {
    for (const producerId of participant.media.producers.keys()) {
      this.audience.notifyHearers(participant, 'producerRemoved', { participantId: participant.id, producerId });
    }
    participant.media.close();
    // The path belonged to these transports; the next connection reports its own.
    participant.link.path = null;
  }

  private requireBotTransports(participant: Participant): void {
    if (!this.botTransports) throw new CircleError('FORBIDDEN', 'bot transports are disabled on this node');
    participant.assertAdmitted();
  }
}
