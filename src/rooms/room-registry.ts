import { EventEmitter } from 'node:events';
import type { Identity } from '../auth/tokens.js';
import { MEDIA_CODECS } from '../media/codecs.js';
import type { MediaWorker, WorkerPool } from '../media/worker-pool.js';
import type { Logger } from '../logging/logger.js';
import type { ReconnectReason } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import { ResumeTokens, type SeatStanding } from '../sessions/resume-tokens.js';
import type { Participant, ParticipantChannel } from './participant.js';
import { PerRoomQueue } from './per-room-queue.js';
import { Placement, type SharedState } from './placement.js';
import { RoomRecord } from './room-record.js';
import { Room } from './room.js';
import type { RoomSettings } from './room-settings.js';

export interface RegistrySettings extends RoomSettings {
  /** Rooms this node opens at most. */
  maxRooms: number;
  emptyRoomTimeoutMs: number;
  /** How long a closed room's record (removals, end, audit log) is kept. */
  recordRetentionMs: number;
  defaultTurnLimitMs: number | null;
  /** How often changed room state is written to a shared store. */
  snapshotIntervalMs: number;
  /** A room's lease in the directory; renewed three times per lease. */
  leaseMs: number;
  /** Origins of the other nodes a client may be sent to with `MOVED`. */
  allowedOrigins: string[];
}

/** A connection's place in a room: the room, and the participant it is there as. */
export interface Membership {
  room: Room;
  participant: Participant;
}

type RegistryObserverEvents = { newroom: [Room] };

/**
 * Who cannot enter an end-to-end encrypted session: a call, unless the session allows them (its audio passes through
 * the server, the bridge a member everyone sees), and, where the session requires encryption, a browser that cannot
 * encrypt (the server would hear it, and no one else).
 */
function encryptionRefusal(room: Room, canEncrypt: boolean, isCall: boolean): CircleError | undefined {
  const mode = room.e2eeMode;
  if (mode === 'off') return undefined;
  if (isCall && room.e2eeDialIn === 'off') return new CircleError('E2EE_UNSUPPORTED', 'This session is end-to-end encrypted and takes no calls; join from a browser.');
  if (mode === 'required' && !canEncrypt) {
    return new CircleError('E2EE_UNSUPPORTED', 'This session is end-to-end encrypted, and this browser cannot encrypt its audio and video. Join from a current Chrome, Edge, Firefox or Safari.');
  }
  return undefined;
}

/**
 * The rooms of this node: creates each on the least-loaded worker, closes it once it stays empty, keeps each
 * room's record for the retention period. Which node runs a room is the placement's to say.
 */
export class RoomRegistry {
  private readonly rooms = new Map<string, Room>();
  /** Openings, hand-overs and changes of a room's stored record, one at a time per room. */
  private readonly queue = new PerRoomQueue();
  private readonly emptyTimers = new Map<Room, NodeJS.Timeout>();
  private readonly records = new Map<string, RoomRecord>();
  private readonly pruneTimer: NodeJS.Timeout;
  private readonly resumeTokens: ResumeTokens;
  private readonly placement: Placement;
  /** Final writes of closed rooms, awaited before a draining node exits. */
  private readonly closing = new Set<Promise<void>>();
  private acceptingRooms = true;
  /** Tells of every room opened here, for metrics and logs to watch it. */
  readonly observer = new EventEmitter<RegistryObserverEvents>();

  constructor(
    private readonly pool: WorkerPool,
    private readonly settings: RegistrySettings,
    private readonly logger: Logger,
    private readonly shared: SharedState,
  ) {
    this.pruneTimer = setInterval(() => this.pruneRecords(), Math.min(settings.recordRetentionMs, 60_000));
    this.pruneTimer.unref();
    this.resumeTokens = new ResumeTokens(shared.kv, settings.resumeGraceMs, (identity) => this.standingOf(identity));
    this.placement = new Placement(
      shared,
      {
        leaseMs: settings.leaseMs,
        allowedOrigins: settings.allowedOrigins,
        snapshotIntervalMs: settings.snapshotIntervalMs,
        retentionMs: settings.recordRetentionMs,
        resumeGraceMs: settings.resumeGraceMs,
      },
      logger,
      () => this.rooms.values(),
    );
  }

  /**
   * An administrator ends a session that runs here, or, when it runs nowhere, in its stored record, so that no one
   * can join it again. (A session another node runs is ended there: the server API asks that node.)
   */
  async endHereOrInRecord(roomId: string): Promise<'here' | 'record'> {
    return this.queue.run(roomId, async () => {
      const room = this.rooms.get(roomId);
      if (room) {
        room.end('admin');
        return 'here';
      }
      await this.changeStoredRecord(roomId, (record) => {
        if (!record) throw new CircleError('NOT_FOUND', 'no such room (or its record has expired)');
        record.end('admin');
        return record;
      });
      return 'record';
    });
  }

