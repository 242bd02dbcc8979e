import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { UdpRelay, stunServerUfrag } from '../../harness/weak-link.js';

/** A STUN binding request whose USERNAME is `server:client`, as a browser sends to an SFU. */
function bindingRequest(serverUfrag: string): Buffer {
  const username = Buffer.from(`${serverUfrag}:browser`);
  const padded = Math.ceil(username.length / 4) * 4;
  const packet = Buffer.alloc(20 + 4 + padded);
  packet.writeUInt16BE(0x0001, 0);
  packet.writeUInt16BE(4 + padded, 2);
  packet.writeUInt32BE(0x2112a442, 4);
  packet.writeUInt16BE(0x0006, 20);
  packet.writeUInt16BE(username.length, 22);
  username.copy(packet, 24);
  return packet;
}

const sockets: dgram.Socket[] = [];
let relay: UdpRelay | undefined;
afterEach(async () => {
  await relay?.close();
  for (const socket of sockets.splice(0)) socket.close();
});

async function bound(ip = '127.0.0.1'): Promise<dgram.Socket & { port: number }> {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, ip, resolve));
  return Object.assign(socket, { port: socket.address().port });
}

/** A server that echoes, a relay in front of it on 127.0.0.2, and a client that says who it is by STUN. */
async function link(ufrag: string) {
  const server = await bound();
  server.on('message', (packet, from) => server.send(packet, from.port, from.address));
  relay = await UdpRelay.start('127.0.0.2', { ip: '127.0.0.1', port: server.port });
  const client = await bound();
  const echoes: number[] = [];
  client.on('message', () => echoes.push(performance.now()));
  client.send(bindingRequest(ufrag), server.port, '127.0.0.2');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const send = async (count: number, bytes = 100, gapMs = 0) => {
    for (let i = 0; i < count; i += 1) {
      client.send(Buffer.alloc(bytes, 1), server.port, '127.0.0.2');
      if (gapMs) await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  };
  return { relay, echoes, send };
}

describe('the weak-link relay', () => {
  it('reads the SFU ufrag from a STUN binding request and nothing else', () => {
    expect(stunServerUfrag(bindingRequest('abc123'))).toBe('abc123');
    expect(stunServerUfrag(Buffer.alloc(40))).toBeUndefined();
  });

  it('forwards both ways untouched by default, and drops everything in a blackout', async () => {
    const { relay, echoes, send } = await link('u1');
    echoes.length = 0;
    await send(20);
    expect(echoes).toHaveLength(20);
    await relay.impair(['u1'], 'downlink', { blackout: true });
    await send(20);
    expect(echoes).toHaveLength(20);
    await relay.reset();
    await send(5);
    expect(echoes).toHaveLength(25);
  });

  it('drops about the configured share, and only for the impaired client', async () => {
    const { relay, echoes, send } = await link('u2');
    await relay.impair(['someone-else'], 'both', { loss: 1 });
    echoes.length = 0;
    await send(50);
    expect(echoes).toHaveLength(50);
    await relay.impair(['u2'], 'uplink', { loss: 0.25 });
    echoes.length = 0;
    await send(400, 100, 1); // paced, so the kernel's socket buffers drop nothing themselves
    // 300 expected; the bounds are about four standard deviations wide.
    expect(echoes.length).toBeGreaterThan(250);
    expect(echoes.length).toBeLessThan(350);
  });

  it('delays, and caps the rate', async () => {
    const { relay, echoes, send } = await link('u3');
    await relay.impair(['u3'], 'downlink', { delayMs: 150 });
    echoes.length = 0;
    const sent = performance.now();
    await send(1);
    expect(echoes[0]! - sent).toBeGreaterThanOrEqual(145);

    await relay.reset();
    await relay.impair(['u3'], 'uplink', { rateBps: 200_000 });
    echoes.length = 0;
    // 1 s of 1,000-byte packets at 800 kbit/s through a 200 kbit/s cap: about a quarter gets through.
    await send(100, 1000, 10);
    expect(echoes.length).toBeGreaterThan(15);
    expect(echoes.length).toBeLessThan(45);
  });
});
