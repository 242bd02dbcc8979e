import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './free-port.js';

const TURNSERVER = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';

export interface CoturnOptions {
  /** Where coturn listens and relays from (an address of this machine: loopback, or a veth end). */
  address?: string;
  /** Plain TURN over UDP and TCP; false: only TLS (a network that lets nothing else out). */
  plain?: boolean;
  /** TURN over TLS with this certificate. */
  tls?: { certFile: string; keyFile: string };
  /** Also listen and relay on ::1: a relay that can reach IPv6 peers (which the deny list must cover too). */
  ipv6?: boolean;
}

/**
 * The peers a relay must refuse, as the README's coturn set-up and scripts/local-turn.sh write them: every IPv4 and
 * every IPv6 address (private, loopback and link-local included), before the SFU's own address is allowed back.
 */
export const DENIED_PEERS = ['--denied-peer-ip=0.0.0.0-255.255.255.255', '--denied-peer-ip=::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'];

/**
 * A real coturn (Debian's turnserver) for a test or a benchmark, as a clinic would run it in front of Circle: the
 * TURN REST API scheme (`use-auth-secret`) with a secret of its own, relaying only to the SFU's address. Each
 * instance has free ports and a relay port range of its own, no CLI, no database, and its log in a scratch folder.
 */
export class Coturn {
  readonly secret = randomBytes(24).toString('hex');
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'circle-coturn-'));

  private constructor(
    readonly address: string,
    /** TURN over UDP and TCP; 0 when only TLS listens. */
    readonly port: number,
    readonly tlsPort: number,
  ) {}

  static async start(options: CoturnOptions = {}): Promise<Coturn> {
    const address = options.address ?? '127.0.0.1';
    const plain = options.plain ?? true;
    const turn = new Coturn(address, plain ? await freePort() : 0, options.tls ? await freePort() : 0);
    await turn.run(options);
    return turn;
  }

  /** Circle's `turn.*` configuration for this relay. */
  circleConfig(credentialTtlSeconds = 3600) {
    return { secret: this.secret, host: this.address, port: this.port, tlsPort: this.tlsPort, credentialTtlSeconds };
  }

  /** What coturn logged (credentials refused, allocations made). */
  log(): string {
    try {
      return readFileSync(path.join(this.dir, 'turn.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async run({ tls, ipv6 }: CoturnOptions): Promise<void> {
    // Relay ports are UDP; a range per instance keeps tests that run coturn side by side apart.
    const relayBase = 50_000 + Math.floor(Math.random() * 150) * 100;
    const args = [
      '--listening-ip', this.address,
      '--relay-ip', this.address,
      ...(ipv6 ? ['--listening-ip', '::1', '--relay-ip', '::1'] : []),
      '--realm', 'circle.test',
      '--use-auth-secret', `--static-auth-secret=${this.secret}`,
      '--fingerprint',
      '--no-cli', '--no-dtls',
      '--min-port', String(relayBase), '--max-port', String(relayBase + 99),
      '--log-file', path.join(this.dir, 'turn.log'), '--simple-log', '--no-stdout-log',
      '--pidfile', path.join(this.dir, 'turn.pid'),
      // Only the SFU may be a peer: a relay open to any address would let a client reach the clinic's network.
      ...DENIED_PEERS, `--allowed-peer-ip=${this.address}`,
      ...(this.address.startsWith('127.') ? ['--allow-loopback-peers'] : []),
      ...(this.port ? ['--listening-port', String(this.port)] : ['--no-udp', '--no-tcp']),
      ...(tls ? ['--tls-listening-port', String(this.tlsPort), '--cert', tls.certFile, '--pkey', tls.keyFile] : ['--no-tls']),
    ];
    this.child = spawn(TURNSERVER, args, { stdio: 'ignore' });
    await waitForPort(this.port || this.tlsPort, 10_000, 'turnserver', this.address);
  }
}

/**
 * Relays a few packets through the TURN server named by `server`'s URL for `transport`, with its credentials, to an
 * echo peer (coturn's own test client and peer, turnutils_uclient and turnutils_peer): answers whether the
 * allocation was granted and the packets came back, with the client's output for a failing test to show.
 */
/**
 * coturn's own client relays a few packets to a peer through the relay. `via`: the relay address to use (for one
 * listening on IPv6 too); `peerHost`: where the peer listens (by default the relay's own address).
 */
export async function relayEcho(
  server: { urls: string[]; username: string; credential: string },
  transport: 'udp' | 'tcp',
  { via, peerHost }: { via?: string; peerHost?: string } = {},
): Promise<{ relayed: boolean; output: string }> {
  const url = server.urls.find((u) => u.startsWith('turn:') && u.endsWith(`transport=${transport}`));
  if (!url) throw new Error(`no turn: URL for ${transport} in ${server.urls.join(' ')}`);
  const [, urlHost, port] = /^turn:\[?([^\]]+?)\]?:(\d+)\?/.exec(url)!;
  const host = via ?? urlHost!;
  const peerPort = await freePort();
  const peer = spawn('turnutils_peer', ['-L', peerHost ?? host, '-p', String(peerPort)], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const args = ['-u', server.username, '-w', server.credential, '-p', port!, '-e', peerHost ?? host, '-r', String(peerPort), '-n', '3', '-c', ...(transport === 'tcp' ? ['-t'] : []), host];
    const client = spawn('turnutils_uclient', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    client.stdout.on('data', (chunk: Buffer) => (output += chunk));
    client.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const timer = setTimeout(() => client.kill('SIGKILL'), 10_000);
    const code = await new Promise<number | null>((resolve) => client.once('exit', resolve));
    clearTimeout(timer);
    return { relayed: code === 0 && /Total lost packets 0 /.test(output), output };
  } finally {
    peer.kill('SIGKILL');
  }
}
