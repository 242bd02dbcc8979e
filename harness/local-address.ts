import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * An address of this machine that is not loopback, on a veth pair the test creates and removes (both ends stay in
 * this namespace; this machine's kernel has no dummy interfaces): browsers that gather no loopback ICE candidates
 * (Firefox) reach an SFU announced on it, and nothing leaves the machine. Needs root.
 */
export class LocalAddress {
  private constructor(
    readonly address: string,
    private readonly device: string,
  ) {}

  static async create(): Promise<LocalAddress> {
    const device = `cla${randomInt(0x10000).toString(16)}`;
    const local = new LocalAddress(`10.${200 + randomInt(50)}.${randomInt(256)}.1`, device);
    await run('ip', ['link', 'add', device, 'type', 'veth', 'peer', 'name', `${device}p`]);
    await run('ip', ['addr', 'add', `${local.address}/32`, 'dev', device]);
    for (const end of [device, `${device}p`]) await run('ip', ['link', 'set', end, 'up']);
    return local;
  }

  /** Removes the pair (deleting one end deletes both). */
  async destroy(): Promise<void> {
    await run('ip', ['link', 'del', this.device]).catch(() => undefined);
  }
}