  /**
   * The clinic's system sets a session up before it starts (the waiting room, its size, the floor): in the record
   * this node keeps, and in the shared store for whichever node opens it. Encryption is refused once the room is open.
   */
  async configureSession(roomId: string, settings: Parameters<RoomRecord['configure']>[0]): Promise<RoomRecord> {
    return this.queue.run(roomId, async () => {
      const open = this.rooms.get(roomId);
      if (!open) {
        return this.changeStoredRecord(roomId, (record = new RoomRecord(roomId, this.settings.defaultTurnLimitMs)) => (record.configure(settings), record));
      }
      // Keys are agreed from a session's first member on: its encryption, and whether calls join its circles, are
      // chosen before anyone is in.
      if (settings.e2eeMode !== undefined || settings.e2eeDialIn !== undefined) {
        throw new CircleError('BAD_REQUEST', 'the session is open; its end-to-end encryption and its calls are chosen before anyone joins');
      }
      open.record.configure(settings);
      return open.record;
    });
  }

  /**
   * Changes the record of a room open nowhere, in the room's turn here and holding its lease: no node opens the
   * room on the record as it was. Throws `MOVED` when another node runs the room.
   */
  private async changeStoredRecord(roomId: string, change: (record: RoomRecord | undefined) => RoomRecord): Promise<RoomRecord> {
    const stored = await this.placement.claimIdle(roomId);
    try {
      const record = change(stored ?? this.records.get(roomId));
      this.records.set(roomId, record);
      await this.placement.saveRecord(record);
      return record;
    } finally {
      await this.placement.release(roomId);
    }
  }

  /** The record of an open or recently closed room: what the admin audit endpoint reads. */
  record(roomId: string): RoomRecord | undefined {
    return this.records.get(roomId);
  }

  /** The record of a room wherever it runs or ran: this node's, else the shared store's. */
  async anyRecord(roomId: string): Promise<RoomRecord | undefined> {
    return this.records.get(roomId) ?? (await this.placement.storedRecord(roomId));
  }

  get(roomId: string): Room | undefined {
    return this.rooms.get(roomId);
  }

  /** The rooms open on this node now. */
  openRooms(): IterableIterator<Room> {
    return this.rooms.values();
  }

  get accepting(): boolean {
    return this.acceptingRooms;
  }

  /** `resuming`: only into a seat the room still keeps (a dropped connection, a dead worker or node). */
  async join(identity: Identity, channel: ParticipantChannel, { resuming = false, declaresViews = false } = {}): Promise<Membership> {
    const open = this.rooms.get(identity.roomId);
    // Refuse ended sessions, removed participants and locked rooms before spending a router on them.
    this.records.get(identity.roomId)?.assertMayEnter(identity, open?.participants.has(identity.participantId) ?? false);
    const room = open && !open.isClosed ? open : await this.queue.run(identity.roomId, () => this.openRoomFor(identity));
    const id = identity.participantId;
    const refusal =
      resuming && !room.participants.has(id) && !room.record.holdsSeatFor(id)
        ? new CircleError('UNAUTHORIZED', 'resume token expired; join again')
        : encryptionRefusal(room, channel.canEncrypt === true, channel.isCall === true);
    if (refusal) {
      if (room.participants.size === 0) this.scheduleEmptyClose(room);
      throw refusal;
    }
    const participant = room.join(identity, channel, { declaresViews });
    this.cancelEmptyTimer(room);
    return { room, participant };
  }

  /** A fresh resume token for this membership (the previous one stops working). */
  issueResumeToken({ participant }: Membership): string {
    return this.resumeTokens.issue(participant.identity);
  }

  /** Takes back a seat the server still keeps (a dropped connection, or a media worker that died) by resume token. */
  async resume(resumeToken: string, channel: ParticipantChannel, { declaresViews = false } = {}): Promise<Membership> {
    const identity = await this.resumeTokens.identityFor(resumeToken);
    const id = identity?.participantId ?? '';
    const keptHere = identity && (this.rooms.get(identity.roomId)?.participants.has(id) || this.records.get(identity.roomId)?.holdsSeatFor(id));
    // Alone, this node knows every seat there is; with a shared store the seat may be held in another node's snapshot.
    if (!identity || (!keptHere && !this.shared.kv.shared)) throw new CircleError('UNAUTHORIZED', 'resume token expired; join again');
    return this.join(identity, channel, { resuming: true, declaresViews });
  }

  leave({ room, participant }: Membership): void {
    room.leave(participant);
  }

