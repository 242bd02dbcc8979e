import { spawnSync } from 'node:child_process';
import { connect as connectTcp, type Socket } from 'node:net';
import { expect, it } from 'vitest';
import { startServerProcess } from '../../harness/process.js';
import { connect, devToken } from '../../harness/signaling.js';

it('stops at start-up on a bad configuration value, naming the key', () => {
  const result = spawnSync(process.execPath, ['dist/src/main.js'], {
    env: { PATH: process.env.PATH ?? '', CIRCLE_MEDIASOUP_NUM_WORKERS: 'many' },
    encoding: 'utf8',
    timeout: 10_000,
  });
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(/mediasoup\.numWorkers \(from CIRCLE_MEDIASOUP_NUM_WORKERS\)/);
});

it('on SIGTERM drains: not ready at once, no new rooms, participants told to reconnect at the deadline, exits 0', async () => {
  const server = await startServerProcess({ CIRCLE_SHUTDOWN_DRAIN_TIMEOUT_MS: '1500' });
  expect((await fetch(`${server.adminUrl}/readyz`)).status).toBe(200);

  const client = await connect(server.url);
  const { token } = await devToken(server.url, { room: 'closing-time', name: 'Ola', role: 'facilitator' });
  await client.ok('join', { token });
  const told = client.next<{ reason: string }>('reconnectRequired');

  server.child.kill('SIGTERM');
  const signalled = Date.now();
  while ((await fetch(`${server.adminUrl}/readyz`)).status === 200) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(Date.now() - signalled).toBeLessThan(1000);
  const late = await connect(server.url);
  const other = await devToken(server.url, { room: 'new-room', name: 'Pia', role: 'facilitator' });
  expect(await late.call('join', { token: other.token })).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
  late.close();
  // The room in progress carries on until the deadline.
  expect(await client.call('setFloorMode', { mode: 'queue' })).toEqual({ ok: true, data: {} });
  expect(await told).toEqual({ reason: 'server-shutdown' });
  expect(Date.now() - signalled).toBeGreaterThanOrEqual(1400);
  expect(await server.exited).toBe(0);
  expect(server.logs.some((entry) => entry.msg === 'shutting down' && entry.signal === 'SIGTERM')).toBe(true);
  client.close();
});

it('on SIGTERM exits at the deadline though connections hang on it: one that never sent a request, one that stopped mid-request', async () => {
  const server = await startServerProcess({ CIRCLE_SHUTDOWN_DRAIN_TIMEOUT_MS: '200' });
  const { port } = new URL(server.url);
  const open = async () => {
    const socket = connectTcp(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    return socket;
  };
  const silent = await open();
  const stalled = await open();
  stalled.write('GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: circle\r\n');
  const cut = (socket: Socket) => new Promise((resolve) => socket.once('close', resolve));
  const [silentCut, stalledCut] = [cut(silent), cut(stalled)];

  server.child.kill('SIGTERM');
  const signalled = Date.now();
  expect(await server.exited).toBe(0);
  // Node's header timeout is a minute: waiting on either connection would take that long.
  expect(Date.now() - signalled).toBeLessThan(5000);
  await Promise.all([silentCut, stalledCut]);
});
