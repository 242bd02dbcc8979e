import type { EventEmitter } from 'node:events';
import { z } from 'zod';
import type { Logger } from '../logging/logger.js';
import type { RoomObserverEvents } from '../rooms/room-port.js';
import type { KeyValueStore } from '../store/kv.js';
import { parseStored } from '../store/stored-schemas.js';
import { WriteThrough } from '../store/write-through.js';
import { AttendanceLedger, type LedgerData, type SessionReport } from './attendance.js';

/** Sessions whose reports are kept in memory, live or ended; past it the oldest is let go of (the store keeps its own). */
const KEPT = 500;

export interface ReportStorage {
  kv: KeyValueStore;
  /** How often changed ledgers are written; an unchanged one is written again after `heartbeatMs` (its node alive). */
  intervalMs: number;
  heartbeatMs: number;
  /** How long a ledger or a final report outlives its last write. */
  retentionMs: number;
}

/** A session's ledger, as it stands while the session runs and final once it ended. */
const ledgerKey = (roomId: string) => `circle:report:${roomId}:ledger`;

const clock = z.object({ since: z.number().nullable(), totalMs: z.number().min(0) }).strict();
const storedLedger = z
  .object({
    savedAt: z.number(),
    startedAt: z.number().nullable(),
    endedAt: z.number().nullable(),
    breakClock: clock,
    attendees: z
      .array(
        z.tuple([
          z.string().min(1).max(128),
          z
            .object({
              joinedAt: z.number(),
              leftAt: z.number().nullable(),
              admitted: z.boolean(),
              connected: z.boolean(),
              audioOnly: z.boolean(),
              inSideRoom: z.boolean(),
              onPhone: z.boolean(),
              reconnects: z.number().int().min(0),
              removed: z.boolean(),
              worst: z.number().int().min(0),
              spokenMs: z.number().min(0),
              turns: z.number().int().min(0),
              inRoom: clock,
              audioOnlyClock: clock,
              sideRoomClock: clock,
              phoneClock: clock,
            })
            .strict(),
        ]),
      )
      .max(10_000),
  })
  .strict() satisfies z.ZodType<LedgerData, z.ZodTypeDef, unknown>;

/**
 * The attendance of sessions: a ledger per session while it runs (kept across a room's router closing and
 * reopening, as after a worker's death), and its final report once it ends, handed to `onEnded` (the webhook).
 * With a shared store each ledger is written through (sealed: ids, times and counts), so the node that takes a
 * session over after its node's death carries the attendance on, and any node serves any session's report.
 */
export class SessionReports {
  /** Ledgers are promised: a session taken over from a dead node first reads what the store kept. */
  private readonly ledgers = new Map<string, Promise<AttendanceLedger>>();
  /**
   * Rooms that closed here without ending (a worker's death, a drain, a lease lost), and when: their ledgers are no
   * longer this node's to write, and the store's copy wins if another node wrote it since.
   */
  private readonly closedAt = new Map<string, number>();
  private readonly final = new Map<string, SessionReport>();
  private readonly writes: WriteThrough;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onEnded: (report: SessionReport) => void,
    private readonly storage: ReportStorage,
    private readonly logger: Logger,
  ) {
    this.writes = new WriteThrough(storage.kv, 'attendance', logger, storage.heartbeatMs);
    if (!storage.kv.shared) return;
    const writeOpenLedgers = async () => {
      for (const [roomId, ledger] of this.ledgers) if (!this.closedAt.has(roomId)) await this.write(await ledger);
    };
    this.timer = setInterval(() => void this.writes.pass(writeOpenLedgers), storage.intervalMs);
    this.timer.unref();
  }

  follow(room: { id: string; observer: EventEmitter<RoomObserverEvents>; once(event: 'closed', listener: () => void): unknown }): void {
    const ledger = this.current(room.id).then((current) => current ?? new AttendanceLedger(room.id));
    keep(this.ledgers, room.id, ledger);
    this.closedAt.delete(room.id);
    // Recorded in order, each at the time it happened, once the ledger is there.
    room.observer.on('talk', (spoken) => {
      const at = Date.now();
      void ledger.then((l) => l.spoke(spoken, at));
    });
    room.observer.on('participation', (event) => {
      const at = Date.now();
      void ledger.then((l) => {
        l.record(event, at);
        if (event.type === 'session.ended') this.ended(l);
      });
    });
    room.once('closed', () => {
      if (this.ledgers.get(room.id) !== ledger) return; // ended, or followed again since
      // Written once more as it stands at the close, and no longer from here.
      void ledger
        .then((l) => this.write(l))
        .catch((error: unknown) => this.logger.debug({ err: (error as Error).message }, 'attendance not stored at close'))
        .finally(() => this.writes.forget(ledgerKey(room.id)));
      this.closedAt.set(room.id, Date.now());
    });
  }

  /** The session's report, from this node or the store: final once it ended, else as it stands (or stood). */
  async anyReport(roomId: string): Promise<SessionReport | undefined> {
    return this.final.get(roomId) ?? (await this.current(roomId))?.report();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * The newest ledger of a session: this node's while its room is open here; after it closed here (or if it never
   * ran here), the store's, unless this node's is newer (its last write may have failed).
   */
  private async current(roomId: string): Promise<AttendanceLedger | undefined> {
    const mine = this.ledgers.get(roomId);
    if (mine && !this.closedAt.has(roomId)) return mine;
    const stored = await this.storedData(roomId);
    if (stored && (!mine || stored.savedAt >= this.closedAt.get(roomId)!)) return AttendanceLedger.restore(roomId, stored);
    return mine;
  }

  private ended(ledger: AttendanceLedger): void {
    const report = ledger.report();
    this.ledgers.delete(ledger.roomId);
    this.closedAt.delete(ledger.roomId);
    keep(this.final, ledger.roomId, report);
    this.onEnded(report);
    if (!this.storage.kv.shared) return;
    this.write(ledger)
      .catch((error: unknown) => this.logger.warn({ err: (error as Error).message }, 'final report not stored'))
      .finally(() => this.writes.forget(ledgerKey(ledger.roomId)));
  }

  private async storedData(roomId: string): Promise<LedgerData | undefined> {
    if (!this.storage.kv.shared) return undefined;
    try {
      const stored = await this.storage.kv.get(ledgerKey(roomId));
      return stored === undefined ? undefined : parseStored(storedLedger, stored, 'attendance ledger');
    } catch (error) {
      // Unreadable or unreachable: the session carries on with a new ledger rather than waiting on the store.
      this.logger.warn({ err: (error as Error).message }, 'stored attendance not read; a new ledger starts');
      return undefined;
    }
  }

  /** Writes a ledger if it changed since its last write, or that write is older than the heartbeat. */
  private async write(ledger: AttendanceLedger): Promise<void> {
    if (!this.storage.kv.shared) return;
    const { savedAt, ...rest } = ledger.toData();
    await this.writes.write(ledgerKey(ledger.roomId), JSON.stringify(rest), this.storage.retentionMs, JSON.stringify({ savedAt, ...rest }));
  }
}

function keep<T>(map: Map<string, T>, key: string, value: T): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > KEPT) map.delete(map.keys().next().value!);
}
