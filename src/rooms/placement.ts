import type { Logger } from '../logging/logger.js';
import { CircleError } from '../protocol/errors.js';
import type { KeyValueStore } from '../store/kv.js';
import type { RoomDirectory } from '../store/room-directory.js';
import type { NodeAddress } from '../store/stored-schemas.js';
import { RoomSnapshots } from '../store/room-snapshots.js';
import type { RoomState } from '../store/room-state.js';
import { RoomRecord } from './room-record.js';
import type { Room } from './room.js';

/** State shared between nodes: the key-value store and the directory of who runs which room. */
export interface SharedState {
  kv: KeyValueStore;
  directory: RoomDirectory;
}

export interface PlacementSettings {
  /** A room's lease in the directory; renewed three times per lease. */
  leaseMs: number;
  /** How often changed room state is written to the shared store. */
  snapshotIntervalMs: number;
  /** How long a stored room state outlives its last change. */
  retentionMs: number;
  /** Seats restored from another node's snapshot are held this long for their owners to resume. */
  resumeGraceMs: number;
  /** Origins of the other nodes a client may be sent to with `MOVED`. */
  allowedOrigins: string[];
}

/** A room's durable state as plain data, for the store: its record and everyone's seat. */
const durableState = (room: Room): RoomState => ({
  roomId: room.id,
  record: room.record.toData(),
  seats: [...room.participants.values()].map((p) => [p.id, p.seat]),
});

/**
 * Where rooms run, across nodes: the lease on each room in the directory (claimed before a room opens, renewed
 * while it runs, given up when it closes), `MOVED` for a room another node runs, each room's durable state
 * written through to the shared store and adopted by the next node when its owner dies. Alone (in-memory store), every room is this node's and nothing is written.
 */
export class Placement {
  private readonly leaseTimer: NodeJS.Timeout;
  private readonly snapshots: RoomSnapshots;

  constructor(
    private readonly shared: SharedState,
    private readonly settings: PlacementSettings,
    private readonly logger: Logger,
    /** The rooms open on this node now. */
    private readonly openRooms: () => Iterable<Room>,
  ) {
    this.snapshots = new RoomSnapshots(
      shared.kv,
      { intervalMs: settings.snapshotIntervalMs, retentionMs: settings.retentionMs },
      () => [...openRooms()].map(durableState),
      logger,
    );
    this.leaseTimer = setInterval(() => void this.renewLeases(), settings.leaseMs / 3);
    this.leaseTimer.unref();
  }

  private get selfId(): string {
    return this.shared.directory.self.nodeId;
  }

  /**
   * Takes the room's lease for this node, or refuses with `MOVED` to the node that holds it. Answers the room's
   * record as the shared store keeps it, if it does (another node ran it and died or drained): the seats of
   * those who were inside are held for them.
   */
  async claim(roomId: string): Promise<RoomRecord | undefined> {
    return this.lease(roomId, (owner) => this.moveTo(owner.url));
  }

  /**
   * Takes the lease of a room to change its record while it runs nowhere; answers the record as `claim` does.
   * Refuses with `MOVED`, without a location, when another node runs it: the caller asks that node instead.
   */
  async claimIdle(roomId: string): Promise<RoomRecord | undefined> {
    return this.lease(roomId, () => new CircleError('MOVED', 'this room runs on another node'));
  }

  private async lease(roomId: string, refusal: (owner: NodeAddress) => CircleError): Promise<RoomRecord | undefined> {
    const owner = await this.shared.directory.claim(roomId);
    if (owner.nodeId !== this.selfId) throw refusal(owner);
    // Fails closed: a stored record that cannot be read (store away, or not parsing) refuses the join rather
    // than opening a fresh room that would forget removals, locks and standing decisions.
    return this.storedRecord(roomId);
  }

  /**
   * `MOVED` to the node that runs the room, if its origin is one the configuration lists: a directory entry that
   * names anything else (a misconfigured node, or a store someone wrote to) is not passed on to clients.
   */
  private moveTo(url: string): CircleError {
    const origin = URL.canParse(url) ? new URL(url).origin : '';
    if (this.settings.allowedOrigins.includes(origin)) return new CircleError('MOVED', 'this room runs on another node', url);
    this.logger.error({ origin: origin || '(not a URL)' }, 'room owner is not in cluster.allowedOrigins; MOVED withheld');
    return new CircleError('UNAVAILABLE', 'this room runs on a node this one does not send clients to');
  }

  /** The record of a room as the shared store keeps it, with the seats of those inside held for them. */
  async storedRecord(roomId: string): Promise<RoomRecord | undefined> {
    const stored = await this.snapshots.load(roomId);
    if (!stored) return undefined;
    const record = RoomRecord.fromData(roomId, stored.record);
    const until = Date.now() + this.settings.resumeGraceMs;
    for (const [participantId, seat] of stored.seats) record.holdSeat(participantId, seat, until);
    return record;
  }

  /** Gives up a lease taken to change the record of a room that runs nowhere. */
  async release(roomId: string): Promise<void> {
    await this.shared.directory.release(roomId);
  }

  /** Writes a record of a room that runs nowhere (set up before it starts, or ended by an administrator). */
  async saveRecord(record: RoomRecord): Promise<void> {
    await this.snapshots.save({ roomId: record.roomId, record: record.toData(), seats: [] });
  }

  /** A closed room's final state goes to the shared store and its lease is given up, so any node can take it. */
  async handOver(room: Room): Promise<void> {
    try {
      await this.snapshots.save(durableState(room));
      await this.shared.directory.release(room.id);
    } catch (error) {
      // The store is away: the lease expires by itself; the last state written stands.
      this.logger.warn({ room: room.id, err: (error as Error).message }, 'room not handed over cleanly');
    } finally {
      this.snapshots.forget(room.id);
    }
  }

  stop(): void {
    clearInterval(this.leaseTimer);
    this.snapshots.stop();
  }

  private async renewLeases(): Promise<void> {
    if (!this.shared.kv.shared || !this.shared.kv.available) return;
    const rooms = new Map([...this.openRooms()].map((room) => [room.id, room]));
    try {
      for (const roomId of await this.shared.directory.renew([...rooms.keys()])) {
        // Another node took the room while this one was cut off from the store: its participants go there.
        this.logger.warn({ room: roomId }, 'room lease lost to another node');
        rooms.get(roomId)?.close('room-moved');
      }
    } catch (error) {
      this.logger.debug({ err: (error as Error).message }, 'lease renewal failed; retrying');
    }
  }
}
