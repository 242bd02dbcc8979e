import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { InboundStat } from '../src/client/sdk.js';
import { useNoiseMicrophone, useToneMicrophone } from './tones.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface BrowserPlace {
  /** Start Chromium through this wrapper (e.g. inside a network namespace, see netns.ts). */
  wrapper?: (program: string) => string;
  /** An http origin other than loopback the page is served from: treated as secure, so the camera and microphone work. */
  insecureOrigin?: string;
  /**
   * A CA certificate (PEM file) the browser trusts besides the public ones, as a clinic's managed machines trust
   * its own CA: added to an NSS database of the browser's own (Chromium on Linux reads `$HOME/.pki/nssdb`).
   */
  trustedCa?: string;
}

/** A home folder whose NSS database trusts `caFile` (Debian's certutil, from libnss3-tools). */
function homeTrusting(profile: string, caFile: string): string {
  const home = path.join(profile, 'home');
  const db = `sql:${path.join(home, '.pki', 'nssdb')}`;
  mkdirSync(path.join(home, '.pki', 'nssdb'), { recursive: true });
  execFileSync('certutil', ['-d', db, '-N', '--empty-password']);
  execFileSync('certutil', ['-d', db, '-A', '-t', 'C,,', '-n', 'circle-test-ca', '-i', caFile]);
  return home;
}

