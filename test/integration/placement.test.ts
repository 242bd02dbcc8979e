import { expect, it } from 'vitest';
import { circleSuite } from '../helpers/fixtures.js';

const suite = circleSuite({ mediasoup: { numWorkers: 2 } });

it('places each new room on the least-loaded worker, weighing participants over rooms', async () => {
  const workerOf = (room: string) => suite.server.circle.registry.get(room)!.mediaWorker.index;
  await suite.seat('place-a', 'A1', 'facilitator');
  await suite.seat('place-b', 'B1', 'facilitator');
  expect(new Set([workerOf('place-a'), workerOf('place-b')]).size).toBe(2);

  // place-a grows; the next room goes to the other worker, and so does the one after (still lighter).
  for (const name of ['A2', 'A3', 'A4']) await suite.seat('place-a', name, 'cofacilitator');
  await suite.seat('place-c', 'C1', 'facilitator');
  expect(workerOf('place-c')).toBe(workerOf('place-b'));
  await suite.seat('place-d', 'D1', 'facilitator');
  expect(workerOf('place-d')).toBe(workerOf('place-b'));
  // Now place-b's worker carries 3 rooms of 1 (33) against 1 room of 4 (41): still the lighter one.
  await suite.seat('place-e', 'E1', 'facilitator');
  expect(workerOf('place-e')).toBe(workerOf('place-b'));
  await suite.seat('place-f', 'F1', 'facilitator');
  expect(workerOf('place-f')).toBe(workerOf('place-a'));
});
