import dgram from 'node:dgram';
import net from 'node:net';

/** A loopback TCP port free right now, for a server a test starts (redis-server, Prometheus). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * An even UDP port `p` with `p + 2` also free on every address, below the kernel's ephemeral range and the phone's
 * RTP range, for sipp's `-mp` (it binds both at start and exits at once if either is taken).
 */
export async function freeSippMediaPort(): Promise<number> {
  for (;;) {
    const port = 20000 + 2 * Math.floor(Math.random() * 6000);
    if ((await udpFree(port)) && (await udpFree(port + 2))) return port;
  }
}

function udpFree(port: number): Promise<boolean> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, '0.0.0.0', () => socket.close(() => resolve(true)));
  });
}

/** Resolves once something accepts TCP connections on `host`:`port` (a server a test started is up). */
export async function waitForPort(port: number, timeoutMs: number, what: string, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, host, () => (socket.end(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${host}:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
