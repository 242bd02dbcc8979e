// What end-to-end encryption costs the pages, in Chromium through the web app, side by side with the same run
// without it (two servers, one encrypted):
// - join time: from a client page's join to it hearing the facilitator's tone (every frame sealed by her page and
//   opened by this one, once its keys are agreed), rounds alternating between the two servers;
// - epoch changes in a room of 15 (a facilitator, a client and 13 observers, who hold the keys too): from "admit"
//   (and "remove") to the last page in the new epoch.
//
//   npm run load:e2ee -- [--rounds 6] [--size 15]
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'puppeteer-core';
import { joinFromDemo, launchBrowser, participantIdOf, sdk, waitUntil } from '../harness/browser.js';
import { startCircle, type RunningCircle } from '../harness/circle.js';
import { heardTones, installEar, useToneMicrophone } from '../harness/tones.js';
import { machine, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '6' }, size: { type: 'string', default: '15' } } });
const ROUNDS = Number(values.rounds);
const SIZE = Number(values.size);
const FRAN = 440;
const CLIENT = 830;

/** A client page joining `room`: the time from its join to its ear hearing Fran's tone (ms). */
async function timedJoin(browser: Browser, server: RunningCircle, room: string, name: string): Promise<number> {
  const page = await browser.newPage({ type: 'window' });
  await useToneMicrophone(page, CLIENT);
  await page.goto(`${server.url}/?room=${room}`, { waitUntil: 'load' });
  await page.evaluate(() => localStorage.setItem('circle.noiseSuppression', 'off'));
  // The ear listens before the join: it hears the first frame that can be played.
  await installEar(page, [FRAN, CLIENT]);
  const startedAt = await page.evaluate(async (r, n) => {
    const started = Date.now();
    await (window as unknown as { circle: { join(a: string, b: string, c: string, m: object): Promise<void> } }).circle.join(r, n, 'client', { video: false });
    return started;
  }, room, name);
  await waitUntil(async () => (await heardTones(page)).includes(FRAN), 20_000, `${name} hearing Fran`);
  const heardAt = await page.evaluate((hz) => (window as unknown as { ear: { changes: { at: number; heard: number[] }[] } }).ear.changes.find((c) => c.heard.includes(hz))!.at, FRAN);
  await page.close();
  return heardAt - startedAt;
}

/** Every page records when it enters each epoch (Date.now()). */
const recordEpochs = (page: Page) =>
  page.evaluate(() => {
    const at: Record<string, number> = {};
    (window as unknown as { circle: { client: { encryption: { on(e: string, f: (s: { epoch: bigint } | null) => void): void } } } }).circle.client.encryption.on('changed', (state) => {
      if (state) at[String(state.epoch)] = Date.now();
    });
    Object.assign(window, { epochAt: at });
  });
const epochNow = (page: Page) => page.evaluate(() => String((window as unknown as { circle: { client: { encryption: { state: { epoch: bigint } | null } } } }).circle.client.encryption.state?.epoch ?? ''));
const enteredAt = (page: Page, epoch: string) => page.evaluate((e) => (window as unknown as { epochAt: Record<string, number> }).epochAt[e], epoch);

/** From `act` to the last of `pages` in the epoch after the current one (ms). */
async function epochChange(pages: Page[], act: () => Promise<unknown>): Promise<number> {
  const next = String(BigInt(await epochNow(pages[0]!)) + 1n);
  const started = Date.now();
  await act();
  await waitUntil(async () => (await Promise.all(pages.map(epochNow))).every((epoch) => epoch === next), 20_000, `every page in epoch ${next}`);
  return Math.max(...(await Promise.all(pages.map(async (page) => (await enteredAt(page, next)) ?? Infinity)))) - started;
}

