import { spawn, type ChildProcess } from 'node:child_process';
import { createClient } from 'redis';
import type { TestCertificates } from './certificates.js';
import { freePort, waitForPort } from './free-port.js';

const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';

export interface RedisOptions {
  /** `requirepass`: clients must AUTH with it. */
  password?: string;
  /** Serve TLS only (`tls-port`, no plaintext port), with a certificate signed by a CA of the test's own. */
  tls?: TestCertificates;
}

/**
 * A real redis-server for a test file, on a free loopback port, without persistence: stopping it loses
 * everything, as a crashed Redis without a disk would, so a test sees whether Circle writes its state again.
 */
export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly options: RedisOptions,
  ) {}

  static async start(options: RedisOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options);
    await server.resume();
    return server;
  }

  get url(): string {
    return `${this.options.tls ? 'rediss' : 'redis'}://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port. */
  async resume(): Promise<void> {
    const { password, tls } = this.options;
    const listen = tls
      ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', 'no']
      : ['--port', String(this.port)];
    const args = [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(password ? ['--requirepass', password] : [])];
    this.child = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    await waitForPort(this.port, 10_000, 'redis-server');
  }

  /** Kills it outright: an outage, not a graceful shutdown. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/** Every string value in the Redis at `url`, raw: what someone with the database in hand would read. */
export async function storedStrings(url: string): Promise<string[]> {
  const raw = createClient({ url });
  await raw.connect();
  try {
    const stored: string[] = [];
    for (const key of await raw.keys('*')) if ((await raw.type(key)) === 'string') stored.push((await raw.get(key))!);
    return stored;
  } finally {
    await raw.quit();
  }
}
