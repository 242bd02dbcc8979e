// Focus mode against the real thing: bots sending real RTP (a microphone and a camera each) through a real worker.
// Who receives whose video is read from the consumers the SFU holds and from the packets that reach each bot.
import { expect, it } from 'vitest';
import type { PeerInfo, RoomView } from '../../src/protocol/events.js';
import { botRooms } from '../helpers/bot-room.js';
import { circleSuite } from '../helpers/fixtures.js';
import { until } from '../helpers/until.js';

const suite = circleSuite({ load: { botTransports: true } });
const { enter: join } = botRooms(suite);
const enter = (room: string, participantId: string, role: string) => join(room, participantId, role, { audio: true, videoLayers: 1 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const eventually = (condition: () => boolean, what: string) => until(condition, what, 10_000);

it('focus mode: no client-to-client video consumer at the SFU and no such packet, the staff’s video and everyone’s audio flowing; off brings it back; clients may not switch it', async () => {
  const roomId = 'focus';
  const fran = await enter(roomId, 'fran', 'facilitator');
  const ana = await enter(roomId, 'ana', 'client');
  await enter(roomId, 'ben', 'client');
  const room = suite.server.circle.registry.get(roomId)!;
  /** Whose video `receiverId`'s connection consumes at the SFU. */
  const videoConsumed = (receiverId: string) =>
    [...room.participant(receiverId)!.media.consumers.values()].filter((c) => c.kind === 'video' && !c.closed).map((c) => c.appData.participantId).sort();
  await eventually(() => videoConsumed('ana').length === 2 && videoConsumed('ben').length === 2 && videoConsumed('fran').length === 2, 'everyone consuming everyone’s video');
  await eventually(() => ana.sink.videoFrom('ben').received > 20, 'ben’s video at ana');

  expect(await ana.client.call('setFocus', { on: true })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  expect(room.roomView().focus).toBe(false);

  await fran.client.ok('setFocus', { on: true });
  // The SFU: clients consume only the facilitator's video; the facilitator still consumes both clients'.
  expect(videoConsumed('ana')).toEqual(['fran']);
  expect(videoConsumed('ben')).toEqual(['fran']);
  expect(videoConsumed('fran')).toEqual(['ana', 'ben']);
  await eventually(() => (ana.client.events('roomUpdated') as RoomView[]).at(-1)?.focus === true, 'ana told of focus mode');
  // Ana is shown Ben without a camera, and asking for it anyway is refused.
  const benAsSeen = (ana.client.events('peerUpdated') as PeerInfo[]).filter((peer) => peer.participantId === 'ben').at(-1)!;
  expect(benAsSeen.producers.map((p) => p.kind)).toEqual(['audio']);
  const benCamera = [...room.participant('ben')!.media.producers.values()].find((p) => p.kind === 'video')!;
  expect(await ana.client.call('consume', { producerId: benCamera.id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

  // The packets: none of Ben's video reaches Ana; the facilitator's video, and everyone's voice, still do.
  await sleep(500); // stragglers in flight
  const before = { benVideo: ana.sink.videoFrom('ben').received, franVideo: ana.sink.videoFrom('fran').received, benAudio: ana.sink.audioFrom('ben').received, anaAtFran: fran.sink.videoFrom('ana').received };
  await sleep(1500);
  expect(ana.sink.videoFrom('ben').received).toBe(before.benVideo);
  expect(ana.sink.videoFrom('fran').received).toBeGreaterThan(before.franVideo + 10);
  expect(ana.sink.audioFrom('ben').received).toBeGreaterThan(before.benAudio + 10);
  expect(fran.sink.videoFrom('ana').received).toBeGreaterThan(before.anaAtFran + 10);

  // Someone who joins during focus mode is given no client's video either.
  await enter(roomId, 'cy', 'client');
  await eventually(() => videoConsumed('cy').includes('fran'), 'cy consuming the facilitator’s video');
  await sleep(500);
  expect(videoConsumed('cy')).toEqual(['fran']);
  await eventually(() => videoConsumed('fran').length === 3, 'the facilitator consuming cy’s video');
  expect(videoConsumed('ana')).toEqual(['fran']);

  // Off: the clients are shown each other's cameras again and consume them.
  await fran.client.ok('setFocus', { on: false });
  await eventually(() => videoConsumed('ana').length === 3 && videoConsumed('cy').length === 3, 'clients consuming each other’s video again');
  const benAgain = ana.sink.videoFrom('ben').received;
  await eventually(() => ana.sink.videoFrom('ben').received > benAgain + 10, 'ben’s video at ana again');
  expect(room.record.audit.filter((entry) => entry.action === 'setFocus')).toHaveLength(2);
});
