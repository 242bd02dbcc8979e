import { expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { bytesFrom, joinFromDemo, participantIdOf, sdk, waitUntil } from '../../harness/browser.js';
import { browserSuite } from '../helpers/fixtures.js';

// Video as the page shows it, in Chromium through the web app: the window's size and the layout decide the
// resolution each page receives, and a hidden page receives no video (its audio goes on).

const suite = browserSuite();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The width of the frames this page is drawing now from `from`'s camera (0: none yet). */
const receivedWidth = (page: Page, from: string) =>
  page.evaluate((id) => document.querySelector<HTMLVideoElement>(`#peer-${id} video`)?.videoWidth ?? 0, from);

const click = (page: Page, selector: string) => page.evaluate((s) => document.querySelector<HTMLElement>(s)!.click(), selector);

it('the received resolution follows the tile: small grid tiles get the smallest layer, speaker view the top for the speaker and the smallest for the strip, a narrow window the smallest again', async () => {
  const fran = await joinFromDemo(suite.browser, suite.server.url, 'adaptive-e2e', 'Fran', 'facilitator');
  const ana = await joinFromDemo(suite.browser, suite.server.url, 'adaptive-e2e', 'Ana', 'client');
  const ben = await joinFromDemo(suite.browser, suite.server.url, 'adaptive-e2e', 'Ben', 'client');
  expect(await sdk(fran, 'admitAll')).toEqual({ ok: true });
  const [franId, benId] = [await participantIdOf(fran), await participantIdOf(ben)];
  // The (fake) cameras send 1280×720, 640×360 and 320×180. At 1280×800 the grid's tiles are about 290×215 px:
  // 320×180 drawn 1.2× fills them.
  await ana.setViewport({ width: 1280, height: 800 });
  await waitUntil(async () => (await receivedWidth(ana, franId)) === 320 && (await receivedWidth(ana, benId)) === 320, 20_000, 'the 320×180 layer in the grid');

  // Speaker view on a larger screen: the facilitator large (spotlit: the fake microphones' beeps make anyone the
  // speaker), Ben a thumbnail in the strip.
  await ana.setViewport({ width: 1600, height: 1000 });
  expect(await sdk(fran, 'spotlight', franId)).toEqual({ ok: true });
  await click(ana, '#toggle-layout');
  expect(await ana.evaluate(() => localStorage.getItem('circle.layout'))).toBe('speaker');
  expect(await ana.evaluate((id) => document.getElementById(`peer-${id}`)!.classList.contains('featured'), franId)).toBe(true);
  await waitUntil(async () => (await receivedWidth(ana, franId)) === 1280, 20_000, 'Fran at 1280×720, large');
  expect(await receivedWidth(ana, benId)).toBe(320);

  // A phone-sized window: the large tile is ~330 px wide now, so Fran comes at 320×180 again.
  await ana.setViewport({ width: 360, height: 740 });
  await waitUntil(async () => (await receivedWidth(ana, franId)) === 320, 20_000, 'Fran at 320×180 in a narrow window');
  // Back in the grid of a large window, spotlight off: every tile is small again.
  await ana.setViewport({ width: 1280, height: 800 });
  expect(await sdk(fran, 'spotlight', null)).toEqual({ ok: true });
  await click(ana, '#toggle-layout');
  await waitUntil(async () => (await receivedWidth(ana, franId)) === 320, 20_000, 'Fran back at 320×180 in the grid');
});

it('a hidden page receives no video within 2 s, and its audio goes on; shown again, video within a second or two', async () => {
  const fran = await joinFromDemo(suite.browser, suite.server.url, 'adaptive-hidden', 'Fran', 'facilitator', { video: true, toneHz: 440 });
  const ana = await joinFromDemo(suite.browser, suite.server.url, 'adaptive-hidden', 'Ana', 'client');
  expect(await sdk(fran, 'admitAll')).toEqual({ ok: true });
  const franId = await participantIdOf(fran);
  await waitUntil(async () => (await bytesFrom(ana, franId, 'video')) > 0, 20_000, 'Fran’s video at Ana');

  // Ana minimises her window.
  const session = await ana.createCDPSession();
  const { windowId } = await session.send('Browser.getWindowForTarget');
  await session.send('Browser.setWindowBounds', { windowId, bounds: { windowState: 'minimized' } });
  await waitUntil(() => ana.evaluate(() => document.visibilityState === 'hidden'), 2000, 'the page hidden');
  const hiddenAt = Date.now();
  const room = suite.server.circle.registry.get('adaptive-hidden')!;
  const anaSeat = room.participants.get(await participantIdOf(ana))!;
  const videoConsumer = () => [...anaSeat.media.consumers.values()].find((c) => c.kind === 'video')!;
  await waitUntil(async () => videoConsumer().paused, 2000, 'Ana’s video consumer paused at the SFU');
  const pausedAfterMs = Date.now() - hiddenAt;
  await sleep(500);
  const [video, audio] = [await bytesFrom(ana, franId, 'video'), await bytesFrom(ana, franId, 'audio')];
  await sleep(2000);
  expect(await bytesFrom(ana, franId, 'video')).toBe(video);
  expect(await bytesFrom(ana, franId, 'audio')).toBeGreaterThan(audio);

  await session.send('Browser.setWindowBounds', { windowId, bounds: { windowState: 'normal' } });
  const shownAt = Date.now();
  await waitUntil(async () => (await bytesFrom(ana, franId, 'video')) > video, 5000, 'video again');
  const backAfterMs = Date.now() - shownAt;
  console.log(`hidden → paused at the SFU ${pausedAfterMs} ms; shown → video bytes ${backAfterMs} ms`);
  expect(backAfterMs).toBeLessThan(2000);
});
