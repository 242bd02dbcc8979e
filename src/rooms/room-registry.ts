import type { Identity } from '../auth/tokens.js';
import { MEDIA_CODECS } from '../media/codecs.js';
import type { MediaWorker, WorkerPool } from '../media/worker-pool.js';
import type { Logger } from '../logging/logger.js';
import { logRef } from '../logging/logger.js';
import type { LiveCounts } from '../metrics/metrics.js';
import type { MediaKind, ReconnectReason } from '../protocol/events.js';
import { CircleError } from '../protocol/errors.js';
import { ROLES, type Role } from '../protocol/roles.js';
import type { Participant, ParticipantChannel } from './participant.js';
import { ResumeTokens } from '../sessions/resume-tokens.js';
import { RoomRecord } from './room-record.js';
import { assertMayEnter, Room, type RoomSettings } from './room.js';

export interface RegistrySettings extends RoomSettings {
  emptyRoomTimeoutMs: number;
  /** How long a closed room's record (removals, end, audit log) is kept. */
  recordRetentionMs: number;
  defaultTurnLimitMs: number | null;
}

export interface Seat {
  room: Room;
  participant: Participant;
}

/** The rooms of this node: creates each on the least-loaded worker, closes it once it stays empty. */
export class RoomRegistry {
  private readonly rooms = new Map<string, Room>();
  private readonly opening = new Map<string, Promise<Room>>();
  private readonly emptyTimers = new Map<Room, NodeJS.Timeout>();
  private readonly records = new Map<string, RoomRecord>();
  private readonly pruneTimer: NodeJS.Timeout;
  private readonly resumeTokens = new ResumeTokens();
  private acceptingRooms = true;

  constructor(
    private readonly pool: WorkerPool,
    private readonly settings: RegistrySettings,
    private readonly logger: Logger,
  ) {
    pool.on('workerDied', (worker) => this.closeRoomsOn(worker, 'media-worker-lost'));
    this.pruneTimer = setInterval(() => this.pruneRecords(), Math.min(settings.recordRetentionMs, 60_000));
    this.pruneTimer.unref();
  }

  /** The record of an open or recently closed room: what the admin audit endpoint reads. */
  record(roomId: string): RoomRecord | undefined {
    return this.records.get(roomId);
  }

  get(roomId: string): Room | undefined {
    return this.rooms.get(roomId);
  }

  get accepting(): boolean {
    return this.acceptingRooms;
  }

  async join(identity: Identity, channel: ParticipantChannel): Promise<Seat> {
    const open = this.rooms.get(identity.roomId);
    // Refuse ended sessions, removed participants and locked rooms before spending a router on them.
    const known = this.records.get(identity.roomId);
    if (known) assertMayEnter(known, identity, open?.participants.has(identity.participantId) ?? false);
    const room = await this.roomFor(identity.roomId);
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
    const identity = this.resumeTokens.identityFor(resumeToken);
    const seated = identity && this.rooms.get(identity.roomId)?.participants.has(identity.participantId);
    const held = identity && this.records.get(identity.roomId)?.holdsSeatFor(identity.participantId);
    if (!identity || !(seated || held)) throw new CircleError('UNAUTHORIZED', 'resume token expired; join again');
    return this.join(identity, channel);
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

  closeAll(reason: ReconnectReason): void {
    clearInterval(this.pruneTimer);
    for (const room of [...this.rooms.values()]) room.close(reason);
  }

  counts(): Omit<LiveCounts, 'workersAlive'> {
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
    });
    this.logger.info({ room: logRef(roomId), workerIndex: worker.index }, 'room opened');
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
