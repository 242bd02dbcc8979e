import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import type { Identity } from '../auth/tokens.js';
import { ParticipantMedia, type TransportSettings } from '../media/participant-media.js';
import type { MediaWorker } from '../media/worker-pool.js';
import type { ConsumerInfo, MediaKind, MediaSource, ReconnectReason } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import { Participant, type ParticipantChannel, type ServerEventArgs, type ServerEventName } from './participant.js';

export interface RoomSettings {
  maxParticipants: number;
  transport: Omit<TransportSettings, 'webRtcServer'>;
}

type RoomEvents = { empty: []; closed: [] };

/** One group session: a mediasoup router and the participants in it. */
export class Room extends EventEmitter<RoomEvents> {
  readonly participants = new Map<string, Participant>();
  private closed = false;

  constructor(
    readonly id: string,
    readonly router: types.Router,
    readonly mediaWorker: MediaWorker,
    private readonly settings: RoomSettings,
  ) {
    super();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  join(identity: Identity, channel: ParticipantChannel): Participant {
    if (this.closed) throw new CircleError('UNAVAILABLE', 'the room is closing; join again');
    const previous = this.participants.get(identity.participantId);
    if (previous) {
      // The same person joined again (a new tab, a new device): the newest session wins.
      this.remove(previous);
      previous.channel.end('replaced-by-new-session');
    } else if (this.participants.size >= this.settings.maxParticipants) {
      throw new CircleError('ROOM_FULL', 'the room is full');
    }
    const media = new ParticipantMedia(this.router, {
      ...this.settings.transport,
      webRtcServer: this.mediaWorker.webRtcServer,
    });
    const participant = new Participant(identity, media, channel);
    this.participants.set(participant.id, participant);
    this.broadcast(participant, 'peerJoined', participant.describe());
    return participant;
  }

  leave(participant: Participant): void {
    if (this.participants.get(participant.id) !== participant) return;
    this.remove(participant);
  }

  peersOf(participant: Participant) {
    return [...this.participants.values()].filter((p) => p !== participant).map((p) => p.describe());
  }

  async produce(
    participant: Participant,
    request: { transportId: string; kind: MediaKind; rtpParameters: types.RtpParameters; source: MediaSource },
  ): Promise<string> {
    const producer = await participant.media.produce(
      request.transportId,
      request.kind,
      request.rtpParameters,
      request.source,
    );
    this.broadcast(participant, 'producerAdded', { participantId: participant.id, producer });
    return producer.producerId;
  }

  async setProducerPaused(participant: Participant, producerId: string, paused: boolean): Promise<void> {
    const producer = participant.media.producer(producerId);
    if (paused) await producer.pause();
    else await producer.resume();
    const event = paused ? 'producerPaused' : 'producerResumed';
    this.broadcast(participant, event, { participantId: participant.id, producerId });
  }

  closeProducer(participant: Participant, producerId: string): void {
    participant.media.producer(producerId).close();
    this.broadcast(participant, 'producerRemoved', { participantId: participant.id, producerId });
  }

  /** Only producers of this room can be found here, so no one consumes across rooms. */
  async consume(participant: Participant, producerId: string): Promise<ConsumerInfo> {
    for (const owner of this.participants.values()) {
      if (owner === participant) continue;
      const producer = owner.media.producers.get(producerId);
      if (producer) return participant.media.consume(producer, owner.id);
    }
    throw new CircleError('NOT_FOUND', 'no such producer in this room');
  }

  /** Closes the router; anyone still inside is told why and asked to reconnect. */
  close(reason: ReconnectReason): void {
    if (this.closed) return;
    this.closed = true;
    for (const participant of this.participants.values()) {
      participant.channel.send('reconnectRequired', { reason });
      participant.channel.detach();
      participant.media.close();
    }
    this.participants.clear();
    this.router.close();
    this.emit('closed');
  }

  private remove(participant: Participant): void {
    this.participants.delete(participant.id);
    participant.media.close();
    this.broadcast(participant, 'peerLeft', { participantId: participant.id });
    if (this.participants.size === 0) this.emit('empty');
  }

  private broadcast<E extends ServerEventName>(from: Participant, event: E, ...args: ServerEventArgs<E>): void {
    for (const participant of this.participants.values()) {
      if (participant !== from) participant.channel.send(event, ...args);
    }
  }
}
