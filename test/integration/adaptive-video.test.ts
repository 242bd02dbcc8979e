// Video as the page shows it, against the real thing: bots sending real RTP (three simulcast layers of a 720p
// camera, as the web app sends) through a real worker. The layer each consumer is set to and whether it runs are read from the SFU's own
// consumers; what reaches a receiver is read from its packets.
import { expect, it } from 'vitest';
import { botRooms } from '../helpers/bot-room.js';
import { circleSuite } from '../helpers/fixtures.js';
import { until } from '../helpers/until.js';
import { SPEAKER_PRIORITY, STAFF_PRIORITY } from '../../src/media/tile-layers.js';

const suite = circleSuite({ load: { botTransports: true } });
const rooms = botRooms(suite);
/** The same with adaptive video off: what every page received before it. */
const offSuite = circleSuite({ load: { botTransports: true }, quality: { adaptiveVideo: false } });
const offRooms = botRooms(offSuite);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const eventually = (condition: () => boolean, what: string) => until(condition, what, 10_000);

async function threeInARoom(roomId: string, { enter } = rooms, server = suite) {
  const media = { audio: true, videoLayers: 3 };
  const fran = await enter(roomId, 'fran', 'facilitator', media);
  const ana = await enter(roomId, 'ana', 'client', media);
  const ben = await enter(roomId, 'ben', 'client', media);
  const room = server.server.circle.registry.get(roomId)!;
  /** `receiverId`'s consumer of `senderId`'s `kind` at the SFU. */
  const consumerOf = (receiverId: string, senderId: string, kind: 'audio' | 'video' = 'video') =>
    [...room.participant(receiverId)!.media.consumers.values()].find((c) => c.kind === kind && c.appData.participantId === senderId && !c.closed);
  await eventually(() => ['fran', 'ana', 'ben'].every((r) => ['fran', 'ana', 'ben'].every((s) => r === s || consumerOf(r, s))), 'everyone consuming everyone');
  return { fran, ana, ben, room, consumerOf };
}

it('a declared tile sets the smallest layer that fills it; a hidden video is paused at the SFU (its audio is not) and back in view it flows again at once', async () => {
  const { ana, consumerOf } = await threeInARoom('adaptive-layers');
  const benVideo = consumerOf('ana', 'ben')!;
  await eventually(() => ana.sink.videoFrom('ben').received > 30, 'ben’s video at ana');
  expect(benVideo.preferredLayers?.spatialLayer).toBe(2); // nothing declared: what the link carries

  const declare = (width: number, height: number, visible = true) =>
    ana.client.ok('setVideoViews', { views: [{ consumerId: benVideo.id, width, height, visible }] });
  // A thumbnail of 150×112: the 320×180 layer fills it.
  await declare(150, 112);
  expect(benVideo.preferredLayers?.spatialLayer).toBe(0);
  await eventually(() => benVideo.currentLayers?.spatialLayer === 0, 'the SFU sending ben’s smallest layer to ana');
  // A tile of 400×300: 640×360 fills it (320×180 would be drawn 1.67×).
  await declare(400, 300);
  expect(benVideo.preferredLayers?.spatialLayer).toBe(1);
  // Large: the top layer.
  await declare(1280, 720);
  expect(benVideo.preferredLayers?.spatialLayer).toBe(2);
  await eventually(() => benVideo.currentLayers?.spatialLayer === 2, 'the SFU sending ben’s top layer to ana');

  // Hidden (a background tab): paused at the SFU; no more of ben's video reaches ana, his voice does.
  await declare(640, 360, false);
  expect(benVideo.paused).toBe(true);
  expect(consumerOf('ana', 'ben', 'audio')!.paused).toBe(false);
  await sleep(300); // packets in flight
  const hidden = { video: ana.sink.videoFrom('ben').received, audio: ana.sink.audioFrom('ben').received, fran: ana.sink.videoFrom('fran').received };
  await sleep(1500);
  expect(ana.sink.videoFrom('ben').received).toBe(hidden.video);
  expect(ana.sink.audioFrom('ben').received).toBeGreaterThan(hidden.audio + 40);
  expect(ana.sink.videoFrom('fran').received).toBeGreaterThan(hidden.fran + 20); // only what is hidden stops

  // A tile of no size is hidden too.
  await declare(640, 360);
  expect(benVideo.paused).toBe(false);
  await declare(0, 0);
  expect(benVideo.paused).toBe(true);

  // Back in view: running again, packets within a second.
  await declare(320, 240);
  expect(benVideo.paused).toBe(false);
  const shownAt = Date.now();
  const before = ana.sink.videoFrom('ben').received;
  await until(() => ana.sink.videoFrom('ben').received > before + 5, 'ben’s video at ana again', 5_000);
  expect(Date.now() - shownAt).toBeLessThan(1000);
});

