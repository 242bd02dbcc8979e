// A side room in Chromium, heard as a person would hear it: each page's microphone is a tone of its own frequency,
// and each page's ear tells which tones reach it. The facilitator clicks "Talk privately" on a client in a group of
// five; within 300 ms the two hear only each other and the three others only themselves (encrypted, within 600 ms: the
// two hear each other once their side room's own keys are agreed). The co-facilitator runs
// the group meanwhile; "End private room" brings everyone together again, on the transports they had from the start.
// Then "Send back to the group" on the one client in a side room: the facilitator is not left behind in it.
import { afterAll, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { joinFromDemo, participantIdOf, sdk, waitUntil } from '../../harness/browser.js';
import { changesSince, settledOn, heardTones, installEar } from '../../harness/tones.js';
import { browserSuite } from '../helpers/fixtures.js';

// The second test goes on with the first one's pages.
const suite = browserSuite({ rooms: { requireAdmission: false } }, { pagesLast: 'file' });
const TONES = { Fran: 440, Cole: 620, Ana: 830, Ben: 1050, Carl: 1290 } as const;
type Name = keyof typeof TONES;
const NAMES = Object.keys(TONES) as Name[];
const ROLES: Record<Name, string> = { Fran: 'facilitator', Cole: 'cofacilitator', Ana: 'client', Ben: 'client', Carl: 'client' };
const pages = {} as Record<Name, Page>;
const ENCRYPTED = process.env.CIRCLE_TEST_E2EE === 'required';
afterAll(async () => {
  for (const page of Object.values(pages)) await page.close().catch(() => undefined);
});

/** Who each page should hear: everyone in `spaces` who shares its space, minus the silenced. */
function expectedHearing(spaces: Name[][], silenced: Name[] = []): Record<Name, number[]> {
  const spaceOf = (name: Name) => spaces.findIndex((space) => space.includes(name));
  return Object.fromEntries(
    NAMES.map((name) => [name, NAMES.filter((o) => o !== name && spaceOf(o) === spaceOf(name) && !silenced.includes(o)).map((o) => TONES[o]).sort()]),
  ) as Record<Name, number[]>;
}

async function hearingNow(): Promise<Record<Name, number[]>> {
  const heard = await Promise.all(NAMES.map(async (name) => [name, (await heardTones(pages[name])).sort()] as const));
  return Object.fromEntries(heard) as Record<Name, number[]>;
}

async function hearingBecomes(expected: Record<Name, number[]>, timeoutMs: number, what: string): Promise<void> {
  await waitUntil(async () => JSON.stringify(await hearingNow()) === JSON.stringify(expected), timeoutMs, what).catch(async (error) => {
    console.log('heard:', JSON.stringify(await hearingNow()), 'expected:', JSON.stringify(expected));
    throw error;
  });
}

const click = (page: Page, rowText: string, label: string, list = '#people-list > li') =>
  page.evaluate(
    (selector, row, text) => {
      const item = [...document.querySelectorAll(selector)].find((li) => li.textContent?.startsWith(row));
      const target = [...(item?.querySelectorAll('button') ?? [])].find((b) => b.textContent === text);
      if (!target) throw new Error(`no "${text}" for ${row}`);
      // The moment of the click, on the page: the facilitator's action, not when the test's request reached the page.
      const clickedAt = Date.now();
      target.click();
      return clickedAt;
    },
    list,
    rowText,
    label,
  );

const text = (page: Page, selector: string) => page.evaluate((s) => document.querySelector(s)?.textContent ?? '', selector);
/** The SDK's transports, kept on the page the first time, then compared by identity and state. */
const sameTransports = (page: Page) =>
  page.evaluate(() => {
    const current = (window as unknown as { circle: { client: { transports: { send?: { connectionState: string }; recv: { connectionState: string } } } } }).circle.client.transports;
    const kept = ((window as unknown as { keptTransports?: typeof current }).keptTransports ??= current);
    return kept === current && kept.send === current.send && current.recv.connectionState === 'connected' && current.send?.connectionState === 'connected';
  });

it('Talk privately: within 300 ms the two hear only each other and the group only itself; the co-facilitator leads; End private room restores everyone on the same transports', async () => {
  for (const name of NAMES) {
    pages[name] = await joinFromDemo(suite.browser, suite.server.url, 'side-e2e', name, ROLES[name], { video: false, toneHz: TONES[name] });
  }
  const ids = Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, await participantIdOf(pages[n])] as const))) as Record<Name, string>;
  for (const name of NAMES) await installEar(pages[name], Object.values(TONES));
  await hearingBecomes(expectedHearing([NAMES]), 20_000, 'everyone hearing everyone');
  for (const name of NAMES) expect(await sameTransports(pages[name])).toBe(true);
  const room = suite.server.circle.registry.get('side-e2e')!;
  const serverTransports = () => NAMES.map((n) => ['send', 'recv'].map((d) => room.participant(ids[n])!.media.transport(d as 'send')!.id).join());
  const transportsBefore = serverTransports();

  // The facilitator clicks "Talk privately" on Ana.
  const clickedAt = await click(pages.Fran, 'Ana', 'Talk privately');
  const apart = expectedHearing([['Fran', 'Ana'], ['Cole', 'Ben', 'Carl']]);
  await hearingBecomes(apart, 5000, 'the side room and the group apart');
  const settledAt = await Promise.all(NAMES.map((name) => settledOn(pages[name], clickedAt, apart[name], TONES[name])));
  const msOf = (names: Name[]) => Math.max(...names.map((name) => (settledAt[NAMES.indexOf(name)] ?? Infinity) - clickedAt));
  const [groupMs, sideRoomMs] = [msOf(['Cole', 'Ben', 'Carl']), msOf(['Fran', 'Ana'])];
  console.log(`side room: the group heard only itself ${groupMs} ms after the click, the two in the side room each other ${sideRoomMs} ms (per page: ${settledAt.map((at) => (at ?? NaN) - clickedAt).join(', ')})`);
  if (Math.max(groupMs, sideRoomMs) >= 300) for (const name of NAMES) console.log(`  ${name} heard, ms after the click:`, JSON.stringify(await changesSince(pages[name], clickedAt)));
  // Soft: a slow move fails the test, yet it goes on and ends the private room, so the next test starts as it expects.
  // Encrypted, the side room is a circle of its own: the two stop sending the moment they are asked into it and hear
  // each other again once its keys are agreed (a key package each, a commit and a welcome, in the pages), and that
  // work shares this machine's two cores with all five pages: 600 ms (docs/benchmarks.md).
  const bound = ENCRYPTED ? 600 : 300;
  expect.soft(groupMs).toBeLessThan(bound);
  expect.soft(sideRoomMs).toBeLessThan(bound);

  // What each page says.
  await waitUntil(async () => (await text(pages.Ana, '#side-room-banner')).includes('You are in a private room with Fran'), 5000, 'Ana told she is in a private room');
  expect(await text(pages.Ben, `#peer-${ids.Ana} figcaption`)).toContain('stepped out');
  expect(await text(pages.Ben, `#peer-${ids.Fran} figcaption`)).toContain('stepped out');
  expect(await text(pages.Ben, '#side-room-banner')).toBe('');
  expect(await text(pages.Cole, '#side-room-banner')).toContain('Leading the group: you');
  expect(await text(pages.Cole, '#side-room-banner')).toMatch(/In a private room: (Fran, Ana|Ana, Fran)/);

  // The co-facilitator leads the group: a hard mute, then one speaker at a time with the floor to Carl. The side
  // room is an open conversation: Ana is still heard by Fran in a one-speaker room.
  expect(await sdk(pages.Cole, 'mute', ids.Ben)).toEqual({ ok: true });
  await hearingBecomes(expectedHearing([['Fran', 'Ana'], ['Cole', 'Ben', 'Carl']], ['Ben']), 3000, 'Ben muted in the group');
  expect(await sdk(pages.Cole, 'setFloorMode', 'queue')).toEqual({ ok: true });
  await hearingBecomes(expectedHearing([['Fran', 'Ana'], ['Cole', 'Ben', 'Carl']], ['Ben', 'Carl']), 3000, 'one speaker at a time in the group');
  expect(await sdk(pages.Cole, 'grantFloor', ids.Carl)).toEqual({ ok: true });
  await hearingBecomes(expectedHearing([['Fran', 'Ana'], ['Cole', 'Ben', 'Carl']], ['Ben']), 3000, 'Carl given the floor');

  // Back to the open conversation, Ben invited and unmuted; then "End private room".
  expect(await sdk(pages.Cole, 'setFloorMode', 'open')).toEqual({ ok: true });
  expect(await sdk(pages.Cole, 'askToUnmute', ids.Ben)).toEqual({ ok: true });
  expect(await sdk(pages.Ben, 'setMicrophoneEnabled', true)).toEqual({ ok: true });
  await hearingBecomes(apart, 3000, 'Ben heard again in the group');
  const closedAt = await click(pages.Fran, 'You are in a private room', 'End private room', '#side-room-banner');
  const together = expectedHearing([NAMES]);
  await hearingBecomes(together, 5000, 'everyone hearing everyone again');
  const rejoinedAt = await Promise.all(NAMES.map((name) => settledOn(pages[name], closedAt, together[name], TONES[name])));
  console.log(`side room closed: every page heard everyone ${Math.max(...rejoinedAt.map((at) => (at ?? Infinity) - closedAt))} ms after the click`);
  await waitUntil(async () => (await text(pages.Ana, '#side-room-banner')) === '', 5000, 'the banner gone');
  expect(await text(pages.Ben, `#peer-${ids.Ana} figcaption`)).not.toContain('stepped out');

  // The same transports throughout: the SDK's objects, still connected, and the same ids at the SFU.
  for (const name of NAMES) expect(await sameTransports(pages[name])).toBe(true);
  expect(serverTransports()).toEqual(transportsBefore);
}, 120_000);

it('"Send back to the group" on the only client in a side room: the client and the facilitator both return, no one left alone in it', async () => {
  // The pages of the test above, everyone in the group again.
  const ana = await participantIdOf(pages.Ana);
  await click(pages.Fran, 'Ana', 'Talk privately');
  await hearingBecomes(expectedHearing([['Fran', 'Ana'], ['Cole', 'Ben', 'Carl']]), 5000, 'Fran and Ana apart');
  await click(pages.Fran, 'Ana', 'Send back to the group');
  await hearingBecomes(expectedHearing([NAMES]), 5000, 'everyone hearing everyone again');
  await waitUntil(async () => (await text(pages.Fran, '#side-room-banner')) === '', 5000, 'the facilitator’s banner gone');
  expect(suite.server.circle.registry.get('side-e2e')!.participant(ana)!.sideRoomId).toBeNull();
  expect(await text(pages.Ben, `#peer-${ana} figcaption`)).not.toContain('stepped out');
}, 60_000);
