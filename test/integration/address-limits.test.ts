// Limits per client address and per node, against a real server and real sockets: connections open at once, joins
// per minute, rooms per node. A client behind a trusted proxy is told apart by the configured header.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCircle, type RunningCircle } from '../../harness/circle.js';
import { connect, devToken, TestClient } from '../../harness/signaling.js';

let server: RunningCircle;
const clients: TestClient[] = [];

beforeAll(async () => {
  server = await startCircle({
    // Two proxies in front: the load balancer (the test's own connection, 127.0.0.1) and one at 10.0.0.1 before it.
    signaling: { maxConnectionsPerIp: 3, joinsPerIpPerMinute: 4, trustedProxyHops: 2 },
    rooms: { maxRoomsPerNode: 2 },
  });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server?.stop();
});

/** A connection as if from `address` behind the trusted proxy; answers the code it was refused with, if it was. */
async function connectFrom(address: string, sentByClient = ''): Promise<{ client?: TestClient; refused?: string }> {
  try {
    const client = await new TestClient(server.url, { 'x-forwarded-for': `${sentByClient}${address}, 10.0.0.1` }).connected();
    clients.push(client);
    return { client };
  } catch (error) {
    return { refused: (error as { data?: { code: string } }).data?.code ?? String(error) };
  }
}

it('refuses a connection past maxConnectionsPerIp from one address, and lets another address in', async () => {
  const from = (address: string) => connectFrom(address);
  const first = await Promise.all([from('198.51.100.1'), from('198.51.100.1'), from('198.51.100.1')]);
  expect(first.every((c) => c.client)).toBe(true);
  expect((await from('198.51.100.1')).refused).toBe('RATE_LIMITED');
  expect((await from('198.51.100.2')).client).toBeDefined();
  // One closes: its address may open one again.
  first[0]!.client!.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect((await from('198.51.100.1')).client).toBeDefined();
});

it('reads the address the trusted proxies saw, whatever the client put before it; an IPv6 client counts by its /64', async () => {
  const forged = [];
  for (const chosen of ['1.1.1.1', '2.2.2.2', '3.3.3.3', '4.4.4.4']) forged.push(await connectFrom('198.51.100.9', `${chosen}, `));
  expect(forged.map((c) => c.refused ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED']);
  const rotating = [];
  for (const address of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff::3', '2001:db8:1:2::4']) rotating.push(await connectFrom(address));
  expect(rotating.map((c) => c.refused ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED']);
  expect((await connectFrom('2001:db8:1:3::1')).client).toBeDefined(); // another /64
  for (const c of [...forged, ...rotating]) c.client?.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
});

it('refuses joins past joinsPerIpPerMinute from one address', async () => {
  const client = await connect(server.url); // 127.0.0.1, with no proxy header
  clients.push(client);
  const answers = [];
  for (let i = 0; i < 5; i += 1) {
    const { token } = await devToken(server.url, { room: 'joins', name: `p${i}`, role: 'facilitator' });
    answers.push(await client.call('join', { token }));
    if (answers.at(-1)!.ok) await client.ok('leave', {});
  }
  expect(answers.map((a) => (a.ok ? 'ok' : a.error.code))).toEqual(['ok', 'ok', 'ok', 'ok', 'RATE_LIMITED']);
});

it('opens at most maxRoomsPerNode rooms; a join for one more is UNAVAILABLE', async () => {
  await new Promise((resolve) => setTimeout(resolve, 500)); // the room of the test before has closed, empty
  const answers = [];
  for (const [i, room] of ['cap-1', 'cap-2', 'cap-3'].entries()) {
    const { client } = await connectFrom(`203.0.113.${i + 1}`);
    const { token } = await devToken(server.url, { room, name: 'F', role: 'facilitator' });
    answers.push(await client!.call('join', { token }));
  }
  expect(answers.map((a) => (a.ok ? 'ok' : a.error.code))).toEqual(['ok', 'ok', 'UNAVAILABLE']);
  expect(server.circle.registry.get('cap-3')).toBeUndefined();
});
