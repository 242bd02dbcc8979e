import type { Logger } from '../logging/logger.js';
import type { SeatState } from '../rooms/participant.js';
import { RoomRecord, type RecordData } from '../rooms/room-record.js';
import type { Room } from '../rooms/room.js';
import type { KeyValueStore } from './kv.js';

/** A room's durable state: its record and the seats of everyone inside when it was taken. */
interface Snapshot {
  record: RecordData;
  seats: [string, SeatState][];
}

export interface SnapshotSettings {
  intervalMs: number;
  /** How long a snapshot outlives its last change (the record retention). */
  retentionMs: number;
  /** Seats restored on another node are held this long for their owners to resume. */
  resumeGraceMs: number;
}

const keyOf = (roomId: string) => `circle:room:${roomId}:state`;

/**
 * Writes each open room's durable state through to the shared store: every `intervalMs`, each room whose state
 * changed since its last successful write is written again, so a failed write (Redis away) is simply retried and
 * nothing waits on the store. When the store comes back everything is written afresh (a restarted Redis may have
 * lost it). Another node restores a room from here when this one dies.
 */
export class RoomSnapshots {
  private readonly saved = new Map<string, string>();
  private readonly timer: NodeJS.Timeout | undefined;
  private saving = false;

  constructor(
    private readonly kv: KeyValueStore,
    private readonly settings: SnapshotSettings,
    private readonly rooms: () => Iterable<Room>,
    private readonly logger: Logger,
  ) {
    if (!kv.shared) return; // one node: the registry's own records are the state
    this.timer = setInterval(() => void this.saveChanged(), settings.intervalMs);
    this.timer.unref();
    kv.on('availability', (available) => available && this.saved.clear());
  }

  /** A room's stored record, with the seats of those who were inside held for them to resume. */
  async load(roomId: string): Promise<RoomRecord | undefined> {
    if (!this.kv.shared) return undefined;
    const stored = await this.kv.get(keyOf(roomId));
    if (!stored) return undefined;
    const snapshot = JSON.parse(stored) as Snapshot;
    const record = RoomRecord.fromData(roomId, snapshot.record);
    const until = Date.now() + this.settings.resumeGraceMs;
    for (const [participantId, seat] of snapshot.seats) record.heldSeats.set(participantId, { seat, until });
    return record;
  }

  /** Writes one room's state if it changed since its last write. */
  async save(room: Room): Promise<void> {
    await this.saveRecord(room.record, [...room.participants.values()].map((p) => [p.id, p.seatState()]));
  }

  /** A room closed here: its last written state is no longer needed to skip unchanged writes. */
  forget(roomId: string): void {
    this.saved.delete(roomId);
  }

  /** Writes a record (of a room open here, or of one that runs nowhere) if it changed since its last write. */
  async saveRecord(record: RoomRecord, seats: [string, SeatState][] = []): Promise<void> {
    if (!this.kv.shared) return;
    const json = JSON.stringify({ record: record.toData(), seats } satisfies Snapshot);
    if (this.saved.get(record.roomId) === json) return;
    await this.kv.set(keyOf(record.roomId), json, this.settings.retentionMs);
    this.saved.set(record.roomId, json);
  }

  private async saveChanged(): Promise<void> {
    if (this.saving || !this.kv.available) return;
    this.saving = true;
    try {
      for (const room of this.rooms()) await this.save(room);
    } catch (error) {
      this.logger.debug({ err: (error as Error).message }, 'room state not saved; retrying');
    } finally {
      this.saving = false;
    }
  }
}
