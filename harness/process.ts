import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** The internal listener: health, readiness, metrics, administration. */
  adminUrl: string;
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
}

/** Starts `node dist/src/main.js` as an operator would, and waits for its "listening" log line. */
export async function startServerProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: {
      PATH: process.env.PATH ?? '',
      // A test or benchmark server: demo tokens on (they bind it to loopback), development secrets allowed.
      NODE_ENV: 'test',
      CIRCLE_AUTH_DEV_TOKENS: 'true',
      // Every bot and test client is at one loopback address: the per-address limits would count them as one.
      CIRCLE_SIGNALING_MAX_CONNECTIONS_PER_IP: '100000',
      CIRCLE_SIGNALING_JOINS_PER_IP_PER_MINUTE: '1000000',
      CIRCLE_HTTP_HOST: '127.0.0.1',
      CIRCLE_HTTP_PORT: '0',
      CIRCLE_HTTP_SERVE_WEB_APP: 'true',
      CIRCLE_ADMIN_PORT: '0',
      CIRCLE_MEDIASOUP_NUM_WORKERS: '1',
      CIRCLE_MEDIASOUP_LISTEN_IP: '127.0.0.1',
      CIRCLE_MEDIASOUP_WEB_RTC_SERVER_BASE_PORT: '0',
      CIRCLE_PHONE_SIP_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const { port, adminPort } = await new Promise<{ port: number; adminPort: number }>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry.msg === 'circle listening') resolve({ port: entry.port as number, adminPort: entry.adminPort as number });
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
    void exited.then((code) => reject(new Error(`exited with ${code}: ${stderr}`)));
    // The line is logged at info level; a quieter level, or a stuck start, must not hang the caller.
    setTimeout(() => reject(new Error('no "circle listening" line within 30 s')), 30_000).unref();
  });
  return { child, url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}`, logs, exited };
}
