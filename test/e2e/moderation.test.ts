import { expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { browserSuite } from '../helpers/fixtures.js';
import { audioFrom, bytesFrom, inboundStats, joinFromDemo, participantIdOf, sdk, waitUntil } from '../../harness/browser.js';
import { devToken } from '../../harness/signaling.js';

const suite = browserSuite();

type Circle = { client: { state: string; peers: Map<string, unknown> } };

const participantId = participantIdOf;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Whether what `read` counts (bytes received, say) grows over `ms`. */
async function growing(read: () => Promise<number>, ms = 2000): Promise<boolean> {
  const before = await read();
  await sleep(ms);
  return (await read()) > before;
}

async function admitFromPanel(facilitator: Page, waitingName: string): Promise<void> {
  await waitUntil(
    () => facilitator.evaluate((name) => document.querySelector('#lobby-list')?.textContent?.includes(name) ?? false, waitingName),
    10_000,
    `${waitingName} in the facilitator's waiting room list`,
  );
  // The facilitator clicks Admit in the lobby list, as a person would.
  await facilitator.evaluate((name) => {
    for (const item of document.querySelectorAll('#lobby-list li')) {
      if (item.textContent?.includes(name)) (item.querySelector('button') as HTMLButtonElement).click();
    }
  }, waitingName);
}

/** A facilitator, then Ana and Ben admitted from the panel, each with camera and microphone; their pages and ids. */
async function groupOfThree(room: string) {
  const facilitator = await joinFromDemo(suite.browser, suite.server.url, room, 'Fern', 'facilitator');
  const ana = await joinFromDemo(suite.browser, suite.server.url, room, 'Ana', 'client');
  await admitFromPanel(facilitator, 'Ana');
  const ben = await joinFromDemo(suite.browser, suite.server.url, room, 'Ben', 'client');
  await admitFromPanel(facilitator, 'Ben');
  const ids = { fern: await participantId(facilitator), ana: await participantId(ana), ben: await participantId(ben) };
  return { facilitator, ana, ben, ids };
}

it('a waiting client receives nothing; once admitted, media flows both ways', async () => {
  const facilitator = await joinFromDemo(suite.browser, suite.server.url, 'lobby-e2e', 'Faith', 'facilitator');
  const waiting = await joinFromDemo(suite.browser, suite.server.url, 'lobby-e2e', 'Wendy', 'client');

  expect(await waiting.evaluate(() => (window as unknown as { circle: Circle }).circle.client.state)).toBe('waiting');
  expect(await waiting.evaluate(() => document.querySelector('#status')?.textContent)).toMatch(/waiting room/);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  expect(await inboundStats(waiting)).toEqual([]);
  expect(await waiting.evaluate(() => (window as unknown as { circle: Circle }).circle.client.peers.size)).toBe(0);
  expect(await inboundStats(facilitator)).toEqual([]);

  await admitFromPanel(facilitator, 'Wendy');
  const wendy = await participantId(waiting);
  const faith = await participantId(facilitator);
  const flowing = async (page: Page, from: string) =>
    (await inboundStats(page)).filter((s) => s.participantId === from && s.bytesReceived > 0).length === 2;
  await waitUntil(async () => (await flowing(waiting, faith)) && (await flowing(facilitator, wendy)), 15_000, 'media both ways');
  await waiting.close();
  await facilitator.close();
});

it('hard mute stops the audio at the SFU within 1 s; the client cannot undo it; after the ask it flows again', async () => {
  const facilitator = await joinFromDemo(suite.browser, suite.server.url, 'mute-e2e', 'Fatima', 'facilitator');
  const alice = await joinFromDemo(suite.browser, suite.server.url, 'mute-e2e', 'Alice', 'client');
  await admitFromPanel(facilitator, 'Alice');
  const bob = await joinFromDemo(suite.browser, suite.server.url, 'mute-e2e', 'Bob', 'client');
  await admitFromPanel(facilitator, 'Bob');
  const aliceId = await participantId(alice);

  await waitUntil(async () => (await audioFrom(bob, aliceId)) > 0 && (await audioFrom(facilitator, aliceId)) > 0, 15_000, "Alice's audio");

  expect(await sdk(facilitator, 'mute', aliceId)).toEqual({ ok: true });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const atOneSecond = [await audioFrom(bob, aliceId), await audioFrom(facilitator, aliceId)];
  await new Promise((resolve) => setTimeout(resolve, 2000));
  expect([await audioFrom(bob, aliceId), await audioFrom(facilitator, aliceId)]).toEqual(atOneSecond);

  expect(await sdk(alice, 'setMicrophoneEnabled', true)).toEqual({ ok: false, code: 'FORBIDDEN' });
  expect(await alice.evaluate(() => document.querySelector('#notice')?.textContent)).toMatch(/muted your microphone/);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(await audioFrom(bob, aliceId)).toBe(atOneSecond[0]);

  expect(await sdk(facilitator, 'askToUnmute', aliceId)).toEqual({ ok: true });
  await waitUntil(
    () => alice.evaluate(() => document.querySelector('#notice')?.textContent?.includes('invites you to unmute') ?? false),
    5000,
    'the invitation on Alice’s page',
  );
  // Still silent: asking is not unmuting. Alice answers the invitation herself.
  expect(await audioFrom(bob, aliceId)).toBe(atOneSecond[0]);
  await alice.evaluate(() => (document.querySelector('#notice button') as HTMLButtonElement).click());
  await waitUntil(async () => (await audioFrom(bob, aliceId)) > atOneSecond[0]!, 5000, 'audio after unmute');
  // The facilitator's panel shows what the SFU does: Alice's and Bob's microphones and cameras on.
  await waitUntil(
    () =>
      facilitator.evaluate(() =>
        [...document.querySelectorAll('#people-list > li')].every((li) => /mic on.*cam on/.test(li.textContent ?? '')),
      ),
    5000,
    'the panel to show everyone sending',
  );
  if (process.env.CIRCLE_SCREENSHOT) await facilitator.screenshot({ path: process.env.CIRCLE_SCREENSHOT, fullPage: true });
});

it('a hard-muted client who leaves and comes back with the same token waits shown as muted, and stays muted at the SFU after admission', async () => {
  const facilitator = await joinFromDemo(suite.browser, suite.server.url, 'escape-e2e', 'Fern', 'facilitator');
  const { token } = await devToken(suite.server.url, { room: 'escape-e2e', name: 'Maya', participantId: 'maya-escape', role: 'client' });
  const maya = await suite.browser.newPage();
  await maya.goto(`${suite.server.url}/?room=escape-e2e`, { waitUntil: 'load' });
  const enter = () => maya.evaluate((t) => (window as unknown as { circle: { enter(token: string): Promise<void> } }).circle.enter(t), token);
  await enter();
  await admitFromPanel(facilitator, 'Maya');
  await waitUntil(async () => (await audioFrom(facilitator, 'maya-escape')) > 0, 15_000, "Maya's audio at the facilitator");
  expect(await sdk(facilitator, 'mute', 'maya-escape')).toEqual({ ok: true });

  // Maya clicks Leave, and joins again with the very same token.
  await maya.evaluate(() => (document.querySelector('#leave') as HTMLButtonElement).click());
  const room = suite.server.circle.registry.get('escape-e2e')!;
  await waitUntil(async () => !room.participants.has('maya-escape'), 5000, 'Maya gone from the room');
  // As a person would: Join again once the page says she has left.
  await waitUntil(() => maya.evaluate(() => (window as unknown as { circle: Circle }).circle.client.state === 'left'), 5000, 'her page to have left');
  await enter();
  expect(await maya.evaluate(() => (window as unknown as { circle: Circle }).circle.client.state)).toBe('waiting');
  // The facilitator sees, before admitting, that she comes back muted.
  await waitUntil(
    () => facilitator.evaluate(() => /Maya.*muted by a facilitator/.test(document.querySelector('#lobby-list')?.textContent ?? '')),
    5000,
    'Maya shown as muted in the waiting room list',
  );
  await admitFromPanel(facilitator, 'Maya');
  await waitUntil(async () => room.participants.get('maya-escape')?.admitted === true, 5000, 'Maya admitted');

  // At the SFU: her microphone stays locked, no audio of hers reaches anyone, and she cannot undo it.
  const maya2 = room.participants.get('maya-escape')!;
  expect(maya2.locks.audio).toBe(true);
  const microphone = () => [...maya2.media.producers.values()].find((p) => p.kind === 'audio');
  await waitUntil(async () => microphone() !== undefined, 10_000, 'her microphone produced again');
  expect(microphone()!.paused).toBe(true);
  expect(await sdk(maya, 'setMicrophoneEnabled', true)).toEqual({ ok: false, code: 'FORBIDDEN' });
  const heard = await audioFrom(facilitator, 'maya-escape');
  await new Promise((resolve) => setTimeout(resolve, 3000));
  expect(await audioFrom(facilitator, 'maya-escape')).toBe(heard);
  expect(microphone()!.paused).toBe(true);
  // And the facilitator's panel says so.
  await waitUntil(
    () => facilitator.evaluate(() => [...document.querySelectorAll('#people-list > li')].some((li) => /Maya.*mic off \(facilitator\)/.test(li.textContent ?? ''))),
    5000,
    "Maya's microphone shown as off by a facilitator",
  );

  // Only the facilitator's ask, answered by Maya, lets her voice through again.
  expect(await sdk(facilitator, 'askToUnmute', 'maya-escape')).toEqual({ ok: true });
  await waitUntil(() => maya.evaluate(() => document.querySelector('#notice')?.textContent?.includes('invites you to unmute') ?? false), 5000, 'the invitation');
  await maya.evaluate(() => (document.querySelector('#notice button') as HTMLButtonElement).click());
  await waitUntil(async () => (await audioFrom(facilitator, 'maya-escape')) > heard, 10_000, "Maya's audio after she accepted");
  await maya.close();
  await facilitator.close();
});

it('focus mode from the staff panel: a client stops receiving the other client’s video and is told why, hears everyone still; the facilitator sees both; off brings it back', async () => {
  const { facilitator, ana, ben, ids } = await groupOfThree('focus-e2e');
  const video = (page: Page, from: string) => bytesFrom(page, from, 'video');
  await waitUntil(async () => (await video(ana, ids.ben)) > 0 && (await video(ana, ids.fern)) > 0 && (await video(facilitator, ids.ben)) > 0, 20_000, 'every video flowing');

  await facilitator.evaluate(() => (document.querySelector('#focus-mode') as HTMLInputElement).click());
  await waitUntil(() => ana.evaluate(() => !(document.querySelector('#focus-status') as HTMLElement).hidden), 5000, 'focus mode said on the client page');
  expect(await ana.$eval('#focus-status', (el) => el.textContent)).toContain('Focus mode: you see the facilitators');
  expect(await facilitator.$eval('#focus-status', (el) => el.textContent)).toContain('clients see only the staff');
  await sleep(500); // packets in flight
  expect(await growing(() => video(ana, ids.ben))).toBe(false);
  // What goes on flowing: the page's grid re-fits without Ben's tile, so Fern's video may switch layers (a key frame
  // from her encoder) before it grows again; within seconds, not at once, on a busy machine.
  const flowing = (read: () => Promise<number>, what: string) => waitUntil(() => growing(read, 1000), 10_000, what);
  await flowing(() => video(ana, ids.fern), 'Fern’s video at Ana');
  await flowing(() => audioFrom(ana, ids.ben), 'Ben heard by Ana');
  await flowing(() => video(facilitator, ids.ben), 'Ben’s video at the facilitator');
  await flowing(() => video(facilitator, ids.ana), 'Ana’s video at the facilitator');

  await facilitator.evaluate(() => (document.querySelector('#focus-mode') as HTMLInputElement).click());
  await waitUntil(() => ana.evaluate(() => (document.querySelector('#focus-status') as HTMLElement).hidden), 5000, 'focus mode off on the client page');
  await waitUntil(() => growing(() => video(ana, ids.ben), 500), 15_000, 'Ben’s video at Ana again');
  for (const page of [facilitator, ana, ben]) await page.close();
});

it('a break from the staff panel: every client page counts down and suggests stepping away, no client is heard, the facilitator is; at its end everyone is heard again with a chime', async () => {
  const { facilitator, ana, ben, ids } = await groupOfThree('break-e2e');
  await waitUntil(async () => (await audioFrom(ben, ids.ana)) > 0 && (await audioFrom(ana, ids.fern)) > 0, 20_000, 'everyone heard');
  // Every oscillator Ana's page starts from here on is the app's chime.
  await ana.evaluate(() => {
    const w = window as unknown as { chimes: number };
    w.chimes = 0;
    const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function (this: OscillatorNode, ...args: [number?]) {
      w.chimes += 1;
      return start.apply(this, args);
    };
  });

  await facilitator.evaluate(() => (document.querySelector('#break-10') as HTMLButtonElement).click());
  await waitUntil(() => ana.evaluate(() => !(document.querySelector('#break-banner') as HTMLElement).hidden), 5000, 'the break on Ana’s page');
  expect(await ana.$eval('#break-banner', (el) => el.textContent)).toMatch(/Break: (10:00|9:5\d) left\. A good moment to step away from the screen/);
  expect(await facilitator.$eval('#break-banner', (el) => el.textContent)).toContain("Clients' microphones and cameras are paused");
  await sleep(500);
  expect(await growing(() => audioFrom(ben, ids.ana))).toBe(false);
  expect(await growing(() => audioFrom(facilitator, ids.ben))).toBe(false);
  expect(await growing(() => audioFrom(ana, ids.fern))).toBe(true);
  // A client may turn their microphone off during a break, not on: that stays theirs after it.
  expect(await sdk(ben, 'setMicrophoneEnabled', false)).toEqual({ ok: true });
  expect(await sdk(ben, 'setMicrophoneEnabled', true)).toEqual({ ok: false, code: 'FORBIDDEN' });

  await facilitator.evaluate(() => (document.querySelector('#end-break') as HTMLButtonElement).click());
  await waitUntil(() => ana.evaluate(() => (document.querySelector('#break-banner') as HTMLElement).hidden), 5000, 'the break over on Ana’s page');
  await waitUntil(() => growing(() => audioFrom(ben, ids.ana), 500), 10_000, 'Ana heard again');
  expect(await ana.evaluate(() => (window as unknown as { chimes: number }).chimes)).toBe(2); // two notes
  for (const page of [facilitator, ana, ben]) await page.close();
});
