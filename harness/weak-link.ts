import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import type { ParticipantMedia } from '../src/media/participant-media.js';
import type { Room } from '../src/rooms/room.js';
import type { BottleneckCounts, Impairment, RelayCommand } from './udp-relay-thread.js';

export { stunServerUfrag, type Impairment } from './udp-relay-thread.js';

/**
 * The ICE username fragments of a participant's transports at the SFU (both, or one direction's): how the relay
 * tells clients apart.
 */
export function transportUfrags(room: Room, participantId: string, only?: 'send' | 'recv'): string[] {
  return mediaUfrags(room.participants.get(participantId)!.media, only);
}

/** The same for any set of transports: a participant's, or a pre-session check's. */
export function mediaUfrags(media: ParticipantMedia, only?: 'send' | 'recv'): string[] {
  const directions = only ? [only] : (['send', 'recv'] as const);
  return directions.flatMap((direction) => {
    const transport = media.transport(direction);
    return transport && 'iceParameters' in transport ? [transport.iceParameters.usernameFragment] : [];
  });
}

/**
 * A weak link for media: a UDP relay that listens where the SFU's candidates are announced (`relayIp`, same
 * port) and forwards to where the SFU really listens, one relay socket per client address. Impairments are set
 * per ICE username fragment of the SFU's transports, so a test impairs one participant and no one else.
 * `sch_netem` is not available here; this is the harness's own. It runs on a thread of its own
 * (harness/udp-relay-thread.ts, bundled by esbuild when the relay starts); each change is in force once its promise
 * settles, which takes well under a millisecond.
 */
export class UdpRelay {
  private constructor(private readonly thread: Worker) {}

  static async start(relayIp: string, target: { ip: string; port: number }): Promise<UdpRelay> {
    const bundled = await build({
      entryPoints: [fileURLToPath(new URL('./udp-relay-thread.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
      logLevel: 'warning',
    });
    const thread = new Worker(bundled.outputFiles[0]!.text, { eval: true, workerData: { relay: { relayIp, target } } });
    const [first] = (await once(thread, 'message')) as [string];
    if (first !== 'ready') throw new Error('the relay thread did not start');
    return new UdpRelay(thread);
  }

  /** Impairs the traffic of the SFU transports with these ICE username fragments, in one or both directions. */
  impair(ufrags: string[], direction: 'uplink' | 'downlink' | 'both', impairment: Partial<Impairment>): Promise<void> {
    return this.send({ type: 'impair', ufrags, direction, impairment });
  }

  reset(): Promise<void> {
    return this.send({ type: 'reset' });
  }

  /** What reached the rate caps so far (cumulative): read twice and subtract for an interval. */
  async counts(): Promise<BottleneckCounts> {
    const answer = once(this.thread, 'message');
    this.thread.postMessage({ type: 'counts' } satisfies RelayCommand);
    return ((await answer) as [BottleneckCounts])[0];
  }

  async close(): Promise<void> {
    await this.send({ type: 'close' });
    await this.thread.terminate();
  }

  private async send(command: RelayCommand): Promise<void> {
    const done = once(this.thread, 'message');
    this.thread.postMessage(command);
    await done;
  }
}

/** A TCP proxy for the signaling connection, which can black out: existing connections cut, new ones refused. */
export class TcpProxy {
  private blackedOut = false;
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;

  private constructor(target: number) {
    this.server = net.createServer((client) => {
      if (this.blackedOut) return client.destroy();
      const upstream = net.connect(target, '127.0.0.1');
      for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
        a.pipe(b);
        a.on('error', () => b.destroy());
        a.on('close', () => b.destroy());
        this.sockets.add(a);
        a.on('close', () => this.sockets.delete(a));
      }
    });
  }

  static async start(targetPort: number): Promise<TcpProxy & { port: number }> {
    const proxy = new TcpProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return Object.assign(proxy, { port: (proxy.server.address() as net.AddressInfo).port });
  }

  setBlackout(on: boolean): void {
    this.blackedOut = on;
    if (on) for (const socket of this.sockets) socket.destroy();
  }

  close(): void {
    this.setBlackout(true);
    this.server.close();
  }
}
