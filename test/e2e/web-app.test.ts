import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { bytesFrom, joinFromDemo, participantIdOf, sdk, waitUntil } from '../../harness/browser.js';
import { browserSuite } from '../helpers/fixtures.js';

// The web app as a facilitator and clients use it, in Chromium against a real Circle: the waiting room's chime and
// badge, each tile's menu worked from the keyboard, the active-speaker highlight following the SFU (a hard-muted
// voice loses it), hands with their place in line on the tiles, the session clock, the reconnecting banner, a
// phone-sized layout, and WCAG 2.1 AA checked by axe-core on every view.

const suite = browserSuite();
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const ROOM = 'web-app-e2e';

const text = (page: Page, selector: string) => page.evaluate((s) => document.querySelector(s)?.textContent ?? '', selector);
const classesOf = (page: Page, participantId: string) =>
  page.evaluate((id) => [...(document.getElementById(`peer-${id}`)?.classList ?? [])], participantId);
const highlighted = (page: Page) => page.evaluate(() => [...document.querySelectorAll('.tile.active-speaker')].map((tile) => tile.id));

/** axe-core's WCAG 2.0/2.1 A and AA rules over the page as it is now: the violations, by rule and element. */
async function accessibilityViolations(page: Page, mustCheck: string[] = []): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async (alsoRequired) => {
    type Rule = { id: string; nodes: { target: string[] }[] };
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: Rule[]; passes: Rule[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    // Not a vacuous pass: the rules that matter here found elements to check, and they passed.
    const passed = new Set(result.passes.map((rule) => rule.id));
    const missing = ['color-contrast', 'button-name', 'label', 'aria-allowed-attr', ...alsoRequired].filter((id) => !passed.has(id));
    return [...result.violations.flatMap((v) => v.nodes.map((node) => `${v.id}: ${node.target.join(' ')}`)), ...missing.map((id) => `${id}: not checked`)];
  }, mustCheck);
}

/** Presses keys on the page as a keyboard user would (the page is brought to the front: keys go to the focused one). */
async function press(page: Page, ...keys: string[]): Promise<void> {
  await page.bringToFront();
  for (const key of keys) await page.keyboard.press(key as Parameters<Page['keyboard']['press']>[0]);
}

const focused = (page: Page) =>
  page.evaluate(() => {
    const element = document.activeElement as HTMLElement | null;
    return { role: element?.getAttribute('role') ?? element?.tagName.toLowerCase(), text: element?.textContent ?? '', label: element?.getAttribute('aria-label') ?? '' };
  });

