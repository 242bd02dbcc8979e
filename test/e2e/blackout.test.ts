import { expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { audioFrom, joinFromDemo, keyGroupOf, participantIdOf, sdk, waitUntil } from '../../harness/browser.js';
import { heardTones, installEar } from '../../harness/tones.js';
import { weakLinkSuite } from '../helpers/fixtures.js';
import { transportUfrags } from '../../harness/weak-link.js';

const suite = weakLinkSuite({ sessions: { resumeGraceMs: 20_000 } });
const FRAN = 520;
const REMY = 880;

type Circle = { circle: { client: Record<string, unknown> & { state: string; floor: { queue: string[] }; self: { role: string; locks: { video: boolean } } } } };
const state = (page: Page) =>
  page.evaluate(() => {
    const client = (window as unknown as Circle).circle.client;
    return { state: client.state, queue: client.floor?.queue, self: client.self };
  });

it('an 8-second blackout: others see "reconnecting", the client returns to the same seat and is heard within 5 s', async () => {
  const facilitator = await joinFromDemo(suite.browser, suite.server.url, 'blackout', 'Fran', 'facilitator', { video: false, toneHz: FRAN });
  const client = await joinFromDemo(suite.browser, suite.proxiedUrl, 'blackout', 'Remy', 'client', { video: false, toneHz: REMY });
  const remy = await participantIdOf(client);
  expect(await sdk(facilitator, 'admit', remy)).toEqual({ ok: true });
  await installEar(facilitator, [FRAN, REMY]);
  await waitUntil(async () => (await heardTones(facilitator)).includes(REMY), 15_000, 'Fran hearing Remy through the relay');
  // With end-to-end encryption, the group as the pages hold it: coming back from a blackout neither leaves it nor rejoins it.
  const groupBefore = await keyGroupOf(facilitator);
  if (process.env.CIRCLE_TEST_E2EE === 'required') expect(groupBefore?.leaves).toHaveLength(2);
  expect(await sdk(client, 'raiseHand')).toEqual({ ok: true });
  expect(await sdk(facilitator, 'stopVideo', remy)).toEqual({ ok: true });
  const before = await state(client);
  expect(before.queue).toEqual([remy]);

  await facilitator.evaluate(() => {
    const w = window as unknown as Circle & { seen: string[] };
    w.seen = [];
    const on = w.circle.client.on as (e: string, f: (p: { connection?: string }) => void) => void;
    on.call(w.circle.client, 'peerLeft', () => w.seen.push('left'));
    on.call(w.circle.client, 'peerUpdated', (p) => w.seen.push(p.connection ?? ''));
  });
  await suite.relay.impair(transportUfrags(suite.server.circle.registry.get('blackout')!, remy), 'both', { blackout: true });
  suite.proxy.setBlackout(true);
  await waitUntil(
    () => facilitator.evaluate(() => document.querySelector('#tiles')?.textContent?.includes('Remy · reconnecting…') ?? false),
    5000,
    'the facilitator to see Remy reconnecting',
  );
  await new Promise((resolve) => setTimeout(resolve, 8000));
  const silent = await audioFrom(facilitator, remy);

  await suite.relay.reset();
  suite.proxy.setBlackout(false);
  const back = Date.now();
  await waitUntil(async () => (await audioFrom(facilitator, remy)) > silent, 5000, "Remy's audio within 5 s of the network returning");
  const seconds = (Date.now() - back) / 1000;
  await waitUntil(async () => (await heardTones(facilitator)).includes(REMY), 5000, 'Fran hearing Remy again');
  expect(await keyGroupOf(facilitator)).toEqual(groupBefore);
  expect(await keyGroupOf(client)).toEqual(groupBefore);

  const after = await state(client);
  expect(await participantIdOf(client)).toBe(remy);
  expect(after).toMatchObject({ state: 'joined', queue: [remy], self: { role: 'client', locks: { video: true } } });
  const seen = await facilitator.evaluate(() => (window as unknown as { seen: string[] }).seen);
  expect(seen).not.toContain('left');
  expect(seen.at(-1)).toBe('connected');
  console.log(`blackout 8 s: audio back ${seconds.toFixed(2)} s after the network returned`);
});
