// Where rooms run, in milliseconds: two nodes' Placements over one in-memory store (the store's own code, not a
// fake): the lease goes to the first claimant, the other answers MOVED (or UNAVAILABLE for an origin not listed),
// a handed-over room's seats are held for their owners on the next node, and a stored state that does not parse
// fails closed. The same runs across processes with redis-server in test/integration/cluster.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/logging/logger.js';
import { CircleError } from '../../src/protocol/errors.js';
import { Placement } from '../../src/rooms/placement.js';
import type { Room } from '../../src/rooms/room.js';
import { RoomRecord } from '../../src/rooms/room-record.js';
import type { KeyValueStore } from '../../src/store/kv.js';
import { MemoryKeyValueStore } from '../../src/store/memory-kv.js';
import { RoomDirectory } from '../../src/store/room-directory.js';

const quiet = { error: () => undefined, warn: () => undefined, debug: () => undefined, info: () => undefined } as unknown as Logger;
const SETTINGS = { leaseMs: 30_000, snapshotIntervalMs: 60_000, retentionMs: 3_600_000, resumeGraceMs: 30_000, allowedOrigins: ['https://a.circle.test', 'https://b.circle.test'] };

/** The in-memory store standing in for Redis between two nodes of one process: the same code, said to be shared. */
const sharedMemoryStore = (): KeyValueStore => Object.defineProperty(new MemoryKeyValueStore(), 'shared', { value: true });

const placements: Placement[] = [];
afterEach(() => placements.splice(0).forEach((placement) => placement.stop()));

function node(kv: KeyValueStore, nodeId: string, url: string, allowedOrigins = SETTINGS.allowedOrigins) {
  const placement = new Placement({ kv, directory: new RoomDirectory(kv, { nodeId, url }, SETTINGS.leaseMs) }, { ...SETTINGS, allowedOrigins }, quiet, () => []);
  placements.push(placement);
  return placement;
}

async function refusal(act: Promise<unknown>): Promise<CircleError> {
  try {
    await act;
  } catch (error) {
    if (error instanceof CircleError) return error;
    throw error;
  }
  throw new Error('not refused');
}

/** A closed room as `handOver` sees it: its record and the seats of those inside. */
function closedRoom(record: RoomRecord): Room {
  const seat = { role: 'client' as const, admitted: true, locks: { audio: true, video: false }, waitingSince: new Date(0).toISOString(), audioOnly: false, sideRoomId: null };
  return { id: record.roomId, record, participants: new Map([['ana', { id: 'ana', seat }]]) } as unknown as Room;
}

describe('placement', () => {
  it('gives the lease to the first node; the other answers MOVED to it, or UNAVAILABLE for an origin not listed', async () => {
    const kv = sharedMemoryStore();
    const a = node(kv, 'a', 'https://a.circle.test');
    const b = node(kv, 'b', 'https://b.circle.test');
    expect(await a.claim('room-1')).toBeUndefined();
    expect(await a.claim('room-1')).toBeUndefined(); // its own lease, taken again
    const moved = await refusal(b.claim('room-1'));
    expect(moved.code).toBe('MOVED');
    expect(moved.message).toContain('another node');
    const stranger = node(kv, 'c', 'https://c.circle.test', ['https://c.circle.test']);
    expect((await refusal(stranger.claim('room-1'))).code).toBe('UNAVAILABLE');
  });

  it('hands a closed room over: its lease is free and the next node holds the seats for their owners', async () => {
    const kv = sharedMemoryStore();
    const a = node(kv, 'a', 'https://a.circle.test');
    const b = node(kv, 'b', 'https://b.circle.test');
    await a.claim('room-1');
    const record = new RoomRecord('room-1');
    record.start();
    record.setLocks('ana', { audio: true, video: false });
    await a.handOver(closedRoom(record));
    const adopted = await b.claim('room-1');
    expect(adopted?.started).toBe(true);
    expect(adopted?.standingFor('ana').locks.audio).toBe(true);
    expect(adopted?.holdsSeatFor('ana')).toBe(true);
    expect(adopted?.takeHeldSeat('ana')?.locks).toEqual({ audio: true, video: false });
    expect((await refusal(a.claim('room-1'))).code).toBe('MOVED');
  });

  it('fails closed on a stored state that does not parse: the join is refused, no fresh room forgets the old', async () => {
    const kv = sharedMemoryStore();
    const a = node(kv, 'a', 'https://a.circle.test');
    await kv.set('circle:room:room-1:state', '{"record":{"locked":"yes"},"seats":[]}', 60_000);
    expect((await refusal(a.claim('room-1'))).code).toBe('STORED_STATE_INVALID');
  });
});
