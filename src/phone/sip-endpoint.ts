import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import sip, { type SipMessage } from 'sip';
import { KeyedBuckets } from '../limits/keyed-buckets.js';

/** Where a message came from and how to answer it: the same transport, back to the same address and port. */
export interface Flow {
  /** TLS: the only flow whose SDP may carry SRTP keys. */
  protocol: 'UDP' | 'TCP' | 'TLS';
  address: string;
  port: number;
  send(message: SipMessage): void;
}

export const DROP_REASONS = ['source-not-allowed', 'rate-limited', 'too-large', 'unparsable'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface EndpointSettings {
  host: string;
  port: number;
  tcp: boolean;
  /** SIP over TLS on its own port (0: none), with the node's certificate. */
  tls: { port: number; certFile: string; keyFile: string };
  /** CIDR blocks: the clinic's trunk and edge proxy. */
  allowedSources: string[];
  messagesPerSecondPerSource: number;
  messagesBurstPerSource: number;
}

/** Larger than any INVITE a trunk sends; anything bigger is not a call. */
const MAX_MESSAGE_BYTES = 16_384;

function allowList(blocks: string[]): net.BlockList {
  const list = new net.BlockList();
  for (const block of blocks) {
    const [address, prefix] = block.split('/') as [string, string];
    list.addSubnet(address, Number(prefix), net.isIPv6(address) ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** A message with the headers every SIP message needs; the rest of the stack can rely on them. */
function complete(message: SipMessage | undefined): message is SipMessage {
  const headers = message?.headers;
  return !!headers && Array.isArray(headers.via) && headers.via.length > 0 && !!headers['call-id'] && typeof headers.cseq === 'object' && !!headers.from && !!headers.to;
}

/**
 * Circle's SIP sockets (UDP, TCP if enabled, TLS on its own port if configured). Each datagram or connection is
 * checked before a byte is parsed:
 * from an allowed network, within its source's rate, not oversized; anything else is dropped unanswered (a scanner
 * learns nothing). Parsing is the `sip` package's; a message missing the headers every SIP message has is dropped.
 */
export class SipEndpoint {
  private readonly allowed: net.BlockList;
  private readonly buckets: KeyedBuckets;
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private tls: tls.Server | undefined;
  private readonly connections = new Set<net.Socket>();

  constructor(
    private readonly settings: EndpointSettings,
    private readonly onMessage: (message: SipMessage, flow: Flow) => void,
    private readonly onDrop: (reason: DropReason) => void,
  ) {
    this.allowed = allowList(settings.allowedSources);
    this.buckets = new KeyedBuckets(settings.messagesPerSecondPerSource, settings.messagesBurstPerSource);
  }

  /**
   * Binds UDP, then TCP on the same port. With port 0 the UDP socket picks a free port, which TCP may find taken by
   * another program: then both close and a new port is picked (a few times), rather than fail to start.
   */
  async listen(): Promise<number> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.bind();
      } catch (error) {
        await this.close();
        const retry = this.settings.port === 0 && (error as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 5;
        if (!retry) throw error;
      }
    }
  }

  private async bind(): Promise<number> {
    const family = net.isIPv6(this.settings.host) ? 'udp6' : 'udp4';
    const udp = dgram.createSocket(family);
    this.udp = udp;
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.settings.port, this.settings.host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', () => undefined); // a send to an unreachable peer: the transaction's timers decide
    udp.on('message', (data, from) => this.receiveDatagram(data, from));
    const port = udp.address().port;
    if (this.settings.tcp) {
      const tcp = net.createServer((socket) => this.accept(socket));
      this.tcp = tcp;
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, this.settings.host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    }
    if (this.settings.tls.port) await this.listenTls();
    return port;
  }

  /**
   * TLS: the network and rate checks run on the bare connection, before a handshake is spent on it; a handshake
   * that does not finish in 10 s is dropped.
   */
  private async listenTls(): Promise<void> {
    const { port, certFile, keyFile } = this.settings.tls;
    const server = tls.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2', handshakeTimeout: 10_000 }, (socket) =>
      this.serve(socket, 'TLS'),
    );
    this.tls = server;
    server.on('connection', (socket: net.Socket) => {
      if (!this.admits(socket.remoteAddress ?? '')) socket.destroy();
    });
    server.on('tlsClientError', () => undefined); // a failed handshake is the client's problem; the socket is gone
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.settings.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    for (const socket of this.connections) socket.destroy();
    const { udp, tcp, tls: secure } = this;
    this.udp = this.tcp = this.tls = undefined;
    await Promise.all([
      new Promise<void>((resolve) => {
        // A socket whose bind failed may be closed already.
        try {
          if (udp) udp.close(() => resolve());
          else resolve();
        } catch {
          resolve();
        }
      }),
      ...[tcp, secure].map((server) => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))),
    ]);
  }

  /** A flow of this node's own making: SIP over UDP from the SIP port to another node's bridge. */
  flowTo(address: string, port: number): Flow {
    return { protocol: 'UDP', address, port, send: (out) => this.sendDatagram(out, address, port) };
  }

  private sendDatagram(message: SipMessage, address: string, port: number): void {
    this.udp?.send(Buffer.from(sip.stringify(message), 'binary'), port, address);
  }

  private admits(address: string): boolean {
    if (!this.allowed.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4')) {
      this.onDrop('source-not-allowed');
      return false;
    }
    if (!this.buckets.take(address)) {
      this.onDrop('rate-limited');
      return false;
    }
    return true;
  }

  private receiveDatagram(data: Buffer, from: dgram.RemoteInfo): void {
    if (!this.admits(from.address)) return;
    if (data.length > MAX_MESSAGE_BYTES) return this.onDrop('too-large');
    let message: SipMessage | undefined;
    try {
      message = sip.parse(data);
    } catch {
      message = undefined;
    }
    if (!complete(message)) return this.onDrop('unparsable');
    this.deliver(message, this.flowTo(from.address, from.port));
  }

  private accept(socket: net.Socket): void {
    if (this.admits(socket.remoteAddress ?? '')) this.serve(socket, 'TCP');
    else socket.destroy();
  }

  /** A connection from an admitted source (TCP, or TLS once its handshake is done): SIP messages framed by length. */
  private serve(socket: net.Socket, protocol: 'TCP' | 'TLS'): void {
    const address = socket.remoteAddress ?? '';
    this.connections.add(socket);
    socket.setEncoding('binary');
    socket.setTimeout(120_000, () => socket.destroy());
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => socket.destroy());
    const flow: Flow = {
      protocol,
      address,
      port: socket.remotePort ?? 0,
      send: (out) => {
        if (!socket.destroyed) socket.write(sip.stringify(out), 'binary');
      },
    };
    const parse = sip.makeStreamParser(
      (message) => (complete(message) ? this.deliver(message, flow) : this.onDrop('unparsable')),
      () => {
        this.onDrop('too-large');
        socket.destroy();
      },
      MAX_MESSAGE_BYTES,
      MAX_MESSAGE_BYTES,
    );
    socket.on('data', (chunk: string) => {
      if (!this.buckets.take(address)) {
        this.onDrop('rate-limited');
        socket.destroy();
        return;
      }
      try {
        parse(chunk);
      } catch {
        this.onDrop('unparsable');
        socket.destroy();
      }
    });
  }

  private deliver(message: SipMessage, flow: Flow): void {
    // RFC 3261 §18.2.1: the address a request really came from is recorded in its top Via.
    if (message.method) message.headers.via[0]!.params.received = flow.address;
    this.onMessage(message, flow);
  }
}
