import { describe, expect, it } from 'vitest';
import { sample } from '../../harness/circle.js';
import { circleSuite } from '../helpers/fixtures.js';
import { produceAudio, type Seated } from '../../harness/signaling.js';

const suite = circleSuite({ floor: { turnWarningSeconds: 8 } });
const seat = suite.seat.bind(suite);

interface FloorView {
  mode: string;
  holder: string | null;
  queue: string[];
  turnEndsAt: string | null;
}


async function roomWithClients(room: string, count: number) {
  const facilitator = await seat(room, 'Facilitator', 'facilitator');
  const clients: Seated[] = [];
  for (let i = 0; i < count; i += 1) {
    const client = await seat(room, `Client ${i}`, 'client');
    await facilitator.client.ok('admit', { participantId: client.participantId });
    clients.push(client);
  }
  return { facilitator, clients };
}

const lastFloor = (seated: Seated) => seated.client.events('floorUpdated').at(-1) as FloorView | undefined;

async function until(probe: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Sends the room's own capabilities as the client's, then produces audio. */
async function produceAudioIn(roomId: string, seated: Seated): Promise<string> {
  const room = suite.server.circle.registry.get(roomId)!;
  await seated.client.ok('setRtpCapabilities', { rtpCapabilities: room.router.rtpCapabilities });
  return produceAudio(seated.client);
}

describe('the hand queue over real sockets', () => {
  it('eight concurrent raises: everyone sees one order, and positions stay consistent through every grant', async () => {
    const { facilitator, clients } = await roomWithClients('queue-8', 8);
    const everyone = [facilitator, ...clients];

    const acks = await Promise.all(clients.map((c) => c.client.ok<{ position: number }>('raiseHand', {})));
    expect(acks.map((a) => a.position).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await until(() => everyone.every((s) => lastFloor(s)?.queue.length === 8), 'all to see 8 hands');
    const order = lastFloor(facilitator)!.queue;
    for (const s of everyone) expect(lastFloor(s)!.queue).toEqual(order);
    for (const [i, client] of clients.entries()) expect(order.indexOf(client.participantId) + 1).toBe(acks[i]!.position);

    for (let grant = 0; grant < 8; grant += 1) {
      const { holder } = await facilitator.client.ok<{ holder: string }>('grantFloor', { participantId: null });
      expect(holder).toBe(order[grant]);
      await until(() => everyone.every((s) => lastFloor(s)?.holder === holder), `all to see grant ${grant + 1}`);
      const expected = order.slice(grant + 1);
      for (const s of everyone) expect(lastFloor(s)!.queue).toEqual(expected);
      for (const client of clients) {
        const position = lastFloor(client)!.queue.indexOf(client.participantId) + 1;
        expect(position).toBe(expected.indexOf(client.participantId) + 1);
      }
    }
    const metrics = await (await fetch(`${suite.server.adminUrl}/metrics`)).text();
    expect(sample(metrics, 'circle_floor_grants_total', { source: 'queue' })).toBeGreaterThanOrEqual(8);
    expect(sample(metrics, 'circle_floor_wait_seconds_count')).toBeGreaterThanOrEqual(8);
  });

  it('a leaver drops out of the queue; a holder who leaves returns the floor', async () => {
    const { facilitator, clients } = await roomWithClients('queue-leave', 3);
    const [a, b, c] = clients as [Seated, Seated, Seated];
    await b.client.ok('raiseHand', {});
    await c.client.ok('raiseHand', {});
    await facilitator.client.ok('grantFloor', { participantId: a.participantId });
    const metrics = await (await fetch(`${suite.server.adminUrl}/metrics`)).text();
    expect(sample(metrics, 'circle_floor_queued_hands', {})).toBeGreaterThanOrEqual(2);
    expect(sample(metrics, 'circle_floor_longest_queue', {})).toBeGreaterThanOrEqual(2);
    expect(sample(metrics, 'circle_floor_queue_length', { aggregate: 'sum' })).toBe(sample(metrics, 'circle_floor_queued_hands', {})); // deprecated, kept for one release
    b.client.close();
    a.client.close();
    await until(() => lastFloor(facilitator)?.holder === null && lastFloor(facilitator)?.queue.length === 1, 'floor returned');
    expect(lastFloor(facilitator)!.queue).toEqual([c.participantId]);
  });
});

describe('queue mode at the SFU', () => {
  it('only the floor holder and staff are heard; granting resumes the holder unless they muted themselves', async () => {
    const { facilitator, clients } = await roomWithClients('queue-sfu', 2);
    const [a, b] = clients as [Seated, Seated];
    const [fProducer, aProducer, bProducer] = await Promise.all([facilitator, a, b].map((s) => produceAudioIn('queue-sfu', s)));
    const room = suite.server.circle.registry.get('queue-sfu')!;
    const paused = () =>
      [[facilitator, fProducer], [a, aProducer], [b, bProducer]].map(([s, id]) =>
        room.participants.get((s as Seated).participantId)!.media.producer(id as string).paused,
      );
    expect(paused()).toEqual([false, false, false]);

    await facilitator.client.ok('setFloorMode', { mode: 'queue' });
    expect(paused()).toEqual([false, true, true]);
    expect(room.media.mayFlow(room.participants.get(a.participantId)!, 'video')).toBe(true); // video is not gated

    await b.client.ok('raiseHand', {});
    await facilitator.client.ok('grantFloor', { participantId: a.participantId });
    expect(paused()).toEqual([false, false, true]);
    await facilitator.client.ok('grantFloor', { participantId: null });
    expect(paused()).toEqual([false, true, false]);

    // B mutes herself while holding the floor: taking it back and giving it again does not unmute her.
    await b.client.ok('pauseProducer', { producerId: bProducer });
    await facilitator.client.ok('takeBackFloor', {});
    await facilitator.client.ok('grantFloor', { participantId: b.participantId });
    expect(paused()).toEqual([false, true, true]);

    // A unmutes herself without the floor: accepted, but the SFU still holds her back until she has it.
    await a.client.ok('resumeProducer', { producerId: aProducer });
    expect(paused()).toEqual([false, true, true]);

    // Promoted to co-facilitator, A is staff and heard without the floor; demoted, she is held back again.
    await facilitator.client.ok('promote', { participantId: a.participantId });
    expect(paused()[1]).toBe(false);
    await facilitator.client.ok('demote', { participantId: a.participantId });
    expect(paused()[1]).toBe(true);

    await facilitator.client.ok('setFloorMode', { mode: 'open' });
    expect(paused()).toEqual([false, false, true]);
    expect((a.client.events('producerPaused') as unknown[]).length).toBeGreaterThanOrEqual(1);
  });

  it('a hard mute outranks the floor', async () => {
    const { facilitator, clients } = await roomWithClients('queue-lock', 1);
    const [a] = clients as [Seated];
    const producerId = await produceAudioIn('queue-lock', a);
    const producer = () => suite.server.circle.registry.get('queue-lock')!.participants.get(a.participantId)!.media.producer(producerId);
    await facilitator.client.ok('setFloorMode', { mode: 'queue' });
    await facilitator.client.ok('mute', { participantId: a.participantId });
    await facilitator.client.ok('grantFloor', { participantId: a.participantId });
    expect(producer().paused).toBe(true);
    await facilitator.client.ok('askToUnmute', { participantId: a.participantId });
    expect(producer().paused).toBe(true);
    await a.client.ok('resumeProducer', { producerId });
    expect(producer().paused).toBe(false);
  });
});

describe('timed turns over real sockets', () => {
  it('warns the holder and the staff before the end, then passes the floor to the next hand', async () => {
    const { facilitator, clients } = await roomWithClients('queue-timer', 2);
    const [a, b] = clients as [Seated, Seated];
    await facilitator.client.ok('setTurnLimit', { seconds: 10 });
    await b.client.ok('raiseHand', {});
    const warnings = [a, facilitator].map((s) => s.client.next<{ holder: string }>('turnWarning', 5000));
    await facilitator.client.ok('grantFloor', { participantId: a.participantId });
    await until(() => Boolean(lastFloor(a)?.turnEndsAt), 'a timed turn');
    for (const warning of await Promise.all(warnings)) expect(warning.holder).toBe(a.participantId);
    expect(b.client.events('turnWarning')).toEqual([]);
    await until(() => lastFloor(b)?.holder === b.participantId, 'the floor to pass to B', 12_000);
    const metrics = await (await fetch(`${suite.server.adminUrl}/metrics`)).text();
    expect(sample(metrics, 'circle_floor_grants_total', { source: 'timer' })).toBe(1);
  });
});