const encrypted = await startCircle({ logging: { level: 'warn' }, e2ee: { mode: 'required' }, rooms: { requireAdmission: false } });
const plain = await startCircle({ logging: { level: 'warn' }, rooms: { requireAdmission: false } });
// The epoch room: clients wait to be admitted, so admission is what adds them.
const gated = await startCircle({ logging: { level: 'warn' }, e2ee: { mode: 'required' } });
const chromium = await launchBrowser();
const join: Record<'plain' | 'encrypted', number[]> = { plain: [], encrypted: [] };
const epochs: { admit: number[]; remove: number[] } = { admit: [], remove: [] };
try {
  for (const [mode, server] of [['plain', plain], ['encrypted', encrypted]] as const) {
    await joinFromDemo(chromium.browser, server.url, `join-${mode}`, 'Fran', 'facilitator', { video: false, toneHz: FRAN });
  }
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [mode, server] of [['plain', plain], ['encrypted', encrypted]] as const) {
      join[mode].push(await timedJoin(chromium.browser, server, `join-${mode}`, `Client ${round}`));
      console.log(`join ${mode}: ${join[mode].at(-1)} ms`);
    }
  }
  for (const page of await chromium.browser.pages()) await page.close();

  // A room of SIZE: the facilitator, SIZE - 2 observers, then a client admitted from the waiting room and removed.
  const room = 'epochs';
  const members = [await joinFromDemo(chromium.browser, gated.url, room, 'Fran', 'facilitator', { video: false })];
  for (let i = 0; i < SIZE - 2; i += 1) members.push(await joinFromDemo(chromium.browser, gated.url, room, `Observer ${i + 1}`, 'observer', { video: false }));
  const holders = (page: Page) => page.evaluate(() => (window as unknown as { circle: { client: { encryption: { state: { members: unknown[] } | null } } } }).circle.client.encryption.state?.members.length ?? 0);
  await waitUntil(async () => (await Promise.all(members.map(holders))).every((n) => n === SIZE - 1), 60_000, 'the observers in');
  for (const page of members) await recordEpochs(page);
  for (let round = 0; round < ROUNDS; round += 1) {
    const client = await chromium.browser.newPage({ type: 'window' });
    await client.goto(`${gated.url}/?room=${room}`, { waitUntil: 'load' });
    await recordEpochs(client);
    // Into the waiting room, outside the group.
    await client.evaluate((r) => (window as unknown as { circle: { join(a: string, b: string, c: string, m: object): Promise<void> } }).circle.join(r, 'Ana', 'client', { video: false }), room);
    const ana = await participantIdOf(client);
    epochs.admit.push(await epochChange([...members, client], () => sdk(members[0]!, 'admit', ana)));
    epochs.remove.push(await epochChange(members, () => sdk(members[0]!, 'remove', ana)));
    console.log(`room of ${SIZE}: admit ${epochs.admit.at(-1)} ms, remove ${epochs.remove.at(-1)} ms`);
    await client.close();
  }
} finally {
  await chromium.close();
  await encrypted.stop();
  await plain.stop();
  await gated.stop();
}
const result = { scenario: 'e2ee-pages', machine: machine(), rounds: ROUNDS, size: SIZE, joinMs: { plain: summarize(join.plain), encrypted: summarize(join.encrypted) }, epochMs: { admit: summarize(epochs.admit), remove: summarize(epochs.remove) } };
const f = (s: { median: number; p99: number }) => `${s.median} (p99 ${s.p99})`;
console.log(
  writeResult(
    'e2ee-pages',
    result,
    `# End-to-end encryption in the pages

${ROUNDS} rounds, Chromium through the web app, ms, median (p99):
- join to hearing the facilitator: plain ${f(result.joinMs.plain)}, encrypted ${f(result.joinMs.encrypted)}
- a room of ${SIZE} (${SIZE - 2} of them observers), from the action to the last page in the new epoch: admit ${f(result.epochMs.admit)}, remove ${f(result.epochMs.remove)}
`,
  ),
);
process.exit(0);
