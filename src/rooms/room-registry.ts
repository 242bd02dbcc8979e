import type { Identity } from '../auth/tokens.js';
import { MEDIA_CODECS } from '../media/codecs.js';
import type { MediaWorker, WorkerPool } from '../media/worker-pool.js';
import type { Logger } from '../logging/logger.js';
import { logRef } from '../logging/logger.js';
import type { LiveCounts } from '../metrics/metrics.js';
import { CONNECTION_QUALITIES, type ConnectionQuality, type MediaKind, type ReconnectReason } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import { ROLES, type Role } from '../protocol/roles.js';
import type { Participant, ParticipantChannel } from './participant.js';
import { ResumeTokens } from '../sessions/resume-tokens.js';
import type { LinkTotals } from '../quality/room-quality.js';
import type { KeyValueStore } from '../store/kv.js';
import type { RoomDirectory } from '../store/room-directory.js';
import { RoomSnapshots } from '../store/room-snapshots.js';
import { RoomRecord } from './room-record.js';
import { assertMayEnter, Room, type RoomSettings } from './room.js';

export interface RegistrySettings extends RoomSettings {
  emptyRoomTimeoutMs: number;
  /** How long a closed room's record (removals, end, audit log) is kept. */
  recordRetentionMs: number;
  defaultTurnLimitMs: number | null;
  /** How often changed room state is written to a shared store. */
  snapshotIntervalMs: number;
  /** A room's lease in the directory; renewed three times per lease. */
  leaseMs: number;
}

/** Where nodes tell each other to act on a room they run (an administrator's end, from any node). */
const COMMANDS = 'circle:room-commands';

/** The record of a session an administrator ended: it says so, and the audit log says who. */
function endRecord(record: RoomRecord): void {
  record.ended = true;
  record.log('admin', 'end');
}

/** State shared between nodes: the key-value store and the directory of who runs which room. */
export interface SharedState {
  kv: KeyValueStore;
  directory: RoomDirectory;
}

export interface Seat {
  room: Room;
  participant: Participant;
}

/**
 * The rooms of this node: creates each on the least-loaded worker, closes it once it stays empty. With a shared
 * store a room runs only where the directory says; a join for a room another node runs is told where to go.
 */
export class RoomRegistry {
  private readonly rooms = new Map<string, Room>();
  private readonly opening = new Map<string, Promise<Room>>();
  private readonly emptyTimers = new Map<Room, NodeJS.Timeout>();
  private readonly records = new Map<string, RoomRecord>();
  private readonly pruneTimer: NodeJS.Timeout;
  private readonly leaseTimer: NodeJS.Timeout;
  private readonly resumeTokens: ResumeTokens;
  private readonly snapshots: RoomSnapshots;
  /** Final writes of closed rooms, awaited before a draining node exits. */
  private readonly closing = new Set<Promise<void>>();
  private acceptingRooms = true;

  constructor(
    private readonly pool: WorkerPool,
    private readonly settings: RegistrySettings,
    private readonly logger: Logger,
    private readonly shared: SharedState,
  ) {
    pool.on('workerDied', (worker) => this.closeRoomsOn(worker, 'media-worker-lost'));
    this.pruneTimer = setInterval(() => this.pruneRecords(), Math.min(settings.recordRetentionMs, 60_000));
    this.pruneTimer.unref();
    this.resumeTokens = new ResumeTokens(shared.kv, settings.recordRetentionMs);
    this.snapshots = new RoomSnapshots(
      shared.kv,
      { intervalMs: settings.snapshotIntervalMs, retentionMs: settings.recordRetentionMs, resumeGraceMs: settings.resumeGraceMs },
      () => this.rooms.values(),
      logger,
    );
    this.leaseTimer = setInterval(() => void this.renewLeases(), settings.leaseMs / 3);
    this.leaseTimer.unref();
    shared.kv.subscribe(COMMANDS, (message) => {
      const { roomId, to } = JSON.parse(message) as { roomId: string; to: string };
      if (to === shared.directory.self.nodeId) this.endHere(roomId);
    });
  }

  /**
   * An administrator ends a session, whichever node runs it: here; on its owner, told over the store; or, when it
   * runs nowhere, in its stored record, so that no one can join it again.
   */
  async endAnywhere(roomId: string): Promise<'here' | 'owner' | 'record'> {
    if (this.endHere(roomId)) return 'here';
    const owner = this.shared.kv.shared ? await this.shared.directory.owner(roomId) : undefined;
    if (owner && owner.nodeId !== this.shared.directory.self.nodeId) {
      await this.shared.kv.publish(COMMANDS, JSON.stringify({ roomId, to: owner.nodeId }));
      return 'owner';
    }
    const record = await this.anyRecord(roomId);
    if (!record) throw new CircleError('NOT_FOUND', 'no such room (or its record has expired)');
    endRecord(record);
    await this.snapshots.saveRecord(record);
    return 'record';
  }

