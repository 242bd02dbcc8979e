import { createCircle, type Circle } from '../src/app.js';
import { loadConfig, mergeDeep, type JsonObject } from '../src/config/load.js';
import { createLogger } from '../src/logging/logger.js';
import { PrivacyKeys } from '../src/privacy/privacy-keys.js';


export interface RunningCircle {
  circle: Circle;
  url: string;
  /** The internal listener: health, readiness, metrics, administration. */
  adminUrl: string;
  /** The phone bridge's SIP port on 127.0.0.1 (UDP and TCP), when it runs. */
  sipPort: number | undefined;
  stop(): Promise<void>;
}

/** A real Circle (real workers, real Socket.IO) on loopback, on free ports. */
export async function startCircle(overrides: JsonObject = {}): Promise<RunningCircle> {
  const base: JsonObject = {
    http: { host: '127.0.0.1', port: 0, serveWebApp: true },
    admin: { host: '127.0.0.1', port: 0 },
    auth: { devTokens: true },
    // Every test client is at one loopback address: the per-address limits would count them as one.
    signaling: { maxConnectionsPerIp: 100_000, joinsPerIpPerMinute: 1_000_000 },
    logging: { level: process.env.TEST_LOG_LEVEL ?? 'silent' },
    mediasoup: { numWorkers: 1, listenIp: '127.0.0.1', announcedIp: '127.0.0.1', webRtcServerBasePort: 0 },
    rooms: { emptyRoomTimeoutMs: 200 },
    // A closed test client leaves soon after; the tests of resuming a seat set their own grace.
    sessions: { resumeGraceMs: 100 },
    phone: { sipPort: 0 },
    // The end-to-end encryption matrix (vitest.config.ts) runs browser tests with every session encrypted.
    e2ee: { mode: process.env.CIRCLE_TEST_E2EE ?? 'off' },
  };
  const config = loadConfig({ env: { NODE_ENV: 'test' }, overrides: mergeDeep(base, overrides) });
  const circle = await createCircle(config, createLogger(config.logging.level, new PrivacyKeys(config.privacy.secret).logRef));
  const { port, adminPort, sipPort } = await circle.listen();
  return { circle, url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}`, sipPort, stop: () => circle.shutdown(0) };
}

/** The value of one sample line of a Prometheus exposition, or undefined when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (.+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labelText = match[2] ?? '';
    if (wanted.every((pair) => labelText.includes(pair))) return Number(match[3]);
  }
  return undefined;
}