it('views of consumers that are not the page’s own, or are gone, change nothing; bad sizes are refused', async () => {
  const { ana, ben, consumerOf } = await threeInARoom('adaptive-input');
  const anaSeesBen = consumerOf('ana', 'ben')!;
  const benSeesFran = consumerOf('ben', 'fran')!;
  const anaHearsBen = consumerOf('ana', 'ben', 'audio')!;
  // Ben names Ana's consumer: it is not his, and nothing of Ana's changes.
  await ben.client.ok('setVideoViews', { views: [{ consumerId: anaSeesBen.id, width: 10, height: 10, visible: false }] });
  expect(anaSeesBen.paused).toBe(false);
  // An audio consumer is never paused by a view; an unknown id is passed over.
  await ana.client.ok('setVideoViews', { views: [{ consumerId: anaHearsBen.id, width: 0, height: 0, visible: false }, { consumerId: 'gone', width: 1, height: 1, visible: false }] });
  expect(anaHearsBen.paused).toBe(false);
  for (const bad of [
    { views: [] },
    { views: [{ consumerId: anaSeesBen.id, width: -1, height: 10, visible: true }] },
    { views: [{ consumerId: anaSeesBen.id, width: 10.5, height: 10, visible: true }] },
    { views: [{ consumerId: anaSeesBen.id, width: 9000, height: 10, visible: true }] },
    { views: [{ consumerId: anaSeesBen.id, width: 10, height: 10 }] },
  ]) {
    expect(await ana.client.call('setVideoViews', bad)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  }
  expect(anaSeesBen.paused).toBe(false);
  expect(anaSeesBen.preferredLayers?.spatialLayer).toBe(2);
  expect(benSeesFran.paused).toBe(false);
});

it('priorities at the SFU: the staff above everyone else (a promotion too), the floor holder above all', async () => {
  const { fran, ben, consumerOf } = await threeInARoom('adaptive-priorities');
  await eventually(() => consumerOf('ana', 'fran')!.priority === STAFF_PRIORITY, 'the facilitator’s video first');
  const benAtAna = consumerOf('ana', 'ben')!;
  expect(benAtAna.priority).toBeLessThan(STAFF_PRIORITY);

  await fran.client.ok('setFloorMode', { mode: 'queue' });
  await ben.client.ok('raiseHand', {});
  await fran.client.ok('grantFloor', { participantId: 'ben' });
  await eventually(() => benAtAna.priority === SPEAKER_PRIORITY && consumerOf('fran', 'ben')!.priority === SPEAKER_PRIORITY, 'the floor holder’s video first everywhere');
  await fran.client.ok('takeBackFloor', {});
  await eventually(() => benAtAna.priority < STAFF_PRIORITY, 'back among the rest once the floor is taken back');

  await fran.client.ok('promote', { participantId: 'ben' });
  await eventually(() => benAtAna.priority === STAFF_PRIORITY, 'a co-facilitator’s video among the staff’s');
  await fran.client.ok('demote', { participantId: 'ben' });
  await eventually(() => benAtAna.priority < STAFF_PRIORITY, 'back among the rest once demoted');
});

it('with adaptive video off, declared views change nothing and every video keeps one priority (the allocation before it)', async () => {
  const { fran, ana, ben, consumerOf } = await threeInARoom('adaptive-off', offRooms, offSuite);
  const benAtAna = consumerOf('ana', 'ben')!;
  await ana.client.ok('setVideoViews', { views: [{ consumerId: benAtAna.id, width: 150, height: 112, visible: false }] });
  expect(benAtAna.paused).toBe(false);
  expect(benAtAna.preferredLayers?.spatialLayer).toBe(2);
  await fran.client.ok('setFloorMode', { mode: 'queue' });
  await ben.client.ok('raiseHand', {});
  await fran.client.ok('grantFloor', { participantId: 'ben' });
  await sleep(300);
  expect([benAtAna.priority, consumerOf('ana', 'fran')!.priority, consumerOf('fran', 'ben')!.priority]).toEqual([1, 1, 1]);
});
