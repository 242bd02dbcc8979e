import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { AUDIO_ONLY_REASONS, CONNECTION_QUALITIES, type MediaKind } from '../protocol/events.js';
import { MODERATION_ACTIONS } from '../protocol/moderation-actions.js';
import type { LinkTotals } from '../rooms/room-quality.js';
import { CHECK_OUTCOMES } from '../check/connection-checks.js';
import { countedBy as countedByIn } from './counted-by.js';
import type { PhoneMeter } from '../phone/phone-meter.js';
import { createPhoneMetrics } from './phone-metrics.js';
import { ROLES, type Role } from '../protocol/roles.js';
import { REQUEST_NAMES } from '../protocol/schemas.js';

/** Live counts the gauges read at scrape time, so they can never drift from the real state. */
export interface LiveCounts {
  rooms(): number;
  participantsByRole(): Record<Role, number>;
  producersByKind(): Record<MediaKind, number>;
  consumersByKind(): Record<MediaKind, number>;
  workersAlive(): number;
  lobbyWaiting(): number;
  floorQueueLengths(): number[];
  linkTotals(): LinkTotals;
  transports(): number;
  /** Per worker: CPU seconds (user, system) and peak resident memory, from `worker.getResourceUsage()`. */
  workerUsage(): Promise<{ index: number; userSeconds: number; systemSeconds: number; maxRssBytes: number }[]>;
  storeUp(): boolean;
  draining(): boolean;
  /** Pre-session connection checks open now. */
  checksOpen(): number;
}

export interface Metrics {
  registry: Registry;
  workerDeaths: Counter<never>;
  signalingRequests: Counter<'event' | 'result'>;
  signalingDuration: Histogram<'event'>;
  moderationActions: Counter<'action'>;
  floorGrants: Counter<'source'>;
  messages: Counter<'audience'>;
  webhookDeliveries: Counter<'outcome'>;
  connectionChecks: Counter<'outcome'>;
  sessionsEnded: Counter<'worst_quality'>;
  floorWait: Histogram<never>;
  reconnects: Counter<'outcome'>;
  audioOnlyTransitions: Counter<'direction' | 'reason'>;
  linkLoss: Histogram<'direction'>;
  roundTrip: Histogram<never>;
  consumerScore: Histogram<never>;
  phone: PhoneMeter;
}

