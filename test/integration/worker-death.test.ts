import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCircle, sample, type RunningCircle } from '../../harness/circle.js';
import { connect, devToken } from '../../harness/signaling.js';

let server: RunningCircle;

beforeAll(async () => {
  server = await startCircle({ mediasoup: { numWorkers: 2, workerRespawnDelayMs: 100 } });
});
afterAll(async () => server.stop());

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it('replaces a worker killed mid-session, asks its participants to rejoin, and serves new rooms', async () => {
  const client = await connect(server.url);
  const { token, participantId } = await devToken(server.url, { room: 'doomed', name: 'Maya', role: 'facilitator' });
  await client.ok('join', { token });
  await client.ok('createTransport', { direction: 'send' });

  const room = server.circle.registry.get('doomed')!;
  const victim = room.mediaWorker;
  const pid = victim.worker.pid;
  const told = client.next<{ reason: string }>('reconnectRequired');
  process.kill(pid, 'SIGKILL');

  expect(await told).toEqual({ reason: 'media-worker-lost' });
  expect(server.circle.registry.get('doomed')).toBeUndefined();
  const metrics = await (await fetch(`${server.adminUrl}/metrics`)).text();
  expect(sample(metrics, 'circle_worker_deaths_total')).toBe(1);

  // The pool brings the slot back with a new process; readiness follows.
  const replacement = await waitFor(() => server.circle.pool.workers().find((w) => w.index === victim.index));
  expect(replacement.worker.pid).not.toBe(pid);
  const ready = await waitFor(async () => ((await fetch(`${server.adminUrl}/readyz`)).status === 200 ? true : undefined));
  expect(ready).toBe(true);

  // The same connection rejoins with the same token, and a brand-new room opens.
  const rejoined = await client.ok<{ participantId: string }>('join', { token });
  expect(rejoined.participantId).toBe(participantId);
  const transport = await client.ok<{ id: string }>('createTransport', { direction: 'send' });
  expect(transport.id).toBeTruthy();

  const newcomer = await connect(server.url);
  const fresh = await devToken(server.url, { room: 'after-the-crash', name: 'Noor' });
  await newcomer.ok('join', { token: fresh.token });
  expect(server.circle.registry.get('after-the-crash')?.router.closed).toBe(false);
  client.close();
  newcomer.close();
});

it('gives participants their seats back after a worker dies: admitted, same role, same locks', async () => {
  const facilitator = await connect(server.url);
  const fac = await devToken(server.url, { room: 'crash-seats', name: 'Fola', role: 'facilitator' });
  await facilitator.ok('join', { token: fac.token });
  const clients = await Promise.all(
    ['kim-1', 'lou-1'].map(async (participantId) => {
      const client = await connect(server.url);
      const { token } = await devToken(server.url, { room: 'crash-seats', name: participantId, participantId });
      await client.ok('join', { token });
      await facilitator.ok('admit', { participantId });
      return { client, token, participantId };
    }),
  );
  await facilitator.ok('promote', { participantId: 'kim-1' });
  await facilitator.ok('mute', { participantId: 'lou-1' });

  const told = clients.map((c) => c.client.next('reconnectRequired'));
  process.kill(server.circle.registry.get('crash-seats')!.mediaWorker.worker.pid, 'SIGKILL');
  await Promise.all(told);

  await facilitator.ok('join', { token: fac.token });
  const [kim, lou] = await Promise.all(
    clients.map((c) => c.client.ok<{ self: { role: string; admission: string; locks: { audio: boolean } } }>('join', { token: c.token })),
  );
  expect(kim!.self).toMatchObject({ role: 'cofacilitator', admission: 'admitted', locks: { audio: false } });
  expect(lou!.self).toMatchObject({ role: 'client', admission: 'admitted', locks: { audio: true } });
  // Held seats keep only for the grace period (100 ms in tests): later is through the waiting room.
  const late = await connect(server.url);
  const { token: lateToken } = await devToken(server.url, { room: 'crash-seats', name: 'Max', participantId: 'max-1' });
  await late.ok('join', { token: lateToken });
  await facilitator.ok('admit', { participantId: 'max-1' });
  const lateTold = late.next('reconnectRequired');
  process.kill(server.circle.registry.get('crash-seats')!.mediaWorker.worker.pid, 'SIGKILL');
  await lateTold;
  await waitFor(() => server.circle.pool.alive === server.circle.pool.size || undefined);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await facilitator.ok('join', { token: fac.token });
  expect(await late.ok<{ self: { admission: string } }>('join', { token: lateToken })).toMatchObject({
    self: { admission: 'waiting' },
  });
  late.close();
  for (const c of [facilitator, ...clients.map((x) => x.client)]) c.close();
  await waitFor(() => server.circle.pool.alive === server.circle.pool.size || undefined);
});

it('reports not-ready while a worker is missing', async () => {
  const victim = server.circle.pool.workers()[0]!;
  const died = new Promise((resolve) => server.circle.pool.once('workerDied', resolve));
  process.kill(victim.worker.pid, 'SIGKILL');
  await died;
  const response = await fetch(`${server.adminUrl}/readyz`);
  expect(response.status).toBe(503);
  expect(await response.json()).toMatchObject({ ready: false, checks: { workers: '1/2' } });
  await waitFor(async () => ((await fetch(`${server.adminUrl}/readyz`)).status === 200 ? true : undefined));
});

it('on shutdown turns readiness false at once, then closes every worker process', async () => {
  const pids = server.circle.pool.workers().map((w) => w.worker.pid);
  const stopping = server.circle.shutdown();
  expect(server.circle.readiness()).toMatchObject({ ready: false, checks: { accepting: false } });
  await stopping;
  expect(server.circle.pool.alive).toBe(0);
  for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
});
