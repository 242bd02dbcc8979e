import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { MODERATION_ACTIONS, type MediaKind } from '../protocol/events.js';
import { ROLES, type Role } from '../protocol/roles.js';

/** Live counts the gauges read at scrape time, so they can never drift from the real state. */
export interface LiveCounts {
  rooms(): number;
  participantsByRole(): Record<Role, number>;
  producersByKind(): Record<MediaKind, number>;
  consumersByKind(): Record<MediaKind, number>;
  workersAlive(): number;
  lobbyWaiting(): number;
  floorQueueLengths(): number[];
}

export interface Metrics {
  registry: Registry;
  workerDeaths: Counter<never>;
  signalingRequests: Counter<'event' | 'result'>;
  signalingDuration: Histogram<'event'>;
  moderationActions: Counter<'action'>;
  floorGrants: Counter<'source'>;
  floorWait: Histogram<never>;
  reconnects: Counter<'outcome'>;
}

export function createMetrics(live: () => LiveCounts | undefined): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    read: (counts: LiveCounts, set: (labels: Partial<Record<L, string>>, value: number) => void) => void,
  ): void => {
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        const counts = live();
        if (!counts) return;
        read(counts, (labels, value) => this.set(labels, value));
      },
    });
  };

  gauge('circle_rooms', 'Rooms open on this node.', [], (c, set) => set({}, c.rooms()));
  gauge('circle_participants', 'Participants in rooms on this node, by role.', ['role'], (c, set) => {
    const byRole = c.participantsByRole();
    for (const role of ROLES) set({ role }, byRole[role]);
  });
  gauge('circle_producers', 'Media producers (incoming streams) on this node.', ['kind'], (c, set) => {
    for (const [kind, n] of Object.entries(c.producersByKind())) set({ kind }, n);
  });
  gauge('circle_consumers', 'Media consumers (forwarded streams) on this node.', ['kind'], (c, set) => {
    for (const [kind, n] of Object.entries(c.consumersByKind())) set({ kind }, n);
  });
  gauge('circle_lobby_waiting', 'Clients waiting in a lobby to be admitted, over all rooms.', [], (c, set) =>
    set({}, c.lobbyWaiting()),
  );
  gauge(
    'circle_floor_queue_length',
    'Raised hands waiting for the floor, over the rooms of this node: their sum and the longest queue.',
    ['aggregate'],
    (c, set) => {
      const lengths = c.floorQueueLengths();
      set({ aggregate: 'sum' }, lengths.reduce((a, b) => a + b, 0));
      set({ aggregate: 'max' }, Math.max(0, ...lengths));
    },
  );
  gauge('circle_workers_alive', 'mediasoup workers currently running.', [], (c, set) => set({}, c.workersAlive()));

  /** A counter over one label with a fixed set of values, each series present (at 0) from the start. */
  const countedBy = <L extends string>(name: string, help: string, label: L, values: readonly string[]) => {
    const counter = new Counter<L>({ name, help, labelNames: [label], registers: [registry] });
    // So rate() and alerts see a 0 rather than nothing before the first event.
    for (const value of values) counter.inc({ [label]: value } as Partial<Record<L, string>>, 0);
    return counter;
  };

  return {
    registry,
    moderationActions: countedBy(
      'circle_moderation_actions_total',
      'Moderation actions carried out, by action (admit, mute, remove, end, ...).',
      'action',
      MODERATION_ACTIONS,
    ),
    floorGrants: countedBy(
      'circle_floor_grants_total',
      'Times the floor was given: from the queue (next), directly to someone, or by a turn timer.',
      'source',
      ['queue', 'direct', 'timer'],
    ),
    reconnects: countedBy(
      'circle_reconnects_total',
      'Seats whose connection dropped or was duplicated, by how it ended: resumed within the grace period, expired, or replaced by a newer connection.',
      'outcome',
      ['resumed', 'expired', 'replaced'],
    ),
    floorWait: new Histogram({
      name: 'circle_floor_wait_seconds',
      help: 'Time from raising a hand to being given the floor.',
      buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 1800],
      registers: [registry],
    }),
    workerDeaths: new Counter({
      name: 'circle_worker_deaths_total',
      help: 'mediasoup worker processes that died unexpectedly.',
      registers: [registry],
    }),
    signalingRequests: new Counter({
      name: 'circle_signaling_requests_total',
      help: 'Signaling requests by event and result (ok or an error code).',
      labelNames: ['event', 'result'],
      registers: [registry],
    }),
    signalingDuration: new Histogram({
      name: 'circle_signaling_request_duration_seconds',
      help: 'Time from receiving a signaling request to sending its acknowledgement.',
      labelNames: ['event'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}