it('the facilitator runs the group from the grid: waiting-room chime and badge, tile menus by keyboard, who speaks, hands, the clock, AA', async () => {
  const fran = await joinFromDemo(suite.browser, suite.server.url, ROOM, 'Fran', 'facilitator', { video: true, toneHz: 440, syllables: true });
  await fran.setViewport({ width: 1280, height: 800 });
  // From here on, every oscillator the page starts is the app's own chime (the tone microphone started before).
  await fran.evaluate(() => {
    const w = window as unknown as { chimes: number[] };
    w.chimes = [];
    const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function (this: OscillatorNode, ...args: [number?]) {
      w.chimes.push(this.frequency.value);
      return start.apply(this, args);
    };
  });
  expect(await fran.evaluate(() => document.querySelector<HTMLElement>('#lobby-badge')!.hidden)).toBe(true);

  // Ana arrives in the waiting room: a chime, a badge in the top bar, the count in the tab's title.
  const ana = await joinFromDemo(suite.browser, suite.server.url, ROOM, 'Ana', 'client', { video: true, toneHz: 660, syllables: true });
  await waitUntil(() => fran.evaluate(() => !document.querySelector<HTMLElement>('#lobby-badge')!.hidden), 5000, 'the waiting-room badge');
  expect(await text(fran, '#lobby-badge')).toBe('1 waiting');
  expect(await fran.title()).toBe('(1) Circle');
  await waitUntil(() => fran.evaluate(() => (window as unknown as { chimes: number[] }).chimes.length >= 2), 3000, 'the chime');
  expect(await fran.evaluate(() => (window as unknown as { chimes: number[] }).chimes)).toEqual([660, 880]);
  await fran.evaluate(() => [...document.querySelectorAll<HTMLButtonElement>('#lobby-list button')].find((b) => b.textContent === 'Admit')!.click());
  await waitUntil(() => fran.evaluate(() => document.querySelector<HTMLElement>('#lobby-badge')!.hidden), 5000, 'the badge to go');
  expect(await fran.title()).toBe('Circle');

  const ben = await joinFromDemo(suite.browser, suite.server.url, ROOM, 'Ben', 'client', { video: false, toneHz: 880, syllables: true });
  await waitUntil(() => fran.evaluate(() => document.querySelectorAll('#lobby-list li').length === 1), 5000, 'Ben waiting');
  expect(await sdk(fran, 'admitAll')).toEqual({ ok: true });
  const [anaId, benId] = [await participantIdOf(ana), await participantIdOf(ben)];
  await waitUntil(() => ben.evaluate(() => (window as unknown as { circle: { client: { state: string } } }).circle.client.state === 'joined'), 10_000, 'Ben in');

  // Only Ana's voice is on: her tile lights up on every screen, her own included.
  expect(await sdk(fran, 'setMicrophoneEnabled', false)).toEqual({ ok: true });
  expect(await sdk(ben, 'setMicrophoneEnabled', false)).toEqual({ ok: true });
  await waitUntil(async () => (await highlighted(fran)).join() === `peer-${anaId}`, 10_000, "Ana's tile lit on Fran's screen");
  await waitUntil(async () => (await highlighted(ben)).join() === `peer-${anaId}`, 5000, "Ana's tile lit on Ben's screen");
  await waitUntil(async () => (await highlighted(ana)).join() === 'self-tile', 5000, "Ana's own tile lit");
  // The staff's roster: how much Ana has spoken, a quiet bar and words; no client page shows anything of it.
  const rosterRow = (name: string) => fran.evaluate((n) => [...document.querySelectorAll('#people-list > li')].find((li) => li.textContent?.startsWith(n))?.textContent ?? '', name);
  await waitUntil(async () => /spoken \d+ s · 1 turn/.test(await rosterRow('Ana')), 10_000, "Ana's speaking time in the roster");
  expect(await ana.evaluate(() => document.body.innerText)).not.toMatch(/spoken|has not spoken/);
  // Ben's tile shows his microphone off, and his initials in place of the camera he does not have.
  expect(await classesOf(fran, benId)).toContain('no-video');
  expect(await text(fran, `#peer-${benId} .avatar`)).toBe('B');
  expect(await text(fran, `#peer-${benId} figcaption`)).toContain('Microphone off');

  // Fran works Ana's tile menu from the keyboard: down opens it on its first item, the arrows move, Escape closes.
  await fran.evaluate((id) => document.querySelector<HTMLButtonElement>(`#peer-${id} .menu-button`)!.focus(), anaId);
  expect(await focused(fran)).toMatchObject({ label: 'Actions for Ana' });
  await press(fran, 'ArrowDown');
  expect(await focused(fran)).toMatchObject({ role: 'menuitem', text: 'Talk privately' });
  expect(await fran.evaluate((id) => document.querySelector(`#peer-${id} .menu-button`)!.getAttribute('aria-expanded'), anaId)).toBe('true');
  await press(fran, 'End');
  expect(await focused(fran)).toMatchObject({ role: 'menuitem', text: 'Remove' });
  await press(fran, 'Escape');
  expect(await focused(fran)).toMatchObject({ label: 'Actions for Ana' });
  expect(await fran.evaluate((id) => document.querySelector<HTMLElement>(`#peer-${id} [role=menu]`)!.hidden, anaId)).toBe(true);
  // Opened again on its first item, down twice to "Mute", Enter: a hard mute at the SFU. A voice no one hears is no one's highlight.
  await press(fran, 'ArrowDown', 'ArrowDown', 'ArrowDown');
  expect(await focused(fran)).toMatchObject({ role: 'menuitem', text: 'Mute' });
  await press(fran, 'Enter');
  await waitUntil(async () => (await highlighted(fran)).length === 0, 5000, "Ana's highlight to go when she is muted");
  // (The lock reaches the staff a moment after the SFU paused her voice.)
  await waitUntil(async () => (await text(fran, `#peer-${anaId} figcaption`)).includes('Muted by a facilitator'), 5000, "Ana's tile to say she is muted");
  // Ben speaks: the highlight follows him.
  expect(await sdk(ben, 'setMicrophoneEnabled', true)).toEqual({ ok: true });
  await waitUntil(async () => (await highlighted(fran)).join() === `peer-${benId}`, 10_000, "Ben's tile lit");

  // Hands, raised by key (H) and by button, with their place in line on the tiles.
  await press(ben, 'h');
  await waitUntil(() => ben.evaluate(() => document.querySelector('#toggle-hand')?.getAttribute('aria-pressed') === 'true'), 5000, "Ben's hand");
  expect(await sdk(ana, 'raiseHand')).toEqual({ ok: true });
  await waitUntil(async () => (await text(fran, `#peer-${anaId} .hand [aria-hidden]`)) === 'Hand 2', 5000, "Ana's place on her tile");
  expect(await text(fran, `#peer-${anaId} .hand .sr-only`)).toBe('Hand raised, 2nd in line');
  expect(await text(fran, `#peer-${benId} .hand`)).toBe('Hand 1Hand raised, 1st in line');

  // The session clock runs from the moment the session started, the same on every screen.
  const clock = await text(fran, '#session-time');
  expect(clock).toMatch(/^\d+:\d\d$/);
  await waitUntil(async () => (await text(fran, '#session-time')) !== clock, 3000, 'the clock to tick');
  expect(await text(ana, '#session-time')).toMatch(/^\d+:\d\d$/);

  // Accessibility: the facilitator's full view with a menu open, and the client's, pass axe-core's WCAG A/AA rules.
  await fran.evaluate((id) => document.querySelector<HTMLButtonElement>(`#peer-${id} .menu-button`)!.click(), benId);
  // (The open menu's structure is checked too: a menu owns its menu items.)
  expect(await accessibilityViolations(fran, ['aria-required-children'])).toEqual([]);
  expect(await accessibilityViolations(ana)).toEqual([]);
  // And in a dark colour scheme (the app follows the system's).
  await fran.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  expect(await accessibilityViolations(fran, ['aria-required-children'])).toEqual([]);
  await fran.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  if (process.env.CIRCLE_SCREENSHOTS) await screenshot(fran, 'facilitator.png');

  // A phone: one column of panels, two tiles a row, nothing wider than the screen, controls big enough for a thumb.
  // (Width alone: puppeteer reloads the page to change `isMobile`, and that would end her session.)
  await ana.setViewport({ width: 390, height: 844 });
  const layout = await ana.evaluate(() => ({
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    columns: getComputedStyle(document.querySelector('#tiles')!).gridTemplateColumns.split(' ').length,
    smallestControl: Math.min(...[...document.querySelectorAll<HTMLElement>('#controls button:not([hidden])')].map((b) => b.getBoundingClientRect().height)),
  }));
  expect(layout.overflow).toBeLessThanOrEqual(0);
  expect(layout.columns).toBe(2);
  expect(layout.smallestControl).toBeGreaterThanOrEqual(44);
  expect(await accessibilityViolations(ana)).toEqual([]);
  if (process.env.CIRCLE_SCREENSHOTS) await screenshot(ana, 'client-phone.png');

  // Ana's connection drops: she reads that she is reconnecting and her place is held, until she is back.
  await ana.evaluate(() => {
    const w = window as unknown as { bannerShown: boolean };
    const banner = document.querySelector<HTMLElement>('#reconnecting-banner')!;
    w.bannerShown = false;
    new MutationObserver(() => (w.bannerShown ||= !banner.hidden)).observe(banner, { attributes: true });
    const sdkClient = (window as unknown as { circle: { client: { connection: { socket: { io: { engine: { close(): void } } } } } } }).circle.client;
    sdkClient.connection.socket.io.engine.close();
  });
  await waitUntil(() => ana.evaluate(() => (window as unknown as { bannerShown: boolean }).bannerShown), 5000, 'the reconnecting banner');
  expect(await text(ana, '#reconnecting-banner')).toContain('Reconnecting… your place in the session is held');
  await waitUntil(() => ana.evaluate(() => document.querySelector<HTMLElement>('#reconnecting-banner')!.hidden), 15_000, 'the banner to go once back');
  expect(await participantIdOf(ana)).toBe(anaId);
});

