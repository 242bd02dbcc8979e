import { expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { browserSuite } from '../helpers/fixtures.js';
import { audioFrom, joinFromDemo, participantIdOf, sdk, waitUntil } from '../../harness/browser.js';

const suite = browserSuite({ rooms: { requireAdmission: false } });

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('queue mode: only the floor holder is heard, and passing the floor switches who is heard within 1 s', async () => {
  const audioOnly = { video: false };
  const facilitator = await joinFromDemo(suite.browser, suite.server.url, 'floor-e2e', 'Frida', 'facilitator', audioOnly);
  const names = ['Ana', 'Ben', 'Cai'];
  const clients: Page[] = [];
  for (const name of names) clients.push(await joinFromDemo(suite.browser, suite.server.url, 'floor-e2e', name, 'client', audioOnly));
  const [ana, ben, cai] = clients as [Page, Page, Page];
  const ids = await Promise.all(clients.map(participantIdOf));
  const anaId = ids[0]!;

  // Everyone hears everyone in an open room.
  await waitUntil(async () => {
    for (const [i, page] of clients.entries()) {
      for (const [j, id] of ids.entries()) if (i !== j && (await audioFrom(page, id)) === 0) return false;
    }
    return true;
  }, 20_000, 'audio between all clients');

  expect(await sdk(facilitator, 'setFloorMode', 'queue')).toEqual({ ok: true });
  expect(await sdk(ben, 'raiseHand')).toEqual({ ok: true });
  expect(await sdk(facilitator, 'grantFloor', anaId)).toEqual({ ok: true });
  await pause(1000);

  /** Over two seconds, every listener hears `speaker` and none of the other clients. */
  const listeners: [string, Page][] = [['Frida', facilitator], ['Ana', ana], ['Ben', ben], ['Cai', cai]];
  const heard = () => Promise.all(listeners.map(([, page]) => Promise.all(ids.map((id) => audioFrom(page, id)))));
  async function expectOnlyHeard(speaker: string): Promise<void> {
    const before = await heard();
    await pause(2000);
    const after = await heard();
    for (const [l, [listener]] of listeners.entries()) {
      for (const [c, name] of names.entries()) {
        if (listener === name) continue;
        expect(after[l]![c]! > before[l]![c]!, `${listener} hears ${name}`).toBe(name === speaker);
      }
    }
  }

  await expectOnlyHeard('Ana');
  // The page tells Ben and Cai they will be heard when they have the floor.
  expect(await cai.evaluate(() => document.querySelector('#floor-status')?.textContent)).toMatch(/Ana has the floor.*when you have the floor/);
  expect(await ben.evaluate(() => document.querySelector('#toggle-hand')?.textContent)).toBe('Lower hand (1 in line)');

  // The facilitator passes the floor to the next raised hand, Ben, from the page's button.
  await facilitator.bringToFront(); // a background tab paints no frames, and a real click waits for one
  await facilitator.click('#grant-next');
  await waitUntil(() => ben.evaluate(() => document.querySelector('#floor-status')?.textContent?.startsWith('One speaker at a time · You have') ?? false), 3000, 'Ben to be told');
  await pause(1000);
  await expectOnlyHeard('Ben');
  if (process.env.CIRCLE_SCREENSHOT) await facilitator.screenshot({ path: process.env.CIRCLE_SCREENSHOT, fullPage: true });
});
