import { expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { joinFromDemo, participantIdOf, sdk, waitUntil } from '../../harness/browser.js';
import { browserSuite } from '../helpers/fixtures.js';

const suite = browserSuite({ rooms: { requireAdmission: false } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes through the page's own form, as a person would: choose who, type, press Send. */
async function write(page: Page, to: string, text: string): Promise<void> {
  await page.evaluate(
    (value, body) => {
      (document.querySelector('#message-to') as HTMLSelectElement).value = value;
      (document.querySelector('#message-text') as HTMLTextAreaElement).value = body;
      (document.querySelector('#message-form button[type=submit]') as HTMLButtonElement).click();
    },
    to,
    text,
  );
}

const listText = (page: Page) => page.evaluate(() => document.querySelector('#message-list')?.textContent ?? '');
const shows = (page: Page, text: string) => waitUntil(async () => (await listText(page)).includes(text), 5000, `"${text}" on the page`);

it('a message to the staff reaches the facilitator and co-facilitator only; a private answer one client only; group messages can be turned off', async () => {
  const fran = await joinFromDemo(suite.browser, suite.server.url, 'messages-e2e', 'Fran', 'facilitator', { video: false });
  const cole = await joinFromDemo(suite.browser, suite.server.url, 'messages-e2e', 'Cole', 'cofacilitator', { video: false });
  const ana = await joinFromDemo(suite.browser, suite.server.url, 'messages-e2e', 'Ana', 'client', { video: false });
  const ben = await joinFromDemo(suite.browser, suite.server.url, 'messages-e2e', 'Ben', 'client', { video: false });
  const anaId = await participantIdOf(ana);
  await waitUntil(() => fran.evaluate((id) => [...(document.querySelector('#message-to') as HTMLSelectElement).options].some((o) => o.value === `one:${id}`), anaId), 5000, 'Ana among the facilitator’s recipients');

  await write(ana, 'staff', 'I need to step away for a minute');
  await shows(fran, 'I need to step away for a minute');
  await shows(cole, 'I need to step away for a minute');
  expect(await listText(fran)).toContain('Ana to the facilitators');
  await sleep(500);
  expect(await listText(ben)).not.toContain('step away');
  // Cole has not looked at the panel yet: one unread.
  expect(await cole.evaluate(() => document.querySelector('#unread-count')?.textContent)).toBe('1');

  await write(fran, `one:${anaId}`, 'Of course. Take the time you need.');
  await shows(ana, 'Of course. Take the time you need.');
  expect(await listText(ana)).toContain('Fran privately to you');
  await sleep(500);
  for (const other of [ben, cole]) expect(await listText(other)).not.toContain('Take the time');

  // The facilitator turns group messages off: the client's page offers "Everyone" no more, and the server refuses it.
  await fran.evaluate(() => (document.querySelector('#group-messages') as HTMLInputElement).click());
  await waitUntil(
    () => ben.evaluate(() => (document.querySelector('#message-to option[value=everyone]') as HTMLOptionElement | null)?.disabled === true),
    5000,
    '"Everyone" disabled on the client’s page',
  );
  expect(await sdk(ben, 'sendMessage', 'everyone', 'hello all')).toEqual({ ok: false, code: 'FORBIDDEN' });
  await write(fran, 'everyone', 'Let us talk rather than type for now.');
  for (const page of [ana, ben, cole]) await shows(page, 'Let us talk rather than type for now.');
  for (const page of [fran, cole, ana, ben]) await page.close();
});
