import { expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { sample } from '../../harness/circle.js';
import { browserSuite } from '../helpers/fixtures.js';
import { bytesByKind, inboundStats, joinFromDemo, waitUntil } from '../../harness/browser.js';

const suite = browserSuite({ rooms: { requireAdmission: false } });

async function receivesBothKinds(page: Page): Promise<boolean> {
  const kinds = new Set((await inboundStats(page)).filter((s) => s.bytesReceived > 0).map((s) => s.kind));
  return kinds.has('audio') && kinds.has('video');
}

it('two browsers in one room see and hear each other through the SFU', async () => {
  const alice = await joinFromDemo(suite.browser, suite.server.url, 'e2e-room', 'Alice', 'facilitator');
  const bob = await joinFromDemo(suite.browser, suite.server.url, 'e2e-room', 'Bob', 'client');

  await waitUntil(async () => (await receivesBothKinds(alice)) && (await receivesBothKinds(bob)), 20_000, 'media');

  const before = [await bytesByKind(alice), await bytesByKind(bob)];
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const after = [await bytesByKind(alice), await bytesByKind(bob)];
  for (const [i, page] of ['alice', 'bob'].entries()) {
    expect(after[i]!.audio, `${page} audio`).toBeGreaterThan(before[i]!.audio);
    expect(after[i]!.video, `${page} video`).toBeGreaterThan(before[i]!.video);
  }
  // Five seconds of a fake 640x480 camera is far more than a trickle of keyframes.
  expect(after[0]!.video - before[0]!.video).toBeGreaterThan(50_000);

  // Each page shows the other's tile with live video.
  const remoteVideoPlaying = (page: Page) =>
    page.evaluate(() => {
      const video = document.querySelector('.tile:not(.self) video') as HTMLVideoElement | null;
      return Boolean(video && video.videoWidth > 0);
    });
  await waitUntil(remoteVideoPlaying.bind(null, alice), 5000, 'remote video element');
  expect(await remoteVideoPlaying(bob)).toBe(true);

  const metrics = await (await fetch(`${suite.server.adminUrl}/metrics`)).text();
  expect(sample(metrics, 'circle_rooms')).toBe(1);
  expect(sample(metrics, 'circle_participants', { role: 'facilitator' })).toBe(1);
  expect(sample(metrics, 'circle_participants', { role: 'client' })).toBe(1);
  expect(sample(metrics, 'circle_producers', { kind: 'audio' })).toBe(2);
  expect(sample(metrics, 'circle_producers', { kind: 'video' })).toBe(2);
  expect(sample(metrics, 'circle_consumers', { kind: 'audio' })).toBe(2);
  expect(sample(metrics, 'circle_consumers', { kind: 'video' })).toBe(2);

  // What the browsers negotiated: Opus with in-band FEC and DTX, VP8 in three simulcast layers.
  for (const participant of suite.server.circle.registry.get('e2e-room')!.participants.values()) {
    const producers = [...participant.media.producers.values()];
    const audio = producers.find((p) => p.kind === 'audio')!.rtpParameters;
    const video = producers.find((p) => p.kind === 'video')!.rtpParameters;
    expect(audio.codecs[0]).toMatchObject({ mimeType: 'audio/opus', parameters: { useinbandfec: 1, usedtx: 1 } });
    expect(video.codecs[0]!.mimeType).toBe('video/VP8');
    expect(video.encodings?.map((e) => e.rid)).toEqual(['r0', 'r1', 'r2']);
  }

  if (process.env.CIRCLE_SCREENSHOT) await alice.screenshot({ path: process.env.CIRCLE_SCREENSHOT });

  // Leaving through the page removes Bob's tile on Alice's side.
  await bob.click('#leave');
  await waitUntil(
    () => alice.evaluate(() => document.querySelectorAll('.tile:not(.self)').length === 0),
    5000,
    'remote tile removed',
  );
});