  private endHere(roomId: string): boolean {
    const room = this.rooms.get(roomId);
    if (!room) return false;
    endRecord(room.record);
    this.settings.onModeration('end');
    room.end();
    return true;
  }

  /** The record of an open or recently closed room: what the admin audit endpoint reads. */
  record(roomId: string): RoomRecord | undefined {
    return this.records.get(roomId);
  }

  /** The record of a room wherever it runs or ran: this node's, else the shared store's. */
  async anyRecord(roomId: string): Promise<RoomRecord | undefined> {
    return this.records.get(roomId) ?? (await this.snapshots.load(roomId));
  }

  get(roomId: string): Room | undefined {
    return this.rooms.get(roomId);
  }

  get accepting(): boolean {
    return this.acceptingRooms;
  }

  /** `resuming`: only into a seat the room still keeps (a dropped connection, a dead worker or node). */
  async join(identity: Identity, channel: ParticipantChannel, { resuming = false } = {}): Promise<Seat> {
    const open = this.rooms.get(identity.roomId);
    // Refuse ended sessions, removed participants and locked rooms before spending a router on them.
    const known = this.records.get(identity.roomId);
    if (known) assertMayEnter(known, identity, open?.participants.has(identity.participantId) ?? false);
    if (!open) {
      // A draining node must not take a lease it would hold without running the room.
      if (!this.acceptingRooms) throw new CircleError('UNAVAILABLE', 'this node is draining; try again');
      const owner = await this.shared.directory.claim(identity.roomId);
      if (owner.nodeId !== this.shared.directory.self.nodeId) {
        throw new CircleError('MOVED', 'this room runs on another node', owner.url);
      }
      const adopted = await this.adoptStoredRecord(identity.roomId);
      if (adopted) assertMayEnter(adopted, identity, false);
    }
    const room = await this.roomFor(identity.roomId);
    const id = identity.participantId;
    if (resuming && !room.participants.has(id) && !room.record.holdsSeatFor(id)) {
      if (room.participants.size === 0) this.scheduleEmptyClose(room);
      throw new CircleError('UNAUTHORIZED', 'resume token expired; join again');
    }
    const participant = room.join(identity, channel);
    this.cancelEmptyTimer(room);
    return { room, participant };
  }

  /** A fresh resume token for this seat (the previous one stops working). */
  issueResumeToken({ participant }: Seat): string {
    return this.resumeTokens.issue(participant.identity);
  }

  /** Takes back a seat the server still keeps (a dropped connection, or a media worker that died) by resume token. */
  async resume(resumeToken: string, channel: ParticipantChannel): Promise<Seat> {
    const identity = await this.resumeTokens.identityFor(resumeToken);
    const id = identity?.participantId ?? '';
    const keptHere = identity && (this.rooms.get(identity.roomId)?.participants.has(id) || this.records.get(identity.roomId)?.holdsSeatFor(id));
    // Alone, this node knows every seat there is; with a shared store the seat may be held in another node's snapshot.
    if (!identity || (!keptHere && !this.shared.kv.shared)) throw new CircleError('UNAUTHORIZED', 'resume token expired; join again');
    return this.join(identity, channel, { resuming: true });
  }

  leave({ room, participant }: Seat): void {
    room.leave(participant);
  }

  /** The connection dropped without a goodbye: the seat waits for the participant to come back. */
  holdSeat({ room, participant }: Seat): void {
    room.holdSeat(participant);
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
    clearInterval(this.leaseTimer);
    for (const room of [...this.rooms.values()]) room.close(reason);
    await Promise.all(this.closing);
  }

