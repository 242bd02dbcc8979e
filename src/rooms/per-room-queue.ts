/**
 * Runs tasks one after another per room: each starts once the room's previous task has settled, and other rooms'
 * tasks run freely. The registry opens rooms, hands them over and changes their stored records through it, so a
 * record read before an `await` is still the record when the change lands.
 */
export class PerRoomQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(roomId: string, task: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(roomId) ?? Promise.resolve()).then(task);
    const tail = result.catch(() => undefined);
    this.tails.set(roomId, tail);
    void tail.then(() => this.tails.get(roomId) === tail && this.tails.delete(roomId));
    return result;
  }
}
