// Requests that await the worker, sent concurrently against a real server and worker: each reserves what it makes
// before the await, so no burst of requests leaves more than the rules allow, and nothing outlives its owner.
import { expect, it } from 'vitest';
import { fakeDtls, opusParameters } from '../../harness/rtp.js';
import type { Ack } from '../../src/protocol/errors.js';
import { circleSuite } from '../helpers/fixtures.js';

const suite = circleSuite({ check: { maxConcurrent: 3, perAddressPerMinute: 100, lifetimeMs: 30_000 } });
const outcomes = (answers: Ack<unknown>[]) => answers.map((answer) => (answer.ok ? 'ok' : answer.error.code));
const count = (list: string[], of: string) => list.filter((item) => item === of).length;

it('60 concurrent startCheck from one waiting-room seat open one check; from many seats no more than the node allows', async () => {
  const lead = await suite.seat('race-check', 'Lee', 'facilitator');
  const wren = await suite.seat('race-check', 'Wren', 'client');
  expect(wren.result.self.admission).toBe('waiting');
  const checks = () => suite.server.circle.checks.list();

  const fromOne = outcomes(await Promise.all(Array.from({ length: 60 }, () => wren.client.call('startCheck', {}))));
  expect(count(fromOne, 'ok')).toBe(1);
  expect(checks()).toHaveLength(1);

  // Ten waiting clients at once, each with its own seat: the node's three, whatever the order of the awaits.
  const others = await Promise.all(Array.from({ length: 10 }, (_, i) => suite.seat('race-check', `Client ${i}`, 'client')));
  const fromMany = outcomes(await Promise.all(others.map((other) => other.client.call('startCheck', {}))));
  expect(count(fromMany, 'ok')).toBe(2);
  expect(count(fromMany, 'UNAVAILABLE')).toBe(8);
  expect(checks()).toHaveLength(3);

  // Each check is its connection's: closing the connections closes every one of them.
  wren.client.close();
  for (const other of others) other.client.close();
  await expect.poll(() => checks().length, { interval: 50 }).toBe(0);
  lead.client.close();
});

it('concurrent createTransport makes one transport each way, and leaving closes every transport the seat had', async () => {
  const lead = await suite.seat('race-transport', 'Lee', 'facilitator');
  const room = suite.server.circle.registry.get('race-transport')!;
  const both = await Promise.all(
    ['send', 'recv'].flatMap((direction) => Array.from({ length: 10 }, () => lead.client.call('createTransport', { direction }))),
  );
  expect(count(outcomes(both), 'ok')).toBe(2);
  expect(count(outcomes(both), 'BAD_REQUEST')).toBe(18);
  expect(((await room.router.dump()) as { transportIds: string[] }).transportIds).toHaveLength(2);

  // Concurrent produce from one source: one producer.
  const send = both.find((answer, index) => answer.ok && index < 10) as { ok: true; data: { id: string } };
  await lead.client.ok('connectTransport', { transportId: send.data.id, dtlsParameters: fakeDtls });
  const produced = outcomes(
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        lead.client.call('produce', { transportId: send.data.id, kind: 'audio', rtpParameters: opusParameters(1000 + i), source: 'microphone' }),
      ),
    ),
  );
  expect(count(produced, 'ok')).toBe(1);
  expect(room.participant(lead.participantId)!.media.producers.size).toBe(1);

  await lead.client.ok('leave', {});
  expect(((await room.router.dump()) as { transportIds: string[] }).transportIds).toEqual([]);
});

it('a facilitator muting a client while her microphone producer is being made leaves it paused at the SFU, and others are told it is paused', async () => {
  const lead = await suite.seat('race-mute', 'Lee', 'facilitator');
  const ana = await suite.seat('race-mute', 'Ana', 'client');
  await lead.client.ok('admit', { participantId: ana.participantId });
  const room = suite.server.circle.registry.get('race-mute')!;
  const transport = await ana.client.ok<{ id: string }>('createTransport', { direction: 'send' });
  await ana.client.ok('connectTransport', { transportId: transport.id, dtlsParameters: fakeDtls });

  // Rounds of: the lock lifted, then a new producer and a mute sent together, so the mute lands while the
  // producer is awaited (a client looping closeProducer/produce does the same on purpose).
  for (let round = 0; round < 8; round += 1) {
    const announced = lead.client.next<{ producer: { producerId: string; paused: boolean } }>('producerAdded');
    const [produced, muted] = await Promise.all([
      ana.client.call<{ producerId: string }>('produce', { transportId: transport.id, kind: 'audio', rtpParameters: opusParameters(2000 + round), source: 'microphone' }),
      lead.client.call('mute', { participantId: ana.participantId }),
    ]);
    expect(outcomes([produced, muted])).toEqual(['ok', 'ok']);
    const producerId = (produced as { ok: true; data: { producerId: string } }).data.producerId;
    const producer = room.participant(ana.participantId)!.media.producers.get(producerId)!;
    // The worker's own state, not the Node object's.
    expect(((await producer.dump()) as { paused: boolean }).paused).toBe(true);
    expect((await announced).producer).toMatchObject({ producerId, paused: true });
    expect(await ana.client.call('resumeProducer', { producerId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await ana.client.ok('closeProducer', { producerId });
    // A facilitator lifts the lock by asking her to unmute; the next round starts from an unlocked microphone.
    await lead.client.ok('askToUnmute', { participantId: ana.participantId });
    expect(room.participant(ana.participantId)!.locks.audio).toBe(false);
  }
});
