import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A network namespace of the test's own, joined to this machine by a veth pair: a browser started inside it
 * reaches Circle only across the pair, at `hostAddress`, through whatever firewall the test sets inside it (nftables),
 * as a client behind a clinic's or a library's firewall would. Needs root (the tests run as root here and in CI).
 */
export class NetworkNamespace {
  private readonly scratch = mkdtempSync(path.join(os.tmpdir(), 'circle-netns-'));

  private constructor(
    readonly name: string,
    /** This machine's end of the pair: where Circle, coturn and anything the namespace may reach listen. */
    readonly hostAddress: string,
    readonly innerAddress: string,
  ) {}

  static async create(): Promise<NetworkNamespace> {
    const tag = randomInt(0x10000).toString(16).padStart(4, '0');
    const subnet = `10.${200 + randomInt(50)}.${randomInt(256)}`;
    const ns = new NetworkNamespace(`circle-${tag}`, `${subnet}.1`, `${subnet}.2`);
    const [outside, inside] = [`cv${tag}o`, `cv${tag}i`];
    const ip = (...args: string[]) => run('ip', args);
    await ip('netns', 'add', ns.name);
    await ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
    await ip('link', 'set', inside, 'netns', ns.name);
    await ip('addr', 'add', `${ns.hostAddress}/30`, 'dev', outside);
    await ip('link', 'set', outside, 'up');
    await ns.exec('ip', 'addr', 'add', `${ns.innerAddress}/30`, 'dev', inside);
    await ns.exec('ip', 'link', 'set', inside, 'up');
    await ns.exec('ip', 'link', 'set', 'lo', 'up');
    return ns;
  }

  exec(command: string, ...args: string[]): Promise<{ stdout: string }> {
    return run('ip', ['netns', 'exec', this.name, command, ...args]);
  }

  /** Replaces the namespace's nftables ruleset (its firewall; this machine's stays untouched). */
  async firewall(ruleset: string): Promise<void> {
    const file = path.join(this.scratch, 'rules.nft');
    writeFileSync(file, `flush ruleset\n${ruleset}`);
    await this.exec('nft', '-f', file);
  }

  /** The namespace's ruleset with its counters, to see what the firewall dropped. */
  async rules(): Promise<string> {
    return (await this.exec('nft', 'list', 'ruleset')).stdout;
  }

  /** An executable that runs `program` inside the namespace (for puppeteer's `executablePath`). */
  wrap(program: string): string {
    const file = path.join(this.scratch, path.basename(program));
    writeFileSync(file, `#!/bin/sh\nexec ip netns exec ${this.name} ${program} "$@"\n`);
    chmodSync(file, 0o755);
    return file;
  }

  /** Removes the namespace; its end of the pair goes with it, and so does ours. */
  async destroy(): Promise<void> {
    await run('ip', ['netns', 'del', this.name]).catch(() => undefined);
    rmSync(this.scratch, { recursive: true, force: true });
  }
}
