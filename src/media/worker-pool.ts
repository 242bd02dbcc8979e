import { EventEmitter } from 'node:events';
import os from 'node:os';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { CircleConfig } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import { CircleError } from '../protocol/errors.js';

/**
 * mediasoup closes each worker on the process's first SIGTERM or SIGINT (the worker's `onSignal` listener). Circle
 * drains on them instead (rooms go on until `shutdown.drainTimeoutMs`, then their participants are moved) and closes
 * the pool itself at the end, so that listener is taken back. The SIGTERM drain test in cluster.test.ts fails if a
 * mediasoup release renames it.
 */
function keepOpenOnSignals(worker: types.Worker): void {
  const onSignal = (worker as unknown as { onSignal?: NodeJS.SignalsListener }).onSignal;
  if (!onSignal) return;
  process.removeListener('SIGTERM', onSignal);
  process.removeListener('SIGINT', onSignal);
}

/** One worker process with the WebRtcServer that gives it a single UDP (and TCP) port. */
export interface MediaWorker {
  index: number;
  worker: types.Worker;
  webRtcServer: types.WebRtcServer;
}

type PoolEvents = { workerDied: [MediaWorker] };

export class WorkerPool extends EventEmitter<PoolEvents> {
  private readonly slots: (MediaWorker | undefined)[];
  private closed = false;
  private readonly respawnTimers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly config: CircleConfig['mediasoup'],
    private readonly logger: Logger,
    private readonly onDeath: () => void,
  ) {
    super();
    this.slots = new Array<MediaWorker | undefined>(config.numWorkers || os.availableParallelism()).fill(undefined);
  }

  static async start(config: CircleConfig['mediasoup'], logger: Logger, onDeath: () => void): Promise<WorkerPool> {
    const pool = new WorkerPool(config, logger, onDeath);
    try {
      await Promise.all(pool.slots.map((_, index) => pool.spawn(index)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  get alive(): number {
    return this.slots.filter(Boolean).length;
  }

  workers(): MediaWorker[] {
    return this.slots.filter((slot): slot is MediaWorker => slot !== undefined);
  }

  /** CPU and peak memory of each live worker, for the metrics (a worker dying meanwhile is left out). */
  async resourceUsage(): Promise<{ index: number; userSeconds: number; systemSeconds: number; maxRssBytes: number }[]> {
    const usages = await Promise.all(
      this.workers().map(async (slot) => {
        const usage = await slot.worker.getResourceUsage().catch(() => undefined);
        return usage && { index: slot.index, userSeconds: usage.ru_utime / 1000, systemSeconds: usage.ru_stime / 1000, maxRssBytes: usage.ru_maxrss * 1024 };
      }),
    );
    return usages.filter((usage) => usage !== undefined);
  }

  /** The live worker with the smallest load; ties go to the lower index. */
  leastLoaded(load: (worker: MediaWorker) => number): MediaWorker {
    let best: MediaWorker | undefined;
    let bestLoad = Infinity;
    for (const slot of this.workers()) {
      const value = load(slot);
      if (value < bestLoad) [best, bestLoad] = [slot, value];
    }
    if (!best) throw new CircleError('UNAVAILABLE', 'no media worker is available; try again shortly');
    return best;
  }

  /** Closes every worker and waits (up to `timeoutMs`) until their processes have exited. */
  async close(timeoutMs = 3000): Promise<void> {
    this.closed = true;
    for (const timer of this.respawnTimers) clearTimeout(timer);
    const pids = this.workers().map((slot) => slot.worker.pid);
    for (const slot of this.workers()) slot.worker.close();
    this.slots.fill(undefined);
    const deadline = Date.now() + timeoutMs;
    while (pids.some(isRunning) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  private async spawn(index: number): Promise<MediaWorker> {
    const worker = await mediasoup.createWorker({ logLevel: this.config.logLevel, appData: { index } });
    keepOpenOnSignals(worker);
    try {
      const port = this.config.webRtcServerBasePort ? this.config.webRtcServerBasePort + index : undefined;
      const listen = { ip: this.config.listenIp, announcedAddress: this.config.announcedIp, port };
      const webRtcServer = await worker.createWebRtcServer({
        listenInfos: [
          { ...listen, protocol: 'udp' },
          ...(this.config.enableTcp ? [{ ...listen, protocol: 'tcp' as const }] : []),
        ],
      });
      const slot: MediaWorker = { index, worker, webRtcServer };
      worker.on('died', (error) => this.handleDeath(slot, error));
      this.slots[index] = slot;
      this.logger.info({ workerIndex: index, pid: worker.pid }, 'media worker started');
      return slot;
    } catch (error) {
      worker.close();
      throw error;
    }
  }

  private handleDeath(slot: MediaWorker, error: Error): void {
    if (this.slots[slot.index] !== slot) return;
    this.slots[slot.index] = undefined;
    this.onDeath();
    this.logger.error({ workerIndex: slot.index, pid: slot.worker.pid, err: error.message }, 'media worker died');
    this.emit('workerDied', slot);
    this.scheduleRespawn(slot.index, this.config.workerRespawnDelayMs);
  }

  private scheduleRespawn(index: number, delayMs: number): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.respawnTimers.delete(timer);
      if (this.closed) return;
      this.spawn(index).then(
        (slot) => {
          if (this.closed) slot.worker.close();
        },
        (error: Error) => {
          this.logger.error({ workerIndex: index, err: error.message }, 'media worker respawn failed; retrying');
          this.scheduleRespawn(index, Math.min(Math.max(delayMs * 2, 500), 30_000));
        },
      );
    }, delayMs);
    this.respawnTimers.add(timer);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
