import type {
  AdmittedView,
  FloorView,
  LobbyEntry,
  PeerInfo,
  ProducerInfo,
  RoomView,
  SelfView,
  ServerToClientEvents,
} from '../protocol/events.js';
import type { TalkEntry } from '../protocol/talk.js';
import { Emitter } from './emitter.js';

export type MirrorEvents = {
  peerJoined: [PeerInfo];
  peerLeft: [{ participantId: string }];
  peerUpdated: [PeerInfo];
  self: [SelfView];
  room: [RoomView];
  lobby: [LobbyEntry[]];
  floor: [FloorView];
  /** Who is speaking in this participant's space now (null: no one); the web app highlights their tile. */
  activeSpeaker: [participantId: string | null];
  /** A producer this participant may receive: a new peer's, one a peer added, or a peer's now in the same space. */
  producerAvailable: [producerId: string];
  /** Staff: each person's speaking time and turns so far. */
  talk: [TalkEntry[]];
};

/** Anything that delivers the server's events: a Socket.IO socket, or a fake in a unit test. */
export interface ServerEventSource {
  on<E extends keyof ServerToClientEvents>(event: E, listener: ServerToClientEvents[E]): unknown;
}

/**
 * The room as this participant sees it, kept from the server's events alone: who else is there and what they
 * send, their own seat, the lobby, the floor. Pure state, no media and no network: the SDK's other parts act on
 * what it tells them.
 */
export class RoomMirror extends Emitter<MirrorEvents> {
  self: SelfView | undefined;
  room: RoomView | undefined;
  lobby: LobbyEntry[] = [];
  floor: FloorView | undefined;
  activeSpeaker: string | null = null;
  readonly peers = new Map<string, PeerInfo>();
  /** Staff: speaking time and turns by participant id (empty for everyone else). */
  readonly talk = new Map<string, TalkEntry>();

  /** Follows the server's room events from `source` (each new connection's socket). */
  follow(source: ServerEventSource): void {
    source.on('peerJoined', (peer) => this.addPeer(peer));
    source.on('peerLeft', ({ participantId }) => {
      this.peers.delete(participantId);
      this.emit('peerLeft', { participantId });
    });
    source.on('peerUpdated', (peer) => {
      this.peers.set(peer.participantId, peer);
      this.emit('peerUpdated', peer);
      // Someone back in the same space (a side room opened or closed): their producers are receivable again.
      for (const producer of peer.producers) this.emit('producerAvailable', producer.producerId);
    });
    source.on('producerAdded', ({ participantId, producer }) => {
      this.changeProducers(participantId, (producers) => [...producers, producer]);
      this.emit('producerAvailable', producer.producerId);
    });
    source.on('producerRemoved', ({ participantId, producerId }) =>
      this.changeProducers(participantId, (producers) => producers.filter((p) => p.producerId !== producerId)),
    );
    for (const [event, paused] of [['producerPaused', true], ['producerResumed', false]] as const) {
      source.on(event, ({ participantId, producerId }) =>
        this.changeProducers(participantId, (producers) =>
          producers.map((p) => (p.producerId === producerId ? { ...p, paused } : p)),
        ),
      );
    }
    source.on('selfUpdated', (self) => this.setSelf(self));
    source.on('roomUpdated', (room) => {
      this.room = room;
      this.emit('room', room);
    });
    source.on('lobbyUpdated', ({ waiting }) => {
      this.lobby = waiting;
      this.emit('lobby', waiting);
    });
    source.on('floorUpdated', (floor) => {
      this.floor = floor;
      this.emit('floor', floor);
    });
    source.on('activeSpeaker', ({ participantId }) => this.setActiveSpeaker(participantId));
    source.on('talkUpdated', ({ participants }) => this.setTalk(participants));
  }

  setSelf(self: SelfView): void {
    this.self = self;
    this.emit('self', self);
  }

  /** Admitted: the room as of admission; events from here on keep it current. */
  enter(view: AdmittedView): void {
    this.room = view.room;
    this.lobby = view.lobby;
    this.floor = view.floor;
    this.emit('floor', view.floor);
    this.emit('room', view.room);
    this.emit('lobby', view.lobby);
    this.peers.clear();
    for (const peer of view.peers) this.addPeer(peer);
    this.setActiveSpeaker(view.activeSpeaker);
    this.setTalk(view.talk);
  }

  /** Every producer of every peer, to catch up once media is set up. */
  producers(): ProducerInfo[] {
    return [...this.peers.values()].flatMap((peer) => peer.producers);
  }

  /** 1-based place in the hand queue; 0 when the hand is down. */
  get handPosition(): number {
    return this.self && this.floor ? this.floor.queue.indexOf(this.self.participantId) + 1 : 0;
  }

  /** Whether the SFU lets this participant be heard now (a queue-mode room hears only the floor holder). */
  get mayBeHeard(): boolean {
    if (!this.self || !this.floor || this.floor.mode === 'open') return true;
    return this.self.role !== 'client' || this.floor.holder === this.self.participantId;
  }

  private setTalk(entries: TalkEntry[]): void {
    for (const entry of entries) this.talk.set(entry.participantId, entry);
    this.emit('talk', entries);
  }

  private setActiveSpeaker(participantId: string | null): void {
    this.activeSpeaker = participantId;
    this.emit('activeSpeaker', participantId);
  }

  private addPeer(peer: PeerInfo): void {
    this.peers.set(peer.participantId, peer);
    this.emit('peerJoined', peer);
    for (const producer of peer.producers) this.emit('producerAvailable', producer.producerId);
  }

  private changeProducers(participantId: string, change: (producers: ProducerInfo[]) => ProducerInfo[]): void {
    const peer = this.peers.get(participantId);
    if (!peer) return;
    const updated = { ...peer, producers: change(peer.producers) };
    this.peers.set(participantId, updated);
    this.emit('peerUpdated', updated);
  }
}
