import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { KeyedBuckets } from '../limits/keyed-buckets.js';
import { Networks } from './networks.js';
import { parseSip, SipStreamParser } from './sip-parse.js';
import { SIP_LIMITS, SipParseError, stringifySip, type SipMessage } from './sip-wire.js';

/** Where a message came from and how to answer it: the same transport, back to the same address and port. */
export interface Flow {
  /** TLS: the only flow whose SDP may carry SRTP keys. */
  protocol: 'UDP' | 'TCP' | 'TLS';
  address: string;
  port: number;
  send(message: SipMessage): void;
}

/**
 * Why a SIP message was dropped, or (`media-not-allowed`) an INVITE refused for media outside the trunk's networks, or
 * (`unauthenticated`) a TLS connection whose handshake failed: no client certificate from `phone.tls.clientCaFile`.
 */
export const DROP_REASONS = ['source-not-allowed', 'rate-limited', 'too-large', 'unparsable', 'media-not-allowed', 'unauthenticated'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface EndpointSettings {
  host: string;
  port: number;
  tcp: boolean;
  /** SIP over TLS on its own port (0: none), with the node's certificate. */
  tls: { port: number; certFile: string; keyFile: string; clientCaFile: string };
  /** CIDR blocks: the clinic's trunk and edge proxy. */
  allowedSources: string[];
  messagesPerSecondPerSource: number;
  messagesBurstPerSource: number;
}

/**
 * Circle's SIP sockets (UDP, TCP if enabled, TLS on its own port if configured). Each datagram or connection is
 * checked before a byte is parsed:
 * from an allowed network, within its source's rate, not oversized; anything else is dropped unanswered (a scanner
 * learns nothing). Parsing is the `sip` package's; a message missing the headers every SIP message has is dropped.
 */
export class SipEndpoint {
  private readonly allowed: Networks;
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
    this.allowed = new Networks(settings.allowedSources);
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
    const { port, certFile, keyFile, clientCaFile } = this.settings.tls;
    // With a CA for the trunks' certificates, a connection is refused in its handshake unless its certificate is one.
    const clientCertificates = clientCaFile ? { requestCert: true, rejectUnauthorized: true, ca: readFileSync(clientCaFile) } : {};
    const server = tls.createServer(
      { cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2', handshakeTimeout: 10_000, ...clientCertificates },
      (socket) => this.serve(socket, 'TLS'),
    );
    this.tls = server;
    server.on('connection', (socket: net.Socket) => {
      if (!this.admits(socket.remoteAddress ?? '')) socket.destroy();
    });
    // A failed handshake: the socket is gone. Counted where it may be a trunk without its certificate.
    server.on('tlsClientError', () => clientCaFile && this.onDrop('unauthenticated'));
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
    this.udp?.send(Buffer.from(stringifySip(message), 'latin1'), port, address);
  }

  private admits(address: string): boolean {
    if (!this.allowed.contains(address)) {
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
    if (data.length > SIP_LIMITS.maxMessageBytes) return this.onDrop('too-large');
    let message: SipMessage;
    try {
      message = parseSip(data);
    } catch {
      return this.onDrop('unparsable');
    }
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
    socket.setEncoding('latin1');
    socket.setTimeout(120_000, () => socket.destroy());
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => socket.destroy());
    const flow: Flow = {
      protocol,
      address,
      port: socket.remotePort ?? 0,
      send: (out) => {
        if (!socket.destroyed) socket.write(stringifySip(out), 'latin1');
      },
    };
    const parser = new SipStreamParser((message) => this.deliver(message, flow));
    socket.on('data', (chunk: string) => {
      if (!this.buckets.take(address)) {
        this.onDrop('rate-limited');
        socket.destroy();
        return;
      }
      try {
        parser.push(chunk);
      } catch (error) {
        // Past the size limit, or not SIP: the stream cannot be framed again, so the connection goes.
        this.onDrop(error instanceof SipParseError && error.tooLarge ? 'too-large' : 'unparsable');
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
