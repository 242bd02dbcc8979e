import type { types as client } from 'mediasoup-client';
import type { ConsumerInfo, MediaKind, MediaSource } from '../protocol/events.js';
import { Emitter } from './emitter.js';
import { request, type CircleSocket } from './request.js';

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
  /** Video: the width of the frames being decoded now (the layer the SFU sends). */
  frameWidth?: number;
  /** Audio: how often the decoder had to conceal lost or late audio so far. */
  concealmentEvents?: number;
}

type SubscriberEvents = { trackAdded: [RemoteTrack]; trackRemoved: [RemoteTrack]; error: [Error] };

/** Receives everyone else: one consumer per producer the server lets this participant see, and its track. */
export class Subscriber extends Emitter<SubscriberEvents> {
  readonly remoteTracks = new Map<string, RemoteTrack>();
  private readonly consumers = new Map<string, client.Consumer>();
  /** Producer ids received or being received, so a producer announced twice is consumed once. */
  private readonly consuming = new Set<string>();
  private path: { socket: CircleSocket; transport: client.Transport } | undefined;
  /** Consumers already silent whose close waits a task (see closeSoon). */
  private readonly closing = new Set<client.Consumer>();
  private closeTimer: ReturnType<typeof setTimeout> | undefined;

  /** Media is set up: producers can be received over `transport`. */
  attach(socket: CircleSocket, transport: client.Transport): void {
    this.path = { socket, transport };
  }

  /** Receives a producer once; before `attach`, the SDK catches up from the room mirror afterwards. */
  async consume(producerId: string): Promise<void> {
    const path = this.path;
    if (!path || this.consuming.has(producerId)) return;
    this.consuming.add(producerId);
    try {
      const info: ConsumerInfo = await request(path.socket, 'consume', { producerId });
      const consumer = await path.transport.consume({
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
      await request(path.socket, 'resumeConsumer', { consumerId: consumer.id });
      this.emit('trackAdded', remote);
    } catch (error) {
      this.consuming.delete(producerId);
      this.emit('error', error as Error);
    }
  }

  drop(consumerId: string): void {
    const remote = this.remoteTracks.get(consumerId);
    const consumer = this.consumers.get(consumerId);
    if (consumer) {
      this.consuming.delete(consumer.producerId);
      // Silent now; the close itself waits (see closeSoon).
      consumer.track.stop();
      this.closeSoon(consumer);
    }
    this.consumers.delete(consumerId);
    this.remoteTracks.delete(consumerId);
    if (remote) this.emit('trackRemoved', remote);
  }

  /**
   * Closing a consumer renegotiates the peer connection, which can hold a busy page's main thread for a hundred
   * milliseconds. So the streams the server closed together (`consumersClosed`: a side room ends several) all go
   * silent first, and their closes wait a task, then go together in one renegotiation (mediasoup-client batches the
   * consumers closed in one tick).
   */
  private closeSoon(consumer: client.Consumer): void {
    this.closing.add(consumer);
    this.closeTimer ??= setTimeout(() => {
      this.closeTimer = undefined;
      for (const closing of this.closing) closing.close();
      this.closing.clear();
    }, 0);
  }

  /** Someone left: everything received from them goes. */
  dropParticipant(participantId: string): void {
    for (const [consumerId, remote] of this.remoteTracks) {
      if (remote.participantId === participantId) this.drop(consumerId);
    }
  }

  /** Media is torn down (a rejoin, a leave): every track goes. */
  detach(): void {
    for (const consumerId of [...this.consumers.keys()]) this.drop(consumerId);
    this.consuming.clear();
    this.path = undefined;
  }

  /** Inbound RTP counters per remote stream (of one kind, or all), read from the receiving peer connection. */
  async inboundStats(kind?: MediaKind): Promise<InboundStat[]> {
    const stats: InboundStat[] = [];
    for (const consumer of this.consumers.values()) {
      if (kind && consumer.kind !== kind) continue;
      const report = await consumer.getStats();
      type Entry = { type: string; bytesReceived?: number; packetsReceived?: number; packetsLost?: number; frameWidth?: number; concealmentEvents?: number };
      report.forEach((entry: Entry) => {
        if (entry.type !== 'inbound-rtp') return;
        stats.push({
          consumerId: consumer.id,
          participantId: (consumer.appData as { participantId: string }).participantId,
          kind: consumer.kind as MediaKind,
          bytesReceived: entry.bytesReceived ?? 0,
          packetsReceived: entry.packetsReceived ?? 0,
          packetsLost: entry.packetsLost ?? 0,
          frameWidth: entry.frameWidth,
          concealmentEvents: entry.concealmentEvents,
        });
      });
    }
    return stats;
  }
}