async function screenshot(page: Page, name: string): Promise<void> {
  const folder = process.env.CIRCLE_SCREENSHOTS!;
  mkdirSync(folder, { recursive: true });
  await page.screenshot({ path: path.join(folder, name) as `${string}.png` });
}

it('hide self-view: the page stops drawing its own camera and keeps sending it; remembered on this device for the next join', async () => {
  const room = 'self-view-e2e';
  const facilitator = await joinFromDemo(suite.browser, suite.server.url, room, 'Fran', 'facilitator');
  const ana = await joinFromDemo(suite.browser, suite.server.url, room, 'Ana', 'client');
  const anaId = await participantIdOf(ana);
  expect(await sdk(facilitator, 'admit', anaId)).toEqual({ ok: true });
  const videoOfAnaAtFran = () => bytesFrom(facilitator, anaId, 'video');
  await waitUntil(async () => (await videoOfAnaAtFran()) > 0, 15_000, 'Ana’s video at the facilitator');
  const selfView = (page: Page) =>
    page.evaluate(() => ({
      tileHidden: (document.querySelector('#self-tile') as HTMLElement).hidden,
      drawing: (document.querySelector('#local-video') as HTMLVideoElement).srcObject !== null,
      button: document.querySelector('#toggle-self-view')?.textContent,
      pressed: document.querySelector('#toggle-self-view')?.getAttribute('aria-pressed'),
      hint: !(document.querySelector('#self-view-hidden') as HTMLElement).hidden,
    }));
  expect(await selfView(ana)).toEqual({ tileHidden: false, drawing: true, button: 'Hide self-view', pressed: 'false', hint: false });

  await ana.evaluate(() => (document.querySelector('#toggle-self-view') as HTMLButtonElement).click());
  expect(await selfView(ana)).toEqual({ tileHidden: true, drawing: false, button: 'Show self-view', pressed: 'true', hint: true });
  const before = await videoOfAnaAtFran();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  expect(await videoOfAnaAtFran()).toBeGreaterThan(before); // still sent

  // The same device later (a new page of this browser): still hidden, until shown again.
  await ana.close();
  const again = await joinFromDemo(suite.browser, suite.server.url, room, 'Ana', 'client');
  await waitUntil(() => again.evaluate(() => !(document.querySelector('#toggle-self-view') as HTMLElement).hidden), 10_000, 'the camera on again');
  expect(await selfView(again)).toMatchObject({ tileHidden: true, drawing: false, pressed: 'true' });
  await again.evaluate(() => (document.querySelector('#toggle-self-view') as HTMLButtonElement).click());
  expect(await selfView(again)).toEqual({ tileHidden: false, drawing: true, button: 'Hide self-view', pressed: 'false', hint: false });
  for (const page of [facilitator, again]) await page.close();
});

