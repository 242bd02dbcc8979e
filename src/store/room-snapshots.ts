import type { Logger } from '../logging/logger.js';
import type { KeyValueStore } from './kv.js';
import type { RoomState } from './room-state.js';
import { parseStored, storedRoomState } from './stored-schemas.js';
import { WriteThrough } from './write-through.js';

export interface SnapshotSettings {
  intervalMs: number;
  /** How long a snapshot outlives its last change (the record retention). */
  retentionMs: number;
}

const keyOf = (roomId: string) => `circle:room:${roomId}:state`;

/**
 * Writes each open room's durable state through to the shared store: every `intervalMs`, each room whose state
 * changed since its last successful write is written again, so a failed write (Redis away) is simply retried and
 * nothing waits on the store. When the store comes back everything is written afresh (a restarted Redis may have
 * lost it). Another node restores a room from here when this one dies.
 */
export class RoomSnapshots {
  private readonly writes: WriteThrough;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kv: KeyValueStore,
    private readonly settings: SnapshotSettings,
    openRooms: () => Iterable<RoomState>,
    logger: Logger,
  ) {
    this.writes = new WriteThrough(kv, 'room state', logger);
    if (!kv.shared) return; // one node: the registry's own records are the state
    const saveOpenRooms = async () => {
      for (const state of openRooms()) await this.save(state);
    };
    this.timer = setInterval(() => void this.writes.pass(saveOpenRooms), settings.intervalMs);
    this.timer.unref();
  }

  /** A room's stored state, if the shared store has one. */
  async load(roomId: string): Promise<Omit<RoomState, 'roomId'> | undefined> {
    if (!this.kv.shared) return undefined;
    const stored = await this.kv.get(keyOf(roomId));
    return stored ? parseStored(storedRoomState, stored, 'room state') : undefined;
  }

  /** Writes a room's state (of a room open here, or of one that runs nowhere) if it changed since its last write. */
  async save({ roomId, record, seats }: RoomState): Promise<void> {
    if (!this.kv.shared) return;
    await this.writes.write(keyOf(roomId), JSON.stringify({ record, seats }), this.settings.retentionMs);
  }

  /** A room closed here: its last written state is no longer needed to skip unchanged writes. */
  forget(roomId: string): void {
    this.writes.forget(keyOf(roomId));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
