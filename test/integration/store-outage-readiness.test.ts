import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCircle, sample, type RunningCircle } from '../../harness/circle.js';
import { RedisServer } from '../../harness/redis-server.js';
import { until } from '../helpers/until.js';

// A Redis outage against a real redis-server: it hits every pod at once, so it must not take them all out of the
// Service (and stall node drains behind the disruption budget): the node stays ready, and says the store is down in
// /readyz's checks and in circle_store_up; back when Redis is.
let redis: RedisServer;
let server: RunningCircle;
beforeAll(async () => {
  redis = await RedisServer.start();
  server = await startCircle({ store: { redisUrl: redis.url } });
});
afterAll(async () => {
  await server?.stop();
  await redis?.stop();
});

const readyz = async () => {
  const response = await fetch(`${server.adminUrl}/readyz`);
  return { status: response.status, checks: ((await response.json()) as { checks: { store: string } }).checks };
};
const storeUp = async () => sample(await (await fetch(`${server.adminUrl}/metrics`)).text(), 'circle_store_up', {});

it('stays ready through a Redis outage, showing the store down in its checks and metrics, and up again after', async () => {
  expect(await readyz()).toMatchObject({ status: 200, checks: { store: 'up' } });
  await redis.stop();
  await until(async () => (await storeUp()) === 0, 'the store seen down', 15_000);
  expect(await readyz()).toMatchObject({ status: 200, checks: { store: 'down' } });
  await redis.resume();
  await until(async () => (await storeUp()) === 1, 'the store back', 30_000);
  expect(await readyz()).toMatchObject({ status: 200, checks: { store: 'up' } });
});
