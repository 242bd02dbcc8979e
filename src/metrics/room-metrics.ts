import { CONNECTION_PATHS } from '../protocol/connectivity.js';
import { CONNECTION_QUALITIES, type ConnectionPath, type ConnectionQuality, type MediaKind } from '../protocol/events.js';
import { ROLES, type Role } from '../protocol/roles.js';
import type { LinkTotals } from '../rooms/room-quality.js';
import type { Room } from '../rooms/room.js';
import type { LiveCounts, Metrics } from './metrics.js';

/** Counts what a room's observer tells of (moderation, floor, seats, links) into the node's Prometheus metrics. */
export function observeRoom(room: Room, metrics: Metrics): void {
  const { observer } = room;
  observer.on('moderation', (action) => metrics.moderationActions.inc({ action }));
  observer.on('floorGranted', (source, waitedMs) => {
    metrics.floorGrants.inc({ source });
    if (waitedMs !== null) metrics.floorWait.observe(waitedMs / 1000);
  });
  observer.on('seatOutcome', (outcome) => metrics.reconnects.inc({ outcome }));
  observer.on('message', (audience) => metrics.messages.inc({ audience }));
  observer.on('consumerScore', (score) => metrics.consumerScore.observe(score));
  observer.on('audioOnlyTransition', (direction, reason) => metrics.audioOnlyTransitions.inc({ direction, reason }));
  observer.on('linkSample', ({ downlinkLoss, uplinkLoss, rttMs }) => {
    if (downlinkLoss !== undefined) metrics.linkLoss.observe({ direction: 'downlink' }, downlinkLoss);
    if (uplinkLoss !== undefined) metrics.linkLoss.observe({ direction: 'uplink' }, uplinkLoss);
    if (rttMs !== undefined) metrics.roundTrip.observe(rttMs / 1000);
  });
}

export type RoomCounts = Omit<LiveCounts, 'workersAlive' | 'workerUsage' | 'storeUp' | 'draining' | 'checksOpen'>;

/** The gauges' readings over the rooms open now, taken at scrape time so they cannot drift from the real state. */
export function roomCounts(openRooms: () => Iterable<Room>): RoomCounts {
  const rooms = () => [...openRooms()];
  const participants = () => rooms().flatMap((room) => [...room.participants.values()]);
  const byKind = (of: 'producers' | 'consumers') => () => {
    const counts: Record<MediaKind, number> = { audio: 0, video: 0 };
    for (const participant of participants()) participant.media.countByKind(counts, of);
    return counts;
  };
  return {
    rooms: () => rooms().length,
    participantsByRole: () => {
      const counts = Object.fromEntries(ROLES.map((role) => [role, 0])) as Record<Role, number>;
      for (const participant of participants()) counts[participant.role] += 1;
      return counts;
    },
    lobbyWaiting: () => rooms().reduce((n, room) => n + room.waiting().length, 0),
    floorQueueLengths: () => rooms().map((room) => room.floor.queueLength()),
    producersByKind: byKind('producers'),
    consumersByKind: byKind('consumers'),
    linkTotals: () => {
      const byQuality = Object.fromEntries(CONNECTION_QUALITIES.map((q) => [q, 0])) as Record<ConnectionQuality, number>;
      const byPath = Object.fromEntries(CONNECTION_PATHS.map((path) => [path, 0])) as Record<ConnectionPath, number>;
      const totals: LinkTotals = { byQuality, byPath, audioOnly: 0, bitrateBps: { in: 0, out: 0 } };
      for (const room of rooms()) room.quality.count(totals);
      return totals;
    },
    transports: () => participants().reduce((n, p) => n + p.media.transportCount, 0),
  };
}
