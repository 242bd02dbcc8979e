import { expect, it } from 'vitest';
import { audioFrom, enterWith, joinFromDemo, keyGroupOf, participantIdOf, sdk, waitUntil } from '../../harness/browser.js';
import { devToken } from '../../harness/signaling.js';
import { heardAfter, heardTones, installEar } from '../../harness/tones.js';
import { browserSuite } from '../helpers/fixtures.js';

const suite = browserSuite({ rooms: { requireAdmission: false }, sessions: { resumeGraceMs: 15_000 } });
const FLO = 520;
const GIL = 880;

it('a dropped connection resumes by itself into the same seat, and the others never see a leave, and hear it again', async () => {
  const facilitator = await joinFromDemo(suite.browser, suite.server.url, 'resume-e2e', 'Flo', 'facilitator', { video: false, toneHz: FLO });
  const client = await joinFromDemo(suite.browser, suite.server.url, 'resume-e2e', 'Gil', 'client', { video: false, toneHz: GIL });
  const gil = await participantIdOf(client);
  await installEar(facilitator, [FLO, GIL]);
  await waitUntil(async () => (await heardTones(facilitator)).includes(GIL), 15_000, 'Flo hearing Gil');
  // With end-to-end encryption, the group as both pages hold it: a resume neither leaves it nor rejoins it.
  const groupBefore = await keyGroupOf(facilitator);
  if (process.env.CIRCLE_TEST_E2EE === 'required') expect(groupBefore?.leaves).toHaveLength(2);

  // Record what the facilitator's page is told about Gil from now on.
  await facilitator.evaluate(() => {
    const w = window as unknown as { circle: { client: { on(e: string, f: (p: unknown) => void): void } }; seen: string[] };
    w.seen = [];
    w.circle.client.on('peerLeft', () => w.seen.push('left'));
    w.circle.client.on('peerUpdated', (p) => w.seen.push((p as { connection: string }).connection));
  });
  // The network drops under Gil's page: the transport closes with no goodbye.
  await client.evaluate(() => {
    // The SDK's connection part holds the socket (a test reaches into it; nothing else should).
    const sdk = (window as unknown as { circle: { client: { connection: { socket: { io: { engine: { close(): void } } } } } } }).circle.client;
    sdk.connection.socket.io.engine.close();
  });
  const dropped = Date.now();
  await waitUntil(
    () => facilitator.evaluate(() => document.querySelector('#tiles')?.textContent?.includes('Gil · reconnecting…') ?? false),
    5000,
    'the facilitator to see Gil reconnecting',
  );
  const resumed = await audioFrom(facilitator, gil);
  await waitUntil(async () => (await audioFrom(facilitator, gil)) > resumed, 15_000, "Gil's audio after the reconnect");
  const seconds = (Date.now() - dropped) / 1000;
  // Heard, not only received: with encryption, the frames after the resume open under the same keys.
  await waitUntil(async () => (await heardTones(facilitator)).includes(GIL), 5000, 'Flo hearing Gil after the reconnect');
  expect(await keyGroupOf(facilitator)).toEqual(groupBefore);
  expect(await keyGroupOf(client)).toEqual(groupBefore);

  expect(await participantIdOf(client)).toBe(gil);
  expect(await client.evaluate(() => (window as unknown as { circle: { client: { state: string } } }).circle.client.state)).toBe('joined');
  const seen = await facilitator.evaluate(() => (window as unknown as { seen: string[] }).seen);
  expect(seen).not.toContain('left');
  expect(seen).toContain('reconnecting');
  expect(seen.at(-1)).toBe('connected');
  expect(seconds).toBeLessThan(10);
});

it('a page reloaded with the clinic’s link comes back into its seat: no leave seen, each heard again; with encryption it asks itself back in, once', async () => {
  const facilitator = await joinFromDemo(suite.browser, suite.server.url, 'reload-e2e', 'Flo', 'facilitator', { video: false, toneHz: FLO });
  const link = await devToken(suite.server.url, { room: 'reload-e2e', name: 'Gil', role: 'client' });
  const client = await joinFromDemo(suite.browser, suite.server.url, 'reload-e2e', 'Gil', 'client', { video: false, toneHz: GIL, token: link.token });
  await installEar(facilitator, [FLO, GIL]);
  await waitUntil(async () => (await heardTones(facilitator)).includes(GIL), 15_000, 'Flo hearing Gil');
  const groupBefore = await keyGroupOf(facilitator);
  await facilitator.evaluate(() => {
    const w = window as unknown as { circle: { client: { on(e: string, f: (p: unknown) => void): void } }; seen: string[] };
    w.seen = [];
    w.circle.client.on('peerLeft', () => w.seen.push('left'));
  });

  // The page is gone with everything it held (its keys too) and comes back from the same link.
  const reloaded = Date.now();
  await client.reload({ waitUntil: 'load' });
  await enterWith(client, link.token, false);
  await installEar(client, [FLO, GIL]);
  await waitUntil(async () => (await heardAfter(facilitator, GIL, reloaded)) !== undefined && (await heardTones(client)).includes(FLO), 15_000, 'Flo and Gil hearing each other after the reload');
  console.log(`reloaded page heard again after ${(await heardAfter(facilitator, GIL, reloaded))! - reloaded} ms`);

  expect(await participantIdOf(client)).toBe(link.participantId);
  expect(await facilitator.evaluate(() => (window as unknown as { seen: string[] }).seen)).not.toContain('left');
  if (process.env.CIRCLE_TEST_E2EE === 'required') {
    // The reloaded page's new leaf replaced its old one in one epoch: the group still holds two, and both agree.
    const groupAfter = await keyGroupOf(facilitator);
    expect(BigInt(groupAfter!.epoch)).toBeGreaterThan(BigInt(groupBefore!.epoch));
    expect(groupAfter!.leaves).toHaveLength(2);
    expect(await keyGroupOf(client)).toEqual(groupAfter);
  }
});

it('an ICE restart keeps the media flowing on the same transports', async () => {
  const facilitator = await joinFromDemo(suite.browser, suite.server.url, 'ice-e2e', 'Fern', 'facilitator', { video: false });
  const client = await joinFromDemo(suite.browser, suite.server.url, 'ice-e2e', 'Hugo', 'client', { video: false });
  const hugo = await participantIdOf(client);
  await waitUntil(async () => (await audioFrom(facilitator, hugo)) > 0, 15_000, "Hugo's audio");
  const transportIds = () =>
    client.evaluate(() => {
      const sdk = (window as unknown as { circle: { client: { transports: Record<'send' | 'recv', { id: string }> } } }).circle.client;
      return [sdk.transports.send.id, sdk.transports.recv.id];
    });
  const transports = await transportIds();
  const room = suite.server.circle.registry.get('ice-e2e')!;
  const before = room.participants.get(hugo)!.media;
  expect(await sdk(client, 'restartIce')).toEqual({ ok: true });
  const after = await audioFrom(facilitator, hugo);
  await waitUntil(async () => (await audioFrom(facilitator, hugo)) > after + 2000, 5000, 'audio after the ICE restart');
  expect(await transportIds()).toEqual(transports); // the same transports, restarted in place
  expect(room.participants.get(hugo)!.media).toBe(before);
});
