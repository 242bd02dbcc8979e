import type { Logger } from '../logging/logger.js';
import type { KeyValueStore } from './kv.js';
import type { RoomState } from './room-state.js';
import { parseStored, storedRoomState } from './stored-schemas.js';

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
  private readonly saved = new Map<string, string>();
  private readonly timer: NodeJS.Timeout | undefined;
  private saving = false;

  constructor(
    private readonly kv: KeyValueStore,
    private readonly settings: SnapshotSettings,
    private readonly openRooms: () => Iterable<RoomState>,
    private readonly logger: Logger,
  ) {
    if (!kv.shared) return; // one node: the registry's own records are the state
    this.timer = setInterval(() => void this.saveChanged(), settings.intervalMs);
    this.timer.unref();
    kv.on('availability', (available) => available && this.saved.clear());
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
    const json = JSON.stringify({ record, seats });
    if (this.saved.get(roomId) === json) return;
    await this.kv.set(keyOf(roomId), json, this.settings.retentionMs);
    this.saved.set(roomId, json);
  }

  /** A room closed here: its last written state is no longer needed to skip unchanged writes. */
  forget(roomId: string): void {
    this.saved.delete(roomId);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async saveChanged(): Promise<void> {
    if (this.saving || !this.kv.available) return;
    this.saving = true;
    try {
      for (const state of this.openRooms()) await this.save(state);
    } catch (error) {
      this.logger.debug({ err: (error as Error).message }, 'room state not saved; retrying');
    } finally {
      this.saving = false;
    }
  }
}