  /** The connection dropped without a goodbye: the seat waits for the participant to come back. */
  holdSeat({ room, participant }: Membership): void {
    room.holdSeat(participant);
    this.resumeTokens.hold(participant.identity);
  }

  tellStaffOfWrongPins(roomId: string, wrongPins: number): boolean {
    const room = this.rooms.get(roomId);
    room?.wrongDialInPins(wrongPins);
    return room !== undefined;
  }

  /** No new rooms from now on; rooms already open carry on. */
  stopAcceptingRooms(): void {
    this.acceptingRooms = false;
  }

  /** Participants in this node's rooms now, waiting ones and held seats included. */
  participantCount(): number {
    let count = 0;
    for (const room of this.rooms.values()) count += room.participants.size;
    return count;
  }

  /** Closes every room (its participants are asked to reconnect); resolves once their final state is written. */
  async closeAll(reason: ReconnectReason): Promise<void> {
    clearInterval(this.pruneTimer);
    this.resumeTokens.stop();
    this.placement.stop();
    for (const room of [...this.rooms.values()]) room.close(reason);
    await Promise.all(this.closing);
  }

  private standingOf({ roomId, participantId }: Identity): SeatStanding {
    const seated = this.rooms.get(roomId)?.participants.get(participantId);
    if (seated) return seated.connection === 'connected' ? 'connected' : 'held';
    return this.records.get(roomId)?.holdsSeatFor(participantId) ? 'held' : 'gone';
  }

  /** In the room's turn: the room open here, or opened for `identity` (concurrent first joins share one router). */
  private async openRoomFor(identity: Identity): Promise<Room> {
    const open = this.rooms.get(identity.roomId);
    if (open && !open.isClosed) return open;
    // A draining or full node must not take a lease it would hold without running the room.
    if (!this.acceptingRooms) throw new CircleError('UNAVAILABLE', 'this node is draining; try again');
    if (this.rooms.size >= this.settings.maxRooms) throw new CircleError('UNAVAILABLE', 'this node runs as many rooms as it may; try again');
    const stored = await this.placement.claim(identity.roomId);
    if (stored) {
      this.records.set(identity.roomId, stored);
      this.logger.info({ room: identity.roomId, heldSeats: stored.heldSeatCount }, 'room restored from the shared store');
      stored.assertMayEnter(identity, false);
    }
    return this.openRoom(identity.roomId);
  }

  private async openRoom(roomId: string): Promise<Room> {
    const worker = this.pool.leastLoaded((candidate) => this.loadOf(candidate));
    const router = await worker.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    let record = this.records.get(roomId);
    if (!record) this.records.set(roomId, (record = new RoomRecord(roomId, this.settings.defaultTurnLimitMs)));
    const room = new Room(roomId, router, worker, this.settings, record);
    this.rooms.set(roomId, room);
    room.observer.on('taskFailed', (error, during) => this.logger.error({ err: error, during }, 'room task failed'));
    room.on('empty', () => this.scheduleEmptyClose(room));
    room.once('closed', () => {
      record.touch();
      this.cancelEmptyTimer(room);
      if (this.rooms.get(roomId) === room) this.rooms.delete(roomId);
      this.logger.info({ room: roomId }, 'room closed');
      const handOver = this.queue.run(roomId, () => this.placement.handOver(room)).finally(() => this.closing.delete(handOver));
      this.closing.add(handOver);
    });
    this.logger.info({ room: roomId, workerIndex: worker.index }, 'room opened');
    this.observer.emit('newroom', room);
    return room;
  }

  /** Participants weigh more than rooms: a worker's CPU goes to forwarding their streams. */
  private loadOf(worker: MediaWorker): number {
    let load = 0;
    for (const room of this.rooms.values()) {
      if (room.mediaWorker === worker) load += 1 + room.participants.size * 10;
    }
    return load;
  }

  private scheduleEmptyClose(room: Room): void {
    this.cancelEmptyTimer(room);
    const timer = setTimeout(() => {
      this.emptyTimers.delete(room);
      // Nobody is inside, so the reason reaches no one.
      if (room.participants.size === 0) room.close('server-shutdown');
    }, this.settings.emptyRoomTimeoutMs);
    timer.unref();
    this.emptyTimers.set(room, timer);
  }

  private cancelEmptyTimer(room: Room): void {
    const timer = this.emptyTimers.get(room);
    if (timer) clearTimeout(timer);
    this.emptyTimers.delete(room);
  }

  private pruneRecords(): void {
    const cutoff = Date.now() - this.settings.recordRetentionMs;
    for (const [roomId, record] of this.records) {
      if (!this.rooms.has(roomId) && record.touchedAt < cutoff) this.records.delete(roomId);
    }
  }
}
