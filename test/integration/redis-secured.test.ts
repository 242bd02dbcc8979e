// Redis as production runs it: a password (AUTH) and TLS only, with a certificate from the operator's own CA. Circle
// connects with rediss://, the password kept apart from the URL, and the CA file; without any of them it does not
// become ready and opens no room. And a stored resume identity lives no longer than the resume grace.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createClient } from 'redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitUntil } from '../../harness/browser.js';
import { startCircle, type RunningCircle } from '../../harness/circle.js';
import { connect, devToken, type TestClient } from '../../harness/signaling.js';
import { PrivacyKeys } from '../../src/privacy/privacy-keys.js';
import { makeTestCertificates, type TestCertificates } from '../../harness/certificates.js';
import { RedisServer } from '../../harness/redis-server.js';

const PASSWORD = 'a-redis-password-from-a-kubernetes-secret';
const GRACE_MS = 3000;
let certificates: TestCertificates;
let redis: RedisServer;
let server: RunningCircle;
let raw: ReturnType<typeof createClient>;
const clients: TestClient[] = [];
const nodes: RunningCircle[] = [];

const ready = async (node: RunningCircle) => (await fetch(`${node.adminUrl}/readyz`)).status === 200;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  certificates = makeTestCertificates();
  redis = await RedisServer.start({ password: PASSWORD, tls: certificates });
  raw = createClient({ url: redis.url, password: PASSWORD, socket: { tls: true, ca: readFileSync(certificates.caFile) } });
  await raw.connect();
  server = await startCircle({
    store: { redisUrl: redis.url, redisPassword: PASSWORD, redisTlsCaFile: certificates.caFile },
    sessions: { resumeGraceMs: GRACE_MS },
  });
  await waitUntil(() => ready(server), 10_000, 'the node ready over TLS');
});
afterAll(async () => {
  for (const client of clients) client.close();
  for (const node of [server, ...nodes]) await node?.stop();
  await raw?.quit();
  await redis?.stop();
});

async function join(node: RunningCircle, room: string, participantId: string, role = 'facilitator') {
  const { token } = await devToken(node.url, { room, name: participantId, participantId, role });
  const client = await connect(node.url);
  clients.push(client);
  return { client, result: await client.call<{ resumeToken: string }>('join', { token }) };
}

it('runs rooms on a Redis that requires a password and TLS, and writes their state there', async () => {
  const { result } = await join(server, 'secured', 'lead');
  expect(result).toMatchObject({ ok: true });
  const keys = new PrivacyKeys(server.circle.config.privacy.secret);
  await waitUntil(async () => (await raw.get(keys.storeKeyName('circle:room:secured:state'))) !== null, 5000, 'the room state in Redis');
  expect(await raw.get(keys.storeKeyName('circle:room:secured:owner'))).toContain(server.circle.directory.self.nodeId);
});

it('without the password, with a wrong one, without the CA, or in plaintext: never ready, no room opened', async () => {
  const wrong = [
    { redisUrl: redis.url, redisPassword: '', redisTlsCaFile: certificates.caFile },
    { redisUrl: redis.url, redisPassword: 'guessed', redisTlsCaFile: certificates.caFile },
    { redisUrl: redis.url, redisPassword: PASSWORD, redisTlsCaFile: '' }, // the system's CAs do not know the test CA
    { redisUrl: redis.url.replace('rediss:', 'redis:'), redisPassword: PASSWORD, redisTlsCaFile: '' },
  ];
  for (const store of wrong) nodes.push(await startCircle({ store }));
  await sleep(3000);
  for (const [index, node] of nodes.entries()) {
    expect(await ready(node), `configuration ${index} ready`).toBe(false);
    const { result } = await join(node, `never-${index}`, 'lead');
    expect(result).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect(node.circle.registry.get(`never-${index}`)).toBeUndefined();
  }
});

it('a stored resume identity is renewed while connected, and lasts exactly the grace once the connection drops', async () => {
  const { client, result } = await join(server, 'lifetime', 'client-1', 'client');
  if (!result.ok) throw new Error('join refused');
  const keys = new PrivacyKeys(server.circle.config.privacy.secret);
  const key = keys.storeKeyName(`circle:resume:${createHash('sha256').update(result.data.resumeToken).digest('base64url')}`);
  await waitUntil(async () => (await raw.pTTL(key)) > 0, 2000, 'the identity stored');
  expect(await raw.pTTL(key)).toBeLessThanOrEqual(GRACE_MS);
  await sleep(GRACE_MS * 1.5); // longer than one grace: still there, renewed
  expect(await raw.pTTL(key)).toBeGreaterThan(0);
  expect(await raw.pTTL(key)).toBeLessThanOrEqual(GRACE_MS);

  client.close(); // the connection drops without a goodbye
  await waitUntil(async () => server.circle.registry.get('lifetime')?.participants.get('client-1')?.connection === 'reconnecting', 2000, 'the seat held');
  const dropped = Date.now();
  await waitUntil(async () => (await raw.exists(key)) === 0, GRACE_MS + 1500, 'the identity gone from Redis');
  const lived = Date.now() - dropped;
  expect(lived).toBeGreaterThan(GRACE_MS * 0.8);
  expect(lived).toBeLessThanOrEqual(GRACE_MS + 1000);
  const late = await connect(server.url);
  clients.push(late);
  expect(await late.call('resume', { resumeToken: result.data.resumeToken })).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
});
