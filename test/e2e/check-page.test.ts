// The pre-session check page in Chromium, its media through the weak-link relay: on a clean link it says "Ready for
// video"; with 25% of the packets lost each way it says "Audio only recommended" and what to try.
import { expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { joinFromDemo, waitUntil } from '../../harness/browser.js';
import { mediaUfrags } from '../../harness/weak-link.js';
import type { CheckResult } from '../../src/client/connection-check.js';
import { weakLinkSuite } from '../helpers/fixtures.js';

const suite = weakLinkSuite();
async function checkPage(): Promise<Page> {
  const page = await suite.browser.newPage();
  await page.goto(`${suite.server.url}/check`, { waitUntil: 'load' });
  return page;
}

/** Clicks "Test my connection" as a person would, and answers the result once the page shows it. */
async function runCheck(page: Page): Promise<CheckResult> {
  await page.evaluate(() => (document.querySelector('#run-check') as HTMLButtonElement).click());
  await page.waitForFunction(() => document.querySelector('#check-status')?.textContent === 'Done.', { timeout: 30_000, polling: 200 });
  return page.evaluate(() => (window as unknown as { circleCheck: { result: CheckResult } }).circleCheck.result);
}

const text = (page: Page, selector: string) => page.evaluate((s) => document.querySelector(s)?.textContent ?? '', selector);

it('on a clean link the check page says "Ready for video", with the path and the measurements', async () => {
  const page = await checkPage();
  const result = await runCheck(page);
  expect(result).toMatchObject({ connected: true, verdict: 'video', path: 'udp' });
  expect(result.loss).toBeLessThan(0.05);
  expect(await text(page, '#verdict')).toBe('Ready for video');
  expect(await text(page, '#details')).toContain('direct (UDP)');
  expect(await text(page, '#details')).toContain('this browser can encrypt');
  expect(suite.server.circle.checks.list()).toEqual([]);
});

it('with 25% loss each way the check page says "Audio only recommended" and what to try', async () => {
  const page = await checkPage();
  const result = runCheck(page);
  // The relay tells clients apart by their ICE username: impair the check's transports as soon as they exist.
  await waitUntil(async () => suite.server.circle.checks.list().some((check) => mediaUfrags(check.media).length === 2), 10_000, 'the check open');
  await suite.relay.impair(mediaUfrags(suite.server.circle.checks.list()[0]!.media), 'both', { loss: 0.25 });
  const measured = await result;
  console.log(`check at 25% loss each way: ${JSON.stringify({ ...measured, advice: undefined })}`);
  expect(measured.verdict).toBe('audio-only');
  expect(measured.loss).toBeGreaterThan(0.15);
  expect(await text(page, '#verdict')).toBe('Audio only recommended');
  expect(await text(page, '#advice')).toContain('Move closer to your Wi-Fi router');
  await suite.relay.reset();
});

it("a client waiting to be admitted is checked quietly, and the facilitator's lobby list shows the verdict", async () => {
  const fran = await joinFromDemo(suite.browser, suite.server.url, 'lobby-check-e2e', 'Fran', 'facilitator', { video: false });
  const walt = await joinFromDemo(suite.browser, suite.server.url, 'lobby-check-e2e', 'Walt', 'client', { video: true });
  expect(await walt.evaluate(() => (window as unknown as { circle: { client: { state: string } } }).circle.client.state)).toBe('waiting');
  // The verdict itself is the check's measurement of this machine's loopback (a busy CI machine can measure too little
  // for video); what this shows is that the waiting client's verdict and path reach the facilitator's list.
  await waitUntil(async () => /Walt · (Ready for video|Audio only recommended), direct \(UDP\)/.test(await text(fran, '#lobby-list')), 20_000, "Walt's check in the facilitator's lobby list");
});
