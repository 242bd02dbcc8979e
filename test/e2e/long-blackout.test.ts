import { expect, it } from 'vitest';
import { joinFromDemo, participantIdOf, sdk, waitUntil } from '../../harness/browser.js';
import { weakLinkSuite } from '../helpers/fixtures.js';
import { transportUfrags } from '../../harness/weak-link.js';

const GRACE_MS = 3000;
const suite = weakLinkSuite({ sessions: { resumeGraceMs: GRACE_MS } });

it('a blackout longer than the grace period releases the seat cleanly; the client comes back through the lobby', async () => {
  const facilitator = await joinFromDemo(suite.browser, suite.server.url, 'long-blackout', 'Flor', 'facilitator', { video: false });
  const client = await joinFromDemo(suite.browser, suite.proxiedUrl, 'long-blackout', 'Sol', 'client', { video: false });
  const sol = await participantIdOf(client);
  expect(await sdk(facilitator, 'admit', sol)).toEqual({ ok: true });
  expect(await sdk(client, 'raiseHand')).toEqual({ ok: true });
  const room = suite.server.circle.registry.get('long-blackout')!;

  await suite.relay.impair(transportUfrags(room, sol), 'both', { blackout: true });
  suite.proxy.setBlackout(true);
  await waitUntil(
    () => facilitator.evaluate(() => document.querySelector('#tiles')?.textContent?.includes('Sol · reconnecting…') ?? false),
    5000,
    'Sol reconnecting',
  );
  // Past the grace: the seat is released cleanly, the hand comes down, the others see a leave.
  await waitUntil(async () => !room.participants.has(sol), GRACE_MS + 3000, 'the seat to be released');
  expect(room.floor.view().queue).toEqual([]);
  await waitUntil(
    () => facilitator.evaluate(() => !document.querySelector('#tiles')?.textContent?.includes('Sol')),
    3000,
    "Sol's tile to go",
  );

  await suite.relay.reset();
  suite.proxy.setBlackout(false);
  await waitUntil(
    () => client.evaluate(() => (window as unknown as { circle: { client: { state: string } } }).circle.client.state === 'waiting'),
    // Not a latency bound (the blackout test has that): the SDK's rejoin backoff under a busy CI machine.
    20_000,
    'Sol back in the waiting room',
  );
  expect(await participantIdOf(client)).toBe(sol);
  await waitUntil(
    () => facilitator.evaluate(() => document.querySelector('#lobby-list')?.textContent?.includes('Sol') ?? false),
    5000,
    'Sol in the facilitator’s waiting-room list',
  );
});
