import { expect, it } from 'vitest';
import { PerRoomQueue } from '../../src/rooms/per-room-queue.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

it("runs one room's tasks one after another, a failed one included, while another room's run beside them", async () => {
  const queue = new PerRoomQueue();
  const events: string[] = [];
  const task = (name: string, fails = false) => async () => {
    events.push(`${name} starts`);
    await tick();
    events.push(`${name} ends`);
    if (fails) throw new Error(name);
    return name;
  };
  const first = queue.run('a', task('a1', true));
  const second = queue.run('a', task('a2'));
  const other = queue.run('b', task('b1'));
  await expect(first).rejects.toThrow('a1');
  expect(await second).toBe('a2');
  expect(await other).toBe('b1');
  const at = (event: string) => events.indexOf(event);
  expect(at('a2 starts')).toBeGreaterThan(at('a1 ends'));
  expect(at('b1 starts')).toBeLessThan(at('a1 ends'));
  expect(events).toHaveLength(6);
});
