import dgram from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * The weak link's UDP relay, run on a thread of its own by `UdpRelay` (weak-link.ts). On the test's main thread it
 * would share an event loop with the server, the bots and the test: a stall there of 50 ms (a garbage collection, a
 * bot's burst of frames) would hold 50 ms of packets, which then arrive at the shaper at once, overflow its queue and
 * are dropped, so a capped link would lose packets a real bottleneck of that rate never would.
 */

/** Impairments of one direction of a link. All live-adjustable. */
export interface Impairment {
  /** 0..1: share of packets dropped. */
  loss: number;
  delayMs: number;
  /** Extra random delay, 0..jitterMs, per packet. */
  jitterMs: number;
  /** Bits per second; 0 for no cap. Packets over the cap (with a 200 ms queue) are dropped. */
  rateBps: number;
  /** Everything dropped. */
  blackout: boolean;
}

const clear = (): Impairment => ({ loss: 0, delayMs: 0, jitterMs: 0, rateBps: 0, blackout: false });

/**
 * What reached the rate caps since the relay started: packets, those dropped because the bottleneck's queue was full,
 * and RTP packets by payload type (RTCP, 64–95, left out), which tells resent packets (RTX) from media.
 */
export interface BottleneckCounts {
  arrived: number;
  dropped: number;
  rtpByPayloadType: Record<number, number>;
}

const bottleneck: BottleneckCounts = { arrived: 0, dropped: 0, rtpByPayloadType: {} };

function countAtBottleneck(packet: Buffer): void {
  bottleneck.arrived += 1;
  const payloadType = packet.length >= 12 && packet[0]! >> 6 === 2 ? packet[1]! & 0x7f : undefined;
  if (payloadType !== undefined && (payloadType < 64 || payloadType > 95)) {
    bottleneck.rtpByPayloadType[payloadType] = (bottleneck.rtpByPayloadType[payloadType] ?? 0) + 1;
  }
}

/** One direction's shaping: decides per packet whether to drop it and how long to hold it. */
class Shaper {
  impairment: Impairment = clear();
  private queueFreeAt = 0;

  /** Milliseconds to hold the packet, or undefined to drop it. */
  admit(packet: Buffer): number | undefined {
    const { loss, delayMs, jitterMs, rateBps, blackout } = this.impairment;
    if (blackout || Math.random() < loss) return undefined;
    let hold = delayMs + Math.random() * jitterMs;
    if (rateBps > 0) {
      countAtBottleneck(packet);
      const now = performance.now();
      const start = Math.max(now, this.queueFreeAt);
      if (start - now > 200) {
        bottleneck.dropped += 1; // the bottleneck's queue is full
        return undefined;
      }
      this.queueFreeAt = start + ((packet.length * 8) / rateBps) * 1000;
      hold += this.queueFreeAt - now;
    }
    return hold;
  }
}

/** The server's ICE username fragment in a STUN binding request from a client (USERNAME is `server:client`). */
export function stunServerUfrag(packet: Buffer): string | undefined {
  if (packet.length < 20 || packet.readUInt16BE(0) !== 0x0001 || packet.readUInt32BE(4) !== 0x2112a442) return undefined;
  for (let offset = 20; offset + 4 <= packet.length; ) {
    const type = packet.readUInt16BE(offset);
    const length = packet.readUInt16BE(offset + 2);
    if (type === 0x0006) return packet.toString('utf8', offset + 4, offset + 4 + length).split(':')[0];
    offset += 4 + Math.ceil(length / 4) * 4;
  }
  return undefined;
}

interface Client {
  socket: dgram.Socket;
  ufrag?: string;
  uplink: Shaper;
  downlink: Shaper;
}

/** The relay itself, as it runs on its own thread (see `UdpRelay` in weak-link.ts). */
export class RelayLoop {
  private readonly front = dgram.createSocket('udp4');
  private readonly clients = new Map<string, Client>();
  private readonly rules = new Map<string, { uplink: Impairment; downlink: Impairment }>();
  private closed = false;

  private constructor(private readonly target: { ip: string; port: number }) {}

  static async start(relayIp: string, target: { ip: string; port: number }): Promise<RelayLoop> {
    const relay = new RelayLoop(target);
    relay.front.on('message', (packet, from) => relay.fromClient(packet, from));
    await new Promise<void>((resolve) => relay.front.bind(target.port, relayIp, resolve));
    return relay;
  }

  /** Impairs the traffic of the SFU transports with these ICE username fragments, in one or both directions. */
  impair(ufrags: string[], direction: 'uplink' | 'downlink' | 'both', impairment: Partial<Impairment>): void {
    for (const ufrag of ufrags) {
      const rule = this.rules.get(ufrag) ?? { uplink: clear(), downlink: clear() };
      for (const side of direction === 'both' ? (['uplink', 'downlink'] as const) : [direction]) {
        rule[side] = { ...rule[side], ...impairment };
      }
      this.rules.set(ufrag, rule);
    }
    this.applyRules();
  }

  reset(): void {
    this.rules.clear();
    this.applyRules();
  }

  close(): void {
    this.closed = true;
    this.front.close();
    for (const client of this.clients.values()) client.socket.close();
  }

  private applyRules(): void {
    for (const client of this.clients.values()) {
      const rule = client.ufrag ? this.rules.get(client.ufrag) : undefined;
      client.uplink.impairment = rule?.uplink ?? clear();
      client.downlink.impairment = rule?.downlink ?? clear();
    }
  }

  private fromClient(packet: Buffer, from: dgram.RemoteInfo): void {
    const key = `${from.address}:${from.port}`;
    let client = this.clients.get(key);
    if (!client) {
      const socket = dgram.createSocket('udp4');
      socket.bind(0, '127.0.0.1');
      client = { socket, uplink: new Shaper(), downlink: new Shaper() };
      const known = client;
      socket.on('message', (reply) => this.forward(known.downlink, reply, () => this.front.send(reply, from.port, from.address)));
      this.clients.set(key, client);
    }
    const ufrag = stunServerUfrag(packet);
    if (ufrag && ufrag !== client.ufrag) {
      client.ufrag = ufrag;
      this.applyRules();
    }
    const out = client.socket;
    this.forward(client.uplink, packet, () => out.send(packet, this.target.port, this.target.ip));
  }

  private forward(shaper: Shaper, packet: Buffer, send: () => void): void {
    const hold = shaper.admit(packet);
    if (hold === undefined) return;
    if (hold <= 0) send();
    else setTimeout(() => this.closed || send(), hold); // a packet still queued when the relay closes is dropped
  }
}

/** Commands from `UdpRelay`, in order. */
export type RelayCommand =
  | { type: 'impair'; ufrags: string[]; direction: 'uplink' | 'downlink' | 'both'; impairment: Partial<Impairment> }
  | { type: 'reset' }
  | { type: 'counts' }
  | { type: 'close' };

if (parentPort && workerData?.relay) {
  const port = parentPort;
  const { relayIp, target } = workerData.relay as { relayIp: string; target: { ip: string; port: number } };
  void RelayLoop.start(relayIp, target).then((relay) => {
    port.on('message', (command: RelayCommand) => {
      if (command.type === 'counts') return port.postMessage(bottleneck);
      if (command.type === 'impair') relay.impair(command.ufrags, command.direction, command.impairment);
      else if (command.type === 'reset') relay.reset();
      else relay.close();
      port.postMessage('done');
    });
    port.postMessage('ready');
  });
}
