import { createClient } from 'redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'puppeteer-core';
import { audioFrom, bytesFrom, joinFromDemo, launchBrowser, participantIdOf, sdk, waitUntil } from '../../harness/browser.js';
import { startCircle, type RunningCircle } from '../../harness/circle.js';
import { RedisServer } from '../../harness/redis-server.js';
import { PrivacyKeys } from '../../src/privacy/privacy-keys.js';
import { connect, devToken } from '../../harness/signaling.js';

let redis: RedisServer;
let nodeA: RunningCircle;
let nodeB: RunningCircle;
let chromium: Awaited<ReturnType<typeof launchBrowser>>;
let browser: Browser;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ready = async (node: RunningCircle) => (await fetch(`${node.adminUrl}/readyz`)).status === 200;
/** What a node's /readyz says of the store. */
const storeCheck = async (node: RunningCircle) => ((await (await fetch(`${node.adminUrl}/readyz`)).json()) as { checks: { store: string } }).checks.store;

beforeAll(async () => {
  redis = await RedisServer.start();
  const shared = { store: { redisUrl: redis.url, snapshotIntervalMs: 100 }, cluster: { leaseMs: 3000 } };
  nodeA = await startCircle(shared);
  // B may send clients (and its web app may connect) to A, and to nowhere else.
  nodeB = await startCircle({ ...shared, cluster: { ...shared.cluster, allowedOrigins: [nodeA.url] } });
  for (const node of [nodeA, nodeB]) await waitUntil(() => ready(node), 10_000, 'the node to be ready');
  chromium = await launchBrowser();
  browser = chromium.browser;
});
afterAll(async () => {
  await chromium?.close();
  await nodeA?.stop();
  await nodeB?.stop();
  await redis?.stop();
});

it('a client whose page and join reach node B is routed to node A, which runs the room; media flows both ways', async () => {
  const facilitator = await joinFromDemo(browser, nodeA.url, 'routed', 'Fay', 'facilitator');
  const client = await joinFromDemo(browser, nodeB.url, 'routed', 'Gus', 'client');
  const gus = await participantIdOf(client);
  const fay = await participantIdOf(facilitator);
  expect(nodeA.circle.registry.get('routed')!.participants.has(gus)).toBe(true);
  expect(nodeB.circle.registry.get('routed')).toBeUndefined();
  expect(await sdk(facilitator, 'admit', gus)).toEqual({ ok: true });
  for (const [page, from] of [[facilitator, gus], [client, fay]] as const) {
    for (const kind of ['audio', 'video'] as const) {
      await waitUntil(async () => (await bytesFrom(page, from, kind)) > 0, 20_000, `${kind} through node A`);
    }
  }
  await facilitator.close();
  await client.close();
});

it('Redis down for 20 s: the running room keeps its media and its moderation, the node stays ready saying the store is down, nothing is lost', async () => {
  const facilitator = await joinFromDemo(browser, nodeA.url, 'outage', 'Hal', 'facilitator', { video: false });
  const client = await joinFromDemo(browser, nodeA.url, 'outage', 'Ida', 'client', { video: false });
  const ida = await participantIdOf(client);
  expect(await sdk(facilitator, 'admit', ida)).toEqual({ ok: true });
  await waitUntil(async () => (await audioFrom(facilitator, ida)) > 0, 15_000, "Ida's audio");

  await redis.stop();
  // Every pod sees the outage at once: they stay ready (in the Service, drains not blocked) and say the store is down.
  await waitUntil(async () => (await storeCheck(nodeA)) === 'down', 5000, 'the store seen down');
  expect(await ready(nodeA)).toBe(true);
  const heard = await audioFrom(facilitator, ida);
  // A room on no node cannot be claimed without the directory: a clear UNAVAILABLE, nothing half-done.
  const elsewhere = await connect(nodeB.url);
  const { token } = await devToken(nodeB.url, { room: 'somewhere-else', name: 'Jo', role: 'facilitator' });
  expect(await elsewhere.call('join', { token })).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
  elsewhere.close();
  // The room runs on: a hand goes up, a mute is applied, media flows.
  expect(await sdk(client, 'raiseHand')).toEqual({ ok: true });
  expect(await sdk(facilitator, 'stopVideo', ida)).toEqual({ ok: true });
  await sleep(20_000);
  expect(await audioFrom(facilitator, ida)).toBeGreaterThan(heard);

  await redis.resume();
  await waitUntil(async () => (await storeCheck(nodeA)) === 'up', 10_000, 'the store back');
  // What changed during the outage reached the (restarted, empty) Redis: the state, the lease, the resume tokens.
  const reader = createClient({ url: redis.url });
  await reader.connect();
  // The store holds keyed names and sealed values; the test opens them as a node would.
  const keys = new PrivacyKeys(nodeA.circle.config.privacy.secret);
  const read = async (key: string) => {
    const stored = await reader.get(keys.storeKeyName(key));
    return stored === null ? undefined : keys.open(stored, key, key);
  };
  try {
    await waitUntil(async () => Boolean(await read('circle:room:outage:state')), 5000, 'the room state written again');
    const state = JSON.parse((await read('circle:room:outage:state'))!) as {
      record: { floor: { queue: { participantId: string }[] } };
      seats: [string, { locks: { video: boolean } }][];
    };
    expect(state.record.floor.queue.map((h) => h.participantId)).toEqual([ida]);
    expect(new Map(state.seats).get(ida)?.locks.video).toBe(true);
    await waitUntil(async () => Boolean(await read('circle:room:outage:owner')), 5000, 'the lease renewed');
    expect(JSON.parse((await read('circle:room:outage:owner'))!)).toMatchObject({ nodeId: nodeA.circle.directory.self.nodeId });
    // Beside the state and the lease: the two participants' resume identities.
    await waitUntil(async () => (await reader.keys('circle:*')).length >= 4, 5000, 'the resume identities written again');
  } finally {
    await reader.disconnect();
  }
  await facilitator.close();
  await client.close();
});
