// The cluster's roster, requests between nodes and the webhook outbox, on an in-process store that says it is
// shared (two "nodes" in one process): who is alive, exactly one taker of a departed node's work, answers and
// refusals carried back, and undelivered webhooks taken over under the same ids.
import { afterEach, expect, it, vi } from 'vitest';
import { NodeRequests } from '../../src/cluster/node-requests.js';
import { NodeRoster } from '../../src/cluster/node-roster.js';
import { createLogger } from '../../src/logging/logger.js';
import { CircleError } from '../../src/protocol/errors.js';
import { MemoryKeyValueStore } from '../../src/store/memory-kv.js';
import { WebhookOutbox } from '../../src/webhooks/outbox.js';
import type { Delivery } from '../../src/webhooks/webhooks.js';

const logger = createLogger('silent', (id) => id);
const sharedStore = () => Object.assign(new MemoryKeyValueStore(), { shared: true });

afterEach(() => vi.useRealTimers());

it('lists the live nodes, and hands a departed node to exactly one live node, once', async () => {
  vi.useFakeTimers();
  const kv = sharedStore();
  const [a, b, c] = ['node-a', 'node-b', 'node-c'].map((id) => new NodeRoster(kv, id, 3000, logger));
  const takenBy: string[] = [];
  for (const roster of [a!, b!]) roster.onDeparture(async (departed) => void takenBy.push(`${roster.selfId}:${departed}`));
  for (const roster of [a!, b!, c!]) roster.start();
  await vi.advanceTimersByTimeAsync(1000);
  expect((await a!.peers()).sort()).toEqual(['node-b', 'node-c']);

  await c!.stop(); // stops beating and lets its key lapse at once
  await vi.advanceTimersByTimeAsync(2000);
  expect(takenBy).toHaveLength(1);
  expect(takenBy[0]).toMatch(/^node-[ab]:node-c$/);
  expect(await a!.peers()).toEqual(['node-b']);
  expect(await kv.members('circle:nodes')).not.toContain('node-c');
  await vi.advanceTimersByTimeAsync(5000);
  expect(takenBy).toHaveLength(1);
  await a!.stop();
  await b!.stop();
});

it('a taker that fails leaves the departed node listed, to be taken over at a later beat', async () => {
  vi.useFakeTimers();
  const kv = sharedStore();
  const live = new NodeRoster(kv, 'node-a', 3000, logger);
  let attempts = 0;
  live.onDeparture(async () => {
    attempts += 1;
    if (attempts === 1) throw new CircleError('UNAVAILABLE', 'the store went away');
  });
  await kv.addMember('circle:nodes', 'node-gone');
  live.start();
  await vi.advanceTimersByTimeAsync(100);
  expect(await kv.members('circle:nodes')).toContain('node-gone');
  await vi.advanceTimersByTimeAsync(61_000); // the failed taker's claim lapses
  expect(attempts).toBe(2);
  expect(await kv.members('circle:nodes')).toEqual(['node-a']);
  await live.stop();
});

it('asks another node and returns its answer; its refusal keeps its code; a node that does not answer is UNAVAILABLE', async () => {
  const kv = sharedStore();
  const asking = new NodeRequests(kv, 'node-a', logger, 200);
  const answering = new NodeRequests(kv, 'node-b', logger, 200);
  answering.serve(async (operation, input) => {
    if (operation === 'echo') return { echoed: input };
    throw new CircleError('NOT_FOUND', 'no live room by that id');
  });
  expect(await asking.ask('node-b', 'echo', { roomId: 'r-1' })).toEqual({ echoed: { roomId: 'r-1' } });
  await expect(asking.ask('node-b', 'mute', {})).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no live room by that id' });
  await expect(asking.ask('node-gone', 'echo', {})).rejects.toMatchObject({ code: 'UNAVAILABLE' });
});

it('writes undelivered webhooks through, and another node takes them over under the same ids', async () => {
  const kv = sharedStore();
  const delivery = (id: string): Delivery => ({ id, type: 'participant.joined', body: `{"id":"${id}"}`, attempts: 1 });
  const dying = { undelivered: () => [delivery('7f0d3c52-1d5e-4c8e-9a51-3a0c2f1b0001'), delivery('7f0d3c52-1d5e-4c8e-9a51-3a0c2f1b0002')], adopt: () => undefined };
  const dyingOutbox = new WebhookOutbox(kv, 'node-a', 60_000, dying, logger);
  await dyingOutbox.flush();
  dyingOutbox.stop();
  const adopted: Delivery[] = [];
  const taker = new WebhookOutbox(kv, 'node-b', 60_000, { undelivered: () => [], adopt: (d) => void adopted.push(...d) }, logger);
  await taker.takeOver('node-a');
  taker.stop();
  expect(adopted).toEqual(dying.undelivered());
  // Taken once: a second taker finds nothing.
  await taker.takeOver('node-a');
  expect(adopted).toHaveLength(2);
});
