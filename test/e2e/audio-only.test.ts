import { expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { audioFrom, bytesFrom, joinFromDemo, participantIdOf, sdk, waitUntil } from '../../harness/browser.js';
import { weakLinkSuite } from '../helpers/fixtures.js';
import { transportUfrags } from '../../harness/weak-link.js';
import type { LinkView, PeerInfo } from '../../src/protocol/events.js';

const suite = weakLinkSuite();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Client = { self: { link: LinkView }; peers: Map<string, PeerInfo> };
const linkOf = (page: Page) =>
  page.evaluate(() => (window as unknown as { circle: { client: Client } }).circle.client.self.link);
const qualitySeenBy = (page: Page, of: string) =>
  page.evaluate((id) => (window as unknown as { circle: { client: Client } }).circle.client.peers.get(id)?.quality, of);

/** A facilitator and two clients, all with camera and microphone, every stream flowing both ways. */
async function groupOfThree(roomId: string) {
  const facilitator = await joinFromDemo(suite.browser, suite.server.url, roomId, 'Fran', 'facilitator');
  const weak = await joinFromDemo(suite.browser, suite.server.url, roomId, 'Wade', 'client');
  const steady = await joinFromDemo(suite.browser, suite.server.url, roomId, 'Sana', 'client');
  const ids = { facilitator: await participantIdOf(facilitator), weak: await participantIdOf(weak), steady: await participantIdOf(steady) };
  expect(await sdk(facilitator, 'admitAll')).toEqual({ ok: true });
  const pages = { facilitator, weak, steady };
  for (const [name, page] of Object.entries(pages)) {
    for (const [other, id] of Object.entries(ids)) {
      if (other === name) continue;
      await waitUntil(async () => (await bytesFrom(page, id, 'video')) > 0, 20_000, `${name} to receive ${other}'s video`);
    }
  }
  const room = suite.server.circle.registry.get(roomId)!;
  const seat = (id: string) => room.participants.get(id)!;
  const videoConsumers = (id: string) => [...seat(id).media.consumers.values()].filter((c) => c.kind === 'video');
  return { pages, ids, room, seat, videoConsumers };
}

async function transitions(direction: string, reason: string): Promise<number> {
  const text = await (await fetch(`${suite.server.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`circle_audio_only_transitions_total{direction="${direction}",reason="${reason}"}`));
  return Number(line?.split(' ')[1] ?? NaN);
}

it('downlink at 25% loss and 200 kbit/s: video paused within 10 s, audio goes on, others unaffected; video back within 20 s, no flap for 30 s', async () => {
  const { pages, ids, room, seat, videoConsumers } = await groupOfThree('weak-downlink');
  const enteredBefore = await transitions('to-audio-only', 'downlink');

  await suite.relay.impair(transportUfrags(room, ids.weak, 'recv'), 'downlink', { loss: 0.25, rateBps: 200_000 });
  const onset = Date.now();
  await waitUntil(async () => videoConsumers(ids.weak).every((c) => c.paused), 10_000, "the weak client's video consumers paused");
  const toAudioOnly = (Date.now() - onset) / 1000;

  // The voice goes on, for the weak client and around it; the others' video is untouched.
  const audioBefore = await audioFrom(pages.weak, ids.facilitator);
  const othersVideo = { facilitator: await bytesFrom(pages.facilitator, ids.steady, 'video'), steady: await bytesFrom(pages.steady, ids.facilitator, 'video') };
  await sleep(3000);
  expect(await audioFrom(pages.weak, ids.facilitator)).toBeGreaterThan(audioBefore);
  // Three browsers on two cores: a sender's encoder may pause a layer for a few seconds under CPU load (mediasoup
  // then switches the consumer to a layer that flows), so "keeps flowing" is judged over 10 s, not one 3-s window.
  await waitUntil(async () => (await bytesFrom(pages.facilitator, ids.steady, 'video')) > othersVideo.facilitator, 10_000, "the facilitator still receiving the steady client's video");
  await waitUntil(async () => (await bytesFrom(pages.steady, ids.facilitator, 'video')) > othersVideo.steady, 10_000, "the steady client still receiving the facilitator's video");
  for (const other of [ids.facilitator, ids.steady]) expect(videoConsumers(other).some((c) => c.paused)).toBe(false);
  expect(seat(ids.weak).link.audioOnly).toBe('downlink');
  expect(await linkOf(pages.weak)).toMatchObject({ audioOnly: 'downlink', receiveVideo: false, quality: 'audio-only' });
  expect(await qualitySeenBy(pages.facilitator, ids.weak)).toBe('audio-only');
  expect(await qualitySeenBy(pages.steady, ids.weak)).toBeUndefined(); // clients see nothing of another's link
  // What people see on the demo page: the client its state, the facilitator the client's connection.
  expect(await pages.weak.$eval('#link-status', (el) => el.textContent)).toContain('Audio only (weak connection)');
  expect(await pages.facilitator.$eval('#people-list', (el) => el.textContent)).toContain('Wade · client · audio only');
  expect(await transitions('to-audio-only', 'downlink')).toBe(enteredBefore + 1);

  await suite.relay.reset();
  const lifted = Date.now();
  await waitUntil(async () => videoConsumers(ids.weak).every((c) => !c.paused), 20_000, "the weak client's video back");
  const toVideo = (Date.now() - lifted) / 1000;
  const videoBack = await bytesFrom(pages.weak, ids.facilitator, 'video');
  // The SFU floors the starved estimate as video returns, so the smallest layer goes at once.
  await waitUntil(async () => (await bytesFrom(pages.weak, ids.facilitator, 'video')) > videoBack, 5000, 'video bytes at the weak client');
  const toBytes = (Date.now() - lifted) / 1000;

  // No flapping: for 30 s the video stays on and nothing goes audio-only again.
  for (let second = 0; second < 30; second += 1) {
    await sleep(1000);
    expect(videoConsumers(ids.weak).some((c) => c.paused), `paused again ${second} s after recovery`).toBe(false);
  }
  expect(await transitions('to-audio-only', 'downlink')).toBe(enteredBefore + 1);
  expect(await linkOf(pages.weak)).toMatchObject({ audioOnly: null, receiveVideo: true });
  console.log(`downlink impaired: audio-only after ${toAudioOnly.toFixed(1)} s; video back ${toVideo.toFixed(1)} s after the impairment lifted, its bytes at ${toBytes.toFixed(1)} s`);
  for (const page of Object.values(pages)) await page.close();
}, 120_000);

it('uplink at 25% loss and 200 kbit/s: the client stops sending video, others keep hearing it; video returns after', async () => {
  const { pages, ids, room, seat } = await groupOfThree('weak-uplink');
  const camera = () => [...seat(ids.weak).media.producers.values()].find((p) => p.kind === 'video')!;
  const cameraBytes = async () => (await camera().getStats()).reduce((sum, s) => sum + s.byteCount, 0);

  await suite.relay.impair(transportUfrags(room, ids.weak, 'send'), 'uplink', { loss: 0.25, rateBps: 200_000 });
  const onset = Date.now();
  await waitUntil(async () => camera().paused, 10_000, "the weak client's camera paused at the SFU");
  const toAudioOnly = (Date.now() - onset) / 1000;
  // The SFU pauses the camera, then tells the page: the event is on its way while the pause is already seen here.
  await waitUntil(async () => (await linkOf(pages.weak)).audioOnly === 'uplink', 2000, 'the weak client told it is audio-only');
  expect(await linkOf(pages.weak)).toMatchObject({ audioOnly: 'uplink', sendVideo: false });

  // The browser itself stops sending the camera (the SDK pauses it), while the others keep hearing the client.
  await sleep(1000);
  const sentBefore = await cameraBytes();
  const heardBefore = { facilitator: await audioFrom(pages.facilitator, ids.weak), steady: await audioFrom(pages.steady, ids.weak) };
  await sleep(3000);
  expect(await cameraBytes()).toBe(sentBefore);
  expect(await audioFrom(pages.facilitator, ids.weak)).toBeGreaterThan(heardBefore.facilitator);
  expect(await audioFrom(pages.steady, ids.weak)).toBeGreaterThan(heardBefore.steady);
  expect(await qualitySeenBy(pages.facilitator, ids.weak)).toBe('audio-only');

  await suite.relay.reset();
  const lifted = Date.now();
  await waitUntil(async () => !camera().paused, 20_000, "the weak client's camera resumed");
  const toVideo = (Date.now() - lifted) / 1000;
  const seen = await bytesFrom(pages.facilitator, ids.weak, 'video');
  await waitUntil(async () => (await bytesFrom(pages.facilitator, ids.weak, 'video')) > seen, 5000, "the weak client's video at the facilitator");
  console.log(`uplink impaired: camera off after ${toAudioOnly.toFixed(1)} s; back ${toVideo.toFixed(1)} s after the impairment lifted`);
  for (const page of Object.values(pages)) await page.close();
});
