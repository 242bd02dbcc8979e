// A break against the real thing: bots sending a microphone and a camera each through a real worker. While it runs no
// byte of a client reaches anyone and a client cannot unpause; the staff may talk; at its end everyone's media is
// as before (a hard mute stays), the hand queue kept.
import { expect, it } from 'vitest';
import type { RoomView } from '../../src/protocol/events.js';
import { botRooms } from '../helpers/bot-room.js';
import { circleSuite } from '../helpers/fixtures.js';
import { until } from '../helpers/until.js';

const suite = circleSuite({ load: { botTransports: true } });
const { enter: join } = botRooms(suite);
const enter = (room: string, participantId: string, role: string) => join(room, participantId, role, { audio: true, videoLayers: 1 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const eventually = (condition: () => boolean, what: string) => until(condition, what, 10_000);

it('a break: no byte of a client forwarded and no unpausing, the staff heard; at its end everything as before (a hard mute stays), hands kept', async () => {
  const roomId = 'break';
  const fran = await enter(roomId, 'fran', 'facilitator');
  const ana = await enter(roomId, 'ana', 'client');
  await enter(roomId, 'ben', 'client');
  const room = suite.server.circle.registry.get(roomId)!;
  const producers = (id: string) => [...room.participant(id)!.media.producers.values()];
  await eventually(() => fran.sink.audioFrom('ana').received > 20 && fran.sink.videoFrom('ana').received > 20, 'Ana’s media at the facilitator');
  await fran.client.ok('mute', { participantId: 'ben' });
  await ana.client.ok('raiseHand', {});

  expect(await ana.client.call('startBreak', { minutes: 5 })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  expect(await fran.client.call('startBreak', { minutes: 7 })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  const requested = Date.now();
  const { endsAt } = await fran.client.ok<{ endsAt: string }>('startBreak', { minutes: 5 });
  expect(Date.parse(endsAt) - requested).toBeGreaterThan(5 * 60_000 - 2000);
  // Answered once the SFU holds every client's microphone and camera; the staff's are as they were.
  for (const id of ['ana', 'ben']) expect(producers(id).every((p) => p.paused)).toBe(true);
  expect(producers('fran').some((p) => p.paused)).toBe(false);
  await eventually(() => (ana.client.events('roomUpdated') as RoomView[]).at(-1)?.breakEndsAt === endsAt, 'Ana told of the break');

  // A client cannot unpause; nothing of hers reaches anyone; the facilitator is still heard.
  const microphone = producers('ana').find((p) => p.kind === 'audio')!;
  expect(await ana.client.call('resumeProducer', { producerId: microphone.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  await sleep(500); // packets in flight
  const before = { audio: fran.sink.audioFrom('ana').received, video: fran.sink.videoFrom('ana').received, franAtAna: ana.sink.audioFrom('fran').received };
  await sleep(1500);
  expect(fran.sink.audioFrom('ana').received).toBe(before.audio);
  expect(fran.sink.videoFrom('ana').received).toBe(before.video);
  expect(ana.sink.audioFrom('fran').received).toBeGreaterThan(before.franAtAna + 20);
  expect(room.floor.view().queue).toEqual(['ana']);

  // Ended early: Ana's media flows again, Ben's microphone stays under the facilitator's lock, the hand still up.
  await fran.client.ok('endBreak', {});
  expect(producers('ana').every((p) => !p.paused)).toBe(true);
  expect(producers('ben').find((p) => p.kind === 'audio')!.paused).toBe(true);
  expect(producers('ben').find((p) => p.kind === 'video')!.paused).toBe(false);
  const after = fran.sink.audioFrom('ana').received;
  await eventually(() => fran.sink.audioFrom('ana').received > after + 20, 'Ana heard again');
  expect(room.floor.view().queue).toEqual(['ana']);
  expect(await fran.client.call('endBreak', {})).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  expect(room.record.audit.filter((entry) => /Break$/.test(entry.action)).map((entry) => entry.action)).toEqual(['startBreak', 'endBreak']);
});

it('a break started and ended at once, again and again: each client ends where the last request says, never left paused', async () => {
  const roomId = 'break-race';
  const fran = await enter(roomId, 'fran', 'facilitator');
  await enter(roomId, 'ana', 'client');
  await enter(roomId, 'ben', 'client');
  const room = suite.server.circle.registry.get(roomId)!;
  await eventually(() => fran.sink.audioFrom('ana').received > 20 && fran.sink.audioFrom('ben').received > 20, 'both clients heard');
  const clientProducers = () => ['ana', 'ben'].flatMap((id) => [...room.participant(id)!.media.producers.values()]);
  for (let round = 0; round < 10; round += 1) {
    // Sent together: the start's pauses are still under way at the SFU when the end asks for resumes.
    const [started, ended] = await Promise.all([fran.client.call('startBreak', { minutes: 5 }), fran.client.call('endBreak', {})]);
    expect(started).toMatchObject({ ok: true });
    expect(ended).toMatchObject({ ok: true });
    expect(room.breaks.onBreak).toBe(false);
    await eventually(() => clientProducers().every((producer) => !producer.paused), `every client running after round ${round + 1}`);
  }
});

