import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { startServerProcess } from '../helpers/process.js';
import { connect, devToken } from '../helpers/signaling.js';

it('stops at start-up on a bad configuration value, naming the key', () => {
  const result = spawnSync(process.execPath, ['dist/src/main.js'], {
    env: { PATH: process.env.PATH ?? '', CIRCLE_MEDIASOUP_NUM_WORKERS: 'many' },
    encoding: 'utf8',
    timeout: 10_000,
  });
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(/mediasoup\.numWorkers \(from CIRCLE_MEDIASOUP_NUM_WORKERS\)/);
});

it('on SIGTERM goes not-ready, tells participants to reconnect, closes workers and exits 0', async () => {
  const server = await startServerProcess();
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

  const client = await connect(server.url);
  const { token } = await devToken(server.url, { room: 'closing-time', name: 'Ola' });
  await client.ok('join', { token });
  const told = client.next<{ reason: string }>('reconnectRequired');

  server.child.kill('SIGTERM');
  expect(await told).toEqual({ reason: 'server-shutdown' });
  expect(await server.exited).toBe(0);
  expect(server.logs.some((entry) => entry.msg === 'shutting down' && entry.signal === 'SIGTERM')).toBe(true);
  client.close();
});