export function createMetrics(live: () => LiveCounts | undefined): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    read: (counts: LiveCounts, set: (labels: Partial<Record<L, string>>, value: number) => void) => void | Promise<void>,
  ): void => {
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const counts = live();
        if (!counts) return;
        await read(counts, (labels, value) => this.set(labels, value));
      },
    });
  };

  /** A gauge with one label, read from a count per label value. */
  const countsGauge = <L extends string>(name: string, help: string, label: L, counts: (live: LiveCounts) => Record<string, number>): void =>
    gauge(name, help, [label], (c, set) => {
      for (const [value, n] of Object.entries(counts(c))) set({ [label]: value } as Partial<Record<L, string>>, n);
    });

  gauge('circle_rooms', 'Rooms open on this node.', [], (c, set) => set({}, c.rooms()));
  gauge('circle_participants', 'Participants in rooms on this node, by role.', ['role'], (c, set) => {
    const byRole = c.participantsByRole();
    for (const role of ROLES) set({ role }, byRole[role]);
  });
  countsGauge('circle_producers', 'Media producers (incoming streams) on this node.', 'kind', (c) => c.producersByKind());
  countsGauge('circle_consumers', 'Media consumers (forwarded streams) on this node.', 'kind', (c) => c.consumersByKind());
  gauge('circle_lobby_waiting', 'Clients waiting in a lobby to be admitted, over all rooms.', [], (c, set) =>
    set({}, c.lobbyWaiting()),
  );
  /** Raised hands waiting, summed over this node's rooms, and in its room where most wait. */
  const floorQueues = (c: LiveCounts) => {
    const lengths = c.floorQueueLengths();
    return { sum: lengths.reduce((a, b) => a + b, 0), max: Math.max(0, ...lengths) };
  };
  gauge('circle_floor_queued_hands', 'Raised hands waiting for the floor, summed over the rooms of this node.', [], (c, set) => set({}, floorQueues(c).sum));
  gauge('circle_floor_longest_queue', 'Raised hands waiting for the floor in the room of this node where most wait.', [], (c, set) => set({}, floorQueues(c).max));
  gauge(
    'circle_floor_queue_length',
    'Deprecated (removed in the next release): circle_floor_queued_hands and circle_floor_longest_queue, as aggregate sum and max.',
    ['aggregate'],
    (c, set) => {
      const { sum, max } = floorQueues(c);
      set({ aggregate: 'sum' }, sum);
      set({ aggregate: 'max' }, max);
    },
  );
  countsGauge(
    'circle_connection_quality',
    'Admitted participants by connection quality (good, fair, poor, audio-only, reconnecting).',
    'quality',
    (c) => c.linkTotals().byQuality,
  );
  countsGauge(
    'circle_connection_paths',
    'Admitted participants by the path their media takes (udp, tcp direct; relay-udp, relay-tcp, relay-tls through TURN), as their browser reports it.',
    'path',
    (c) => c.linkTotals().byPath,
  );
  gauge('circle_audio_only_participants', 'Admitted participants without video: by choice or a weak link.', [], (c, set) =>
    set({}, c.linkTotals().audioOnly),
  );
  /** Media through this node each way at the last link reading, in units of `bitsPerUnit` bits. */
  const mediaRate = (name: string, help: string, bitsPerUnit: number) =>
    gauge(name, help, ['direction'], (c, set) => {
      const { bitrateBps } = c.linkTotals();
      set({ direction: 'in' }, bitrateBps.in / bitsPerUnit);
      set({ direction: 'out' }, bitrateBps.out / bitsPerUnit);
    });
  mediaRate('circle_media_bytes_per_second', 'Media bytes per second arriving from participants (in) and forwarded to them (out), at the last link reading.', 8);
  mediaRate('circle_media_bitrate_bps', 'Deprecated (removed in the next release): circle_media_bytes_per_second, in bits.', 1);
  gauge('circle_transports', 'WebRTC transports open on this node (two per participant sending and receiving).', [], (c, set) =>
    set({}, c.transports()),
  );
  // The workers' usage is asked once per scrape (one IPC round trip per worker), however many metrics read it: the
  // collectors of one scrape start together and share the request in flight.
  let usageInFlight: ReturnType<LiveCounts['workerUsage']> | undefined;
  const workerUsage = (c: LiveCounts) => (usageInFlight ??= c.workerUsage().finally(() => (usageInFlight = undefined)));
  // A counter read whole from the workers at each scrape: reset, then set to what each has used (a replaced worker
  // starts again at 0, which rate() takes for a counter reset).
  new Counter<'worker' | 'mode'>({
    name: 'circle_worker_cpu_seconds_total',
    help: 'CPU time each mediasoup worker has used since it started, by worker index and mode (user, system).',
    labelNames: ['worker', 'mode'],
    registers: [registry],
    async collect() {
      const counts = live();
      if (!counts) return;
      const usages = await workerUsage(counts);
      this.reset();
      for (const usage of usages) {
        this.inc({ worker: String(usage.index), mode: 'user' }, usage.userSeconds);
        this.inc({ worker: String(usage.index), mode: 'system' }, usage.systemSeconds);
      }
    },
  });
  gauge(
    'circle_worker_cpu_seconds',
    'Deprecated (removed in the next release): circle_worker_cpu_seconds_total, the same values as a gauge.',
    ['worker', 'mode'],
    async (c, set) => {
      for (const usage of await workerUsage(c)) {
        set({ worker: String(usage.index), mode: 'user' }, usage.userSeconds);
        set({ worker: String(usage.index), mode: 'system' }, usage.systemSeconds);
      }
    },
  );
  gauge('circle_worker_max_rss_bytes', 'Peak resident memory of each mediasoup worker, by worker index.', ['worker'], async (c, set) => {
    for (const usage of await workerUsage(c)) set({ worker: String(usage.index) }, usage.maxRssBytes);
  });
  gauge('circle_store_up', 'Whether the state store answers (1) or not (0); always 1 for the in-memory store.', [], (c, set) =>
    set({}, c.storeUp() ? 1 : 0),
  );
  gauge('circle_connection_checks', 'Pre-session connection checks open on this node (each a router of its own).', [], (c, set) => set({}, c.checksOpen()));
  gauge('circle_draining', 'Whether this node is draining after SIGTERM (1): no new rooms, participants moved at the deadline.', [], (c, set) =>
    set({}, c.draining() ? 1 : 0),
  );
  gauge('circle_workers_alive', 'mediasoup workers currently running.', [], (c, set) => set({}, c.workersAlive()));

  /** A counter over one label with a fixed set of values, each series present (at 0) from the start. */
  const countedBy = <L extends string>(name: string, help: string, label: L, values: readonly string[]) =>
    countedByIn(registry, name, help, label, values);

  const audioOnlyTransitions = new Counter<'direction' | 'reason'>({
    name: 'circle_audio_only_transitions_total',
    help: 'Times a participant went audio-only (to-audio-only) or got video back (to-video), by why video was off: manual, downlink or uplink.',
    labelNames: ['direction', 'reason'],
    registers: [registry],
  });
  for (const direction of ['to-audio-only', 'to-video']) {
    for (const reason of AUDIO_ONLY_REASONS) audioOnlyTransitions.inc({ direction, reason }, 0);
  }

  const linkLoss = new Histogram<'direction'>({
    name: 'circle_link_loss_ratio',
    help: 'Packet loss of participant links at each reading (once per quality.sampleIntervalMs per participant), by direction.',
    labelNames: ['direction'],
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.25, 0.5],
    registers: [registry],
  });
  // Both directions exist from the start, so the dashboard's quantiles query a series rather than nothing.
  for (const direction of ['downlink', 'uplink']) linkLoss.zero({ direction });

  const signalingRequests = new Counter<'event' | 'result'>({
    name: 'circle_signaling_requests_total',
    help: 'Signaling requests by event and result (ok or an error code).',
    labelNames: ['event', 'result'],
    registers: [registry],
  });
  const signalingDuration = new Histogram<'event'>({
    name: 'circle_signaling_request_duration_seconds',
    help: 'Time from receiving a signaling request to sending its acknowledgement.',
    labelNames: ['event'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  // Every request's count exists from the start, at ok and at the failures the signaling-error alert reads, so a
  // rate or the alert reads 0 on a node that has served nothing yet; the latency histogram starts with `join`, the
  // request the dashboard's p99 reads (every request's buckets would be a thousand lines at each scrape).
  for (const event of REQUEST_NAMES) for (const result of ['ok', 'INTERNAL', 'UNAVAILABLE']) signalingRequests.inc({ event, result }, 0);
  signalingDuration.zero({ event: 'join' });

  return {
    registry,
    phone: createPhoneMetrics(registry),
    audioOnlyTransitions,
    linkLoss,
    roundTrip: new Histogram({
      name: 'circle_round_trip_seconds',
      help: 'Round-trip time between participants and the SFU, as their browsers report it.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2],
      registers: [registry],
    }),
    consumerScore: new Histogram({
      name: 'circle_consumer_score',
      help: "mediasoup's quality score (0-10) of forwarded streams, observed at each change.",
      buckets: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      registers: [registry],
    }),
    moderationActions: countedBy(
      'circle_moderation_actions_total',
      'Moderation actions carried out, by action (admit, mute, remove, end, ...).',
      'action',
      MODERATION_ACTIONS,
    ),
    messages: countedBy(
      'circle_messages_total',
      'Messages sent, by how they were addressed: to everyone, to the staff, or to one person. Never by whom, to whom or what.',
      'audience',
      ['everyone', 'staff', 'one'],
    ),
    sessionsEnded: countedBy(
      'circle_sessions_ended_total',
      'Sessions ended on this node, by the worst link any participant had in them: the fleet\'s session quality.',
      'worst_quality',
      CONNECTION_QUALITIES,
    ),
    webhookDeliveries: countedBy(
      'circle_webhook_deliveries_total',
      'Webhook delivery attempts by outcome: delivered, retried (to be tried again), failed (given up), dropped (the queue was full).',
      'outcome',
      ['delivered', 'retried', 'failed', 'dropped'],
    ),
    connectionChecks: countedBy(
      'circle_connection_checks_total',
      'Pre-session connection checks asked for, by outcome: started, refused-node (too many open on this node), refused-address (too many from one address).',
      'outcome',
      CHECK_OUTCOMES,
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
    signalingRequests,
    signalingDuration,
  };
}
