import type { KeyValueStore } from './kv.js';
import { parseStored, storedNode, type NodeAddress } from './stored-schemas.js';

const keyOf = (roomId: string) => `circle:room:${roomId}:owner`;

/**
 * Which node runs which room. A room lives on exactly one node: the one holding its lease, which it renews while
 * the room is open. A node that dies stops renewing, its leases expire, and the next join anywhere takes the room.
 */
export class RoomDirectory {
  constructor(
    private readonly kv: KeyValueStore,
    readonly self: NodeAddress,
    private readonly leaseMs: number,
  ) {}

  /** Takes the room for this node if no live node holds it; answers the owner either way. */
  async claim(roomId: string): Promise<NodeAddress> {
    const value = JSON.stringify(this.self);
    const owner = parseStored(storedNode, await this.kv.claim(keyOf(roomId), value, this.leaseMs), 'room owner');
    return owner.nodeId === this.self.nodeId ? this.self : owner;
  }

  /** The node holding the room's lease now, if any. */
  async owner(roomId: string): Promise<NodeAddress | undefined> {
    const held = await this.kv.get(keyOf(roomId));
    return held ? parseStored(storedNode, held, 'room owner') : undefined;
  }

  /** Renews this node's leases; answers the rooms another node holds now (taken while this one was cut off). */
  async renew(roomIds: string[]): Promise<string[]> {
    const lost: string[] = [];
    for (const roomId of roomIds) if ((await this.claim(roomId)).nodeId !== this.self.nodeId) lost.push(roomId);
    return lost;
  }

  async release(roomId: string): Promise<void> {
    await this.kv.release(keyOf(roomId), JSON.stringify(this.self));
  }
}
