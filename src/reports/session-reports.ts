import type { EventEmitter } from 'node:events';
import type { RoomObserverEvents } from '../rooms/room-port.js';
import { AttendanceLedger, type SessionReport } from './attendance.js';

/** Sessions whose reports are kept, live or ended; past it the oldest is let go of (memory only, never stored). */
const KEPT = 500;

/**
 * The attendance of this node's sessions: a ledger per session while it runs (kept across a room's router closing
 * and reopening, as after a worker's death), and its final report once it ends, handed to `onEnded` (the webhook)
 * and kept for the API. Only in memory, and only ids and times.
 */
export class SessionReports {
  private readonly ledgers = new Map<string, AttendanceLedger>();
  private readonly final = new Map<string, SessionReport>();

  constructor(private readonly onEnded: (report: SessionReport) => void) {}

  follow(room: { id: string; observer: EventEmitter<RoomObserverEvents> }): void {
    let ledger = this.ledgers.get(room.id);
    if (!ledger) {
      ledger = new AttendanceLedger(room.id);
      keep(this.ledgers, room.id, ledger);
    }
    const kept = ledger;
    room.observer.on('talk', (spoken) => kept.spoke(spoken));
    room.observer.on('participation', (event) => {
      kept.record(event);
      if (event.type !== 'session.ended') return;
      const report = kept.report();
      this.ledgers.delete(room.id);
      keep(this.final, room.id, report);
      this.onEnded(report);
    });
  }

  /** The session's report: final once it ended, else as it stands now; undefined if this node never ran it. */
  reportOf(roomId: string): SessionReport | undefined {
    return this.final.get(roomId) ?? this.ledgers.get(roomId)?.report();
  }
}

function keep<T>(map: Map<string, T>, key: string, value: T): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > KEPT) map.delete(map.keys().next().value!);
}