it('safety check-in: a waiting client answers in the web app, the facilitator reads it in the waiting room and then the roster, "I moved" updates it; another client never sees it', async () => {
  const room = 'check-in-e2e';
  const facilitator = await joinFromDemo(suite.browser, suite.server.url, room, 'Fran', 'facilitator');
  const ben = await joinFromDemo(suite.browser, suite.server.url, room, 'Ben', 'client');
  expect(await sdk(facilitator, 'admit', await participantIdOf(ben))).toEqual({ ok: true });
  const ana = await joinFromDemo(suite.browser, suite.server.url, room, 'Ana', 'client');
  const anaId = await participantIdOf(ana);
  expect(await ana.$eval('#check-in-form', (form) => (form as HTMLElement).hidden)).toBe(false);
  expect(await text(facilitator, '#lobby-list')).toContain('Check-in: not answered yet');
  const answer = (page: Page, location: string, privately: 'yes' | 'no', headphones: 'yes' | 'no') =>
    page.evaluate(
      (where, p, h) => {
        const form = document.querySelector('#check-in-form') as HTMLFormElement;
        (form.querySelector('input[name="location"]') as HTMLInputElement).value = where;
        (form.querySelector(`input[name="private"][value="${p}"]`) as HTMLInputElement).click();
        (form.querySelector(`input[name="headphones"][value="${h}"]`) as HTMLInputElement).click();
        (form.querySelector('button[type="submit"]') as HTMLButtonElement).click();
      },
      location,
      privately,
      headphones,
    );
  await answer(ana, 'home, Tacoma WA', 'no', 'yes');
  await waitUntil(async () => (await text(facilitator, '#lobby-list')).includes('Check-in: home, Tacoma WA · private: no · headphones: yes'), 5000, 'the answers in the waiting-room list');
  expect(await ana.$eval('#check-in-form', (form) => (form as HTMLElement).hidden)).toBe(true);
  expect(await text(ana, '#check-in-sent')).toContain('the facilitators see your check-in');

  expect(await sdk(facilitator, 'admit', anaId)).toEqual({ ok: true });
  await waitUntil(async () => (await text(facilitator, '#people-list')).includes('Check-in: home, Tacoma WA'), 5000, 'the answers in the roster');
  // "I moved": the form again from the control bar.
  await ana.evaluate(() => (document.querySelector('#update-check-in') as HTMLButtonElement).click());
  await answer(ana, 'a friend’s car, parked', 'yes', 'yes');
  await waitUntil(async () => (await text(facilitator, '#people-list')).includes('Check-in: a friend’s car, parked · private: yes · headphones: yes'), 5000, 'the new answers in the roster');
  // And in Ana's own menu on her tile.
  await facilitator.evaluate((id) => [...document.querySelectorAll<HTMLButtonElement>(`#peer-${id} [role="menuitem"]`)].find((item) => item.textContent === 'Check-in…')!.click(), anaId);
  await waitUntil(async () => (await text(facilitator, '#notice')).includes('Ana. Check-in: a friend’s car, parked'), 5000, 'the check-in from her menu');
  expect(await ben.evaluate(() => document.body.innerText)).not.toMatch(/Tacoma|friend’s car|Check-in/);
  if (process.env.CIRCLE_SCREENSHOTS) {
    await facilitator.evaluate(() => document.querySelector('#lobby-heading')!.scrollIntoView());
    await screenshot(facilitator, 'check-in-staff.png');
  }
  for (const page of [facilitator, ben, ana]) await page.close();
});