/** Debian's Chromium, headless, with a fake camera and microphone, talking only to loopback (or where `place` says). */
export async function launchBrowser(place: BrowserPlace = {}): Promise<{ browser: Browser; close(): Promise<void> }> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'circle-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: place.wrapper ? place.wrapper(CHROMIUM) : CHROMIUM,
    headless: true,
    userDataDir: profile,
    // A laptop's screen: a tile below the fold of a smaller one is not seen, and the SFU rightly sends it no video.
    defaultViewport: { width: 1280, height: 800 },
    // Through a pipe rather than a debugging port: a browser in another network namespace has a loopback of its own.
    pipe: place.wrapper !== undefined,
    ...(place.trustedCa ? { env: { ...process.env, HOME: homeTrusting(profile, place.trustedCa) } } : {}),
    args: [
      ...(place.insecureOrigin ? [`--unsafely-treat-insecure-origin-as-secure=${place.insecureOrigin}`] : []),
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
      // Since Chromium 156 each window keeps its omnibox's popups as WebUI pages in a renderer of their own, which
      // in headless mode takes about a third of a core doing nothing; five windows of a test then share two cores
      // with it. Nobody types into an omnibox here (puppeteer merges this with its own disabled features).
      '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the demo page and joins through the same path a person's click takes. */
export async function joinFromDemo(
  browser: Browser,
  url: string,
  room: string,
  name: string,
  role = 'client',
  media: {
    video: boolean;
    toneHz?: number;
    syllables?: boolean;
    relay?: boolean;
    /** The microphone is white noise instead of Chromium's fake beep. */
    noise?: boolean;
    /** Noise suppression on or off; 'default': as the web app decides for a person who never chose. */
    noiseSuppression?: boolean | 'default';
    /** A browser without encoded transforms (an old one): it cannot encrypt end to end. */
    cannotEncrypt?: boolean;
    /** The seat this join token names (a clinic's link), instead of a new one from the demo's token endpoint. */
    token?: string;
  } = { video: true },
) {
  // A window of its own, as each person has: a background tab is hidden, and a hidden page receives no video.
  const page = await browser.newPage({ type: 'window' });
  page.on('pageerror', (error) => console.error(`[${name}] page error:`, error));
  page.on('console', (m) => process.env.CIRCLE_PAGE_LOG && console.log(`[${name}] ${m.text()}`));
  if (media.toneHz) await useToneMicrophone(page, media.toneHz, { syllables: media.syllables });
  if (media.noise) await useNoiseMicrophone(page);
  if (media.cannotEncrypt) await page.evaluateOnNewDocument(() => delete (window as { RTCRtpScriptTransform?: unknown }).RTCRtpScriptTransform);
  await page.goto(`${url}/?room=${room}${media.relay ? '&relay=1' : ''}`, { waitUntil: 'load' });
  // Noise suppression off unless asked for: the tests' microphones are tones, which it rightly takes for noise.
  if (media.noiseSuppression !== 'default') {
    await page.evaluate((on) => localStorage.setItem('circle.noiseSuppression', on ? 'on' : 'off'), media.noiseSuppression === true);
  }
  if (media.token) await enterWith(page, media.token, media.video);
  else {
    await page.evaluate(
      (r, n, ro, m) =>
        (window as unknown as { circle: { join(a: string, b: string, c: string, m: object): Promise<void> } }).circle.join(r, n, ro, m),
      room,
      name,
      role,
      { video: media.video },
    );
  }
  return page;
}

/** What a client does on arrival in the web app: answers the safety check-in (the form then folds away). */
export async function answerCheckIn(page: Page): Promise<void> {
  await page.waitForSelector('#check-in-form:not([hidden])', { timeout: 30_000 });
  await page.evaluate(() => {
    const form = document.querySelector<HTMLFormElement>('#check-in-form')!;
    form.querySelector<HTMLInputElement>('input[name="location"]')!.value = 'home';
    for (const name of ['private', 'headphones']) form.querySelector<HTMLInputElement>(`input[name="${name}"][value="yes"]`)!.checked = true;
    form.requestSubmit();
  });
  await page.waitForSelector('#check-in-form[hidden]', { timeout: 10_000 });
}

/** Calls an SDK method in the page, answering with its outcome or its error code. */
export function sdk(page: Page, method: string, ...args: unknown[]): Promise<{ ok: boolean; code?: string }> {
  return page.evaluate(
    async (name, params) => {
      const client = (window as unknown as { circle: { client: Record<string, unknown> } }).circle.client;
      try {
        await (client[name] as (...a: unknown[]) => Promise<unknown>).apply(client, params);
        return { ok: true };
      } catch (error) {
        return { ok: false, code: (error as { code?: string }).code };
      }
    },
    method,
    args,
  );
}

export const participantIdOf = (page: Page) =>
  page.evaluate(() => (window as unknown as { circle: { client: { self: { participantId: string } } } }).circle.client.self.participantId);

/** Bytes of one kind this page has received from one participant. */
/** The key holders' leaves a page lists and the epoch it is in (null without end-to-end encryption). */
/** Joins the web app on `page` with a join token, as a clinic's link does. */
export const enterWith = (page: Page, token: string, video: boolean): Promise<void> =>
  page.evaluate((t, v) => (window as unknown as { circle: { enter(t: string, o: object): Promise<void> } }).circle.enter(t, { video: v }), token, video);

export const keyGroupOf = (page: Page) =>
  page.evaluate(() => {
    const state = (window as unknown as { circle: { client: { encryption: { state: { epoch: bigint; members: { leaf: number }[] } | null } } } }).circle.client.encryption.state;
    return state && { epoch: String(state.epoch), leaves: state.members.map((member) => member.leaf) };
  });

export async function bytesFrom(page: Page, from: string, kind: 'audio' | 'video'): Promise<number> {
  return (await inboundStats(page))
    .filter((s) => s.participantId === from && s.kind === kind)
    .reduce((sum, s) => sum + s.bytesReceived, 0);
}

export const audioFrom = (page: Page, from: string) => bytesFrom(page, from, 'audio');

export async function inboundStats(page: Page): Promise<InboundStat[]> {
  return page.evaluate(() =>
    (window as unknown as { circle: { client: { inboundStats(): Promise<InboundStat[]> } } }).circle.client.inboundStats(),
  );
}

/** Bytes received per kind, summed over the remote streams of the page. */
export async function bytesByKind(page: Page): Promise<Record<'audio' | 'video', number>> {
  const totals = { audio: 0, video: 0 };
  for (const stat of await inboundStats(page)) totals[stat.kind] += stat.bytesReceived;
  return totals;
}

export async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