  counts(): Omit<LiveCounts, 'workersAlive' | 'workerUsage' | 'storeUp' | 'draining'> {
    const participants = () => [...this.rooms.values()].flatMap((room) => [...room.participants.values()]);
    const byKind = (of: 'producers' | 'consumers') => () => {
      const counts: Record<MediaKind, number> = { audio: 0, video: 0 };
      for (const participant of participants()) participant.media.countByKind(counts, of);
      return counts;
    };
    return {
      rooms: () => this.rooms.size,
      participantsByRole: () => {
        const counts = Object.fromEntries(ROLES.map((role) => [role, 0])) as Record<Role, number>;
        for (const participant of participants()) counts[participant.role] += 1;
        return counts;
      },
      lobbyWaiting: () => [...this.rooms.values()].reduce((n, room) => n + room.waiting().length, 0),
      floorQueueLengths: () => [...this.rooms.values()].map((room) => room.floor.queueLength()),
      producersByKind: byKind('producers'),
      consumersByKind: byKind('consumers'),
      linkTotals: () => {
        const byQuality = Object.fromEntries(CONNECTION_QUALITIES.map((q) => [q, 0])) as Record<ConnectionQuality, number>;
        const totals: LinkTotals = { byQuality, audioOnly: 0, bitrateBps: { in: 0, out: 0 } };
        for (const room of this.rooms.values()) room.quality.count(totals);
        return totals;
      },
      transports: () => participants().reduce((n, p) => n + p.media.transportCount, 0),
    };
  }

  private async roomFor(roomId: string): Promise<Room> {
    const open = this.rooms.get(roomId);
    if (open && !open.isClosed) return open;
    let opening = this.opening.get(roomId);
    if (!opening) {
      // Concurrent first joins share one router instead of racing to create two.
      opening = this.openRoom(roomId).finally(() => this.opening.delete(roomId));
      this.opening.set(roomId, opening);
    }
    return opening;
  }

  private async openRoom(roomId: string): Promise<Room> {
    if (!this.acceptingRooms) throw new CircleError('UNAVAILABLE', 'this node is draining; try again');
    const worker = this.pool.leastLoaded((candidate) => this.loadOf(candidate));
    const router = await worker.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    let record = this.records.get(roomId);
    if (!record) this.records.set(roomId, (record = new RoomRecord(roomId, this.settings.defaultTurnLimitMs)));
    const room = new Room(roomId, router, worker, this.settings, record);
    this.rooms.set(roomId, room);
    room.on('empty', () => this.scheduleEmptyClose(room));
    room.once('closed', () => {
      record.touch();
      this.cancelEmptyTimer(room);
      if (this.rooms.get(roomId) === room) this.rooms.delete(roomId);
      this.logger.info({ room: logRef(roomId) }, 'room closed');
      const handOver = this.handOver(room).finally(() => this.closing.delete(handOver));
      this.closing.add(handOver);
    });
    this.logger.info({ room: logRef(roomId), workerIndex: worker.index }, 'room opened');
    return room;
  }

  /**
   * A room another node ran (it died, or drained) comes back from the shared store, the seats of those inside
   * held for them. Read before the room opens here, so an ended or locked one is refused without a router; a
   * room already opening here keeps the record it has. Answers the record adopted, if one was (this node's own
   * record was checked already).
   */
  private async adoptStoredRecord(roomId: string): Promise<RoomRecord | undefined> {
    const stored = await this.snapshots.load(roomId).catch(() => undefined);
    if (!stored || this.rooms.has(roomId) || this.opening.has(roomId)) return undefined;
    this.records.set(roomId, stored);
    this.logger.info({ room: logRef(roomId), heldSeats: stored.heldSeats.size }, 'room restored from the shared store');
    return stored;
  }

  /** A closed room's final state goes to the shared store and its lease is given up, so any node can take it. */
  private async handOver(room: Room): Promise<void> {
    try {
      await this.snapshots.save(room);
      await this.shared.directory.release(room.id);
    } catch (error) {
      // The store is away: the lease expires by itself; the last state written stands.
      this.logger.warn({ room: logRef(room.id), err: (error as Error).message }, 'room not handed over cleanly');
    } finally {
      this.snapshots.forget(room.id);
    }
  }

  private async renewLeases(): Promise<void> {
    if (!this.shared.kv.shared || !this.shared.kv.available) return;
    try {
      for (const roomId of await this.shared.directory.renew([...this.rooms.keys()])) {
        // Another node took the room while this one was cut off from the store: its participants go there.
        this.logger.warn({ room: logRef(roomId) }, 'room lease lost to another node');
        this.rooms.get(roomId)?.close('room-moved');
      }
    } catch (error) {
      this.logger.debug({ err: (error as Error).message }, 'lease renewal failed; retrying');
    }
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
      if (!this.rooms.has(roomId) && record.touchedAt < cutoff) {
        this.records.delete(roomId);
        this.resumeTokens.forgetRoom(roomId);
      }
    }
  }

  private closeRoomsOn(worker: MediaWorker, reason: ReconnectReason): void {
    for (const room of [...this.rooms.values()]) if (room.mediaWorker === worker) room.close(reason);
  }
}
