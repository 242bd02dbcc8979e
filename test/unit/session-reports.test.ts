// Session reports over a store two "nodes" share (in-process, saying it is shared): a ledger written through is
// carried on by the node that takes the session over; a node whose room closed (a drain, a lost lease) stops writing
// it, so it never overwrites the newer ledger of the node that runs the session now.
import { EventEmitter } from 'node:events';
import { afterEach, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { SessionReports } from '../../src/reports/session-reports.js';
import type { RoomObserverEvents } from '../../src/rooms/room-port.js';
import { MemoryKeyValueStore } from '../../src/store/memory-kv.js';

const logger = createLogger('silent', (id) => id);
const nodes: SessionReports[] = [];
afterEach(() => nodes.splice(0).forEach((node) => node.stop()));

function node(kv: MemoryKeyValueStore): SessionReports {
  const reports = new SessionReports(() => undefined, { kv, intervalMs: 20, heartbeatMs: 30, retentionMs: 60_000 }, logger);
  nodes.push(reports);
  return reports;
}

/** A room as the reports see it: its id, its observer, and its own `closed` event. */
function room(id: string) {
  const emitter = new EventEmitter<{ closed: [] }>();
  return Object.assign(emitter, { id, observer: new EventEmitter<RoomObserverEvents>() });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('carries a session over to another node, and the node it left never overwrites it', async () => {
  const kv = Object.assign(new MemoryKeyValueStore(), { shared: true });
  const [a, b] = [node(kv), node(kv)];
  const onA = room('group-1');
  a.follow(onA);
  onA.observer.emit('participation', { type: 'session.started' });
  for (const type of ['participant.joined', 'participant.admitted'] as const) onA.observer.emit('participation', { type, participantId: 'kim' });
  await sleep(60);
  const before = (await a.anyReport('group-1'))!.participants[0]!;

  // A loses the room (its lease went to B): the room closes on A, B takes the session on.
  onA.emit('closed');
  await sleep(10);
  const onB = room('group-1');
  b.follow(onB);
  onB.observer.emit('participation', { type: 'participant.resumed', participantId: 'kim' });
  onB.observer.emit('participation', { type: 'participant.joined', participantId: 'lou' });
  await sleep(100); // many of A's write intervals: A must not write its stale copy over B's

  // A third node reads the store: B's ledger is what it holds.
  for (const reports of [a, b, node(kv)]) {
    const report = (await reports.anyReport('group-1'))!;
    expect(report.participants.map((p) => p.participantId)).toEqual(['kim', 'lou']);
    expect(report.participants[0]).toMatchObject({ joinedAt: before.joinedAt, reconnects: 1 });
  }
});

it('a room that closes and reopens on the same node (a worker died) keeps its ledger, with or without a shared store', async () => {
  for (const shared of [false, true]) {
    const reports = node(Object.assign(new MemoryKeyValueStore(), { shared }));
    const first = room('group-2');
    reports.follow(first);
    first.observer.emit('participation', { type: 'participant.joined', participantId: 'kim' });
    await sleep(30);
    first.emit('closed');
    await sleep(10);
    const again = room('group-2');
    reports.follow(again);
    again.observer.emit('participation', { type: 'participant.resumed', participantId: 'kim' });
    again.observer.emit('participation', { type: 'session.ended' });
    await sleep(10);
    expect((await reports.anyReport('group-2'))!.participants[0], `shared: ${shared}`).toMatchObject({ participantId: 'kim', reconnects: 1 });
    expect((await reports.anyReport('group-2'))!.endedAt).not.toBeNull();
  }
});
