import type { Logger } from '../logging/logger.js';
import type { KeyValueStore } from '../store/kv.js';

const NODES = 'circle:nodes';
const aliveKey = (nodeId: string) => `circle:node:${nodeId}:alive`;
const takeOverKey = (nodeId: string) => `circle:node:${nodeId}:take-over`;
/** How long one node has to take a departed node's work over before another may try. */
const TAKE_OVER_MS = 60_000;

/** What a departed node left that another takes over (its undelivered webhooks); it throws to be tried again. */
export type DepartureHandler = (nodeId: string) => Promise<void>;

/**
 * The cluster's nodes, in the shared store: a set of node ids, and for each a key that lives while its node renews
 * it. A node whose key has lapsed (killed, cut off, or stopped) has departed: exactly one live node (the one that
 * claims it) hands what it left to the departure handlers, and only then takes it off the set, so a node that
 * fails midway leaves it for the next try. Alone (in-memory store) there are no other nodes.
 */
export class NodeRoster {
  private timer: NodeJS.Timeout | undefined;
  private readonly departures: DepartureHandler[] = [];

  constructor(
    private readonly kv: KeyValueStore,
    readonly selfId: string,
    private readonly leaseMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (!this.kv.shared) return;
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.leaseMs / 3);
    this.timer.unref();
  }

  onDeparture(handler: DepartureHandler): void {
    this.departures.push(handler);
  }

  /** The other nodes alive now. */
  async peers(): Promise<string[]> {
    if (!this.kv.shared) return [];
    const others = (await this.kv.members(NODES)).filter((nodeId) => nodeId !== this.selfId);
    const alive = await Promise.all(others.map(async (nodeId) => (await this.kv.get(aliveKey(nodeId))) !== undefined));
    return others.filter((_, i) => alive[i]);
  }

  /** Stops renewing and lets the key lapse at once: whatever this node leaves is taken over by a live one. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.kv.shared) await this.kv.del(aliveKey(this.selfId)).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    if (!this.kv.available) return;
    try {
      // Alive before listed, so no one takes a starting node for a departed one; listed again at every beat, as a
      // restarted Redis may have lost the set.
      await this.kv.set(aliveKey(this.selfId), '1', this.leaseMs);
      await this.kv.addMember(NODES, this.selfId);
      for (const nodeId of await this.kv.members(NODES)) {
        if (nodeId !== this.selfId && (await this.kv.get(aliveKey(nodeId))) === undefined) await this.takeOver(nodeId);
      }
    } catch (error) {
      this.logger.debug({ err: (error as Error).message }, 'node roster not renewed; retrying');
    }
  }

  private async takeOver(nodeId: string): Promise<void> {
    if ((await this.kv.claim(takeOverKey(nodeId), this.selfId, TAKE_OVER_MS)) !== this.selfId) return;
    for (const handler of this.departures) await handler(nodeId);
    await this.kv.removeMember(NODES, nodeId);
    this.logger.info({ node: nodeId }, 'departed node taken over');
  }
}
