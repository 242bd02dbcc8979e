// The TURN relay, with Debian's coturn and coturn's own test client: every join and resume carries short-lived
// relay credentials that coturn accepts (over UDP and TCP) without asking Circle, that it refuses once their
// lifetime has passed or if tampered with, and that name no one. A node without a secret offers no relay and says so.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Coturn, relayEcho } from '../../harness/coturn.js';
import { startCircle, type RunningCircle } from '../../harness/circle.js';
import { connect, devToken } from '../../harness/signaling.js';
import { createCircle } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logging/logger.js';
import type { IceServer, JoinResult } from '../../src/protocol/events.js';
import { PrivacyKeys } from '../../src/privacy/privacy-keys.js';

const LIFETIME_SECONDS = 600;
let turn: Coturn;
let server: RunningCircle;
beforeAll(async () => {
  turn = await Coturn.start();
  server = await startCircle({ turn: turn.circleConfig(LIFETIME_SECONDS), sessions: { resumeGraceMs: 5000 } });
});
afterAll(async () => {
  await server?.stop();
  await turn?.stop();
});

async function join(room: string, name: string, on = server) {
  const { token } = await devToken(on.url, { room, name, participantId: `${name}-id`, role: 'facilitator' });
  const client = await connect(on.url);
  return { client, joined: await client.ok<JoinResult>('join', { token }) };
}

it('a join carries relay credentials for UDP and TCP that coturn accepts; they name no one; a resume brings fresh ones', async () => {
  const { client, joined } = await join('turn-room-1', 'Ruth');
  try {
    const [relay] = joined.iceServers as IceServer[];
    expect(joined.iceServers).toHaveLength(1);
    expect(relay!.urls).toEqual([`turn:127.0.0.1:${turn.port}?transport=udp`, `turn:127.0.0.1:${turn.port}?transport=tcp`]);
    // The TURN REST API username: expiry, then an opaque tag; coturn logs it, so it carries no id, name or room.
    const [expiry, tag] = relay!.username.split(':');
    expect(Number(expiry) - Date.now() / 1000).toBeGreaterThan(LIFETIME_SECONDS - 2);
    expect(Number(expiry) - Date.now() / 1000).toBeLessThanOrEqual(LIFETIME_SECONDS);
    expect(relay!.username).not.toMatch(/Ruth|turn-room|-id/);
    expect(tag).toMatch(/^[0-9a-f]{12}$/);

    for (const transport of ['udp', 'tcp'] as const) {
      const echo = await relayEcho(relay!, transport);
      expect(echo.relayed, `${transport}: ${echo.output}`).toBe(true);
    }
    const forged = await relayEcho({ ...relay!, credential: Buffer.alloc(20, 7).toString('base64') }, 'udp');
    expect(forged.relayed).toBe(false);
    expect(forged.output).toContain('Cannot complete Allocation');

    client.close();
    const again = await connect(server.url);
    try {
      const resumed = await again.ok<JoinResult>('resume', { resumeToken: joined.resumeToken });
      expect(resumed.iceServers![0]!.username).not.toBe(relay!.username);
    } finally {
      again.close();
    }
  } finally {
    client.close();
  }
});

it('a pre-session check (no token) gets relay credentials for the check’s own minutes, not a session’s hours; coturn accepts them', async () => {
  const client = await connect(server.url);
  try {
    const started = await client.ok<{ iceServers?: IceServer[] }>('startCheck', {});
    const relay = started.iceServers![0]!;
    const left = Number(relay.username.split(':')[0]) - Date.now() / 1000;
    const lifetimeSeconds = server.circle.config.check.lifetimeMs / 1000;
    expect(left).toBeGreaterThan(lifetimeSeconds);
    expect(left).toBeLessThanOrEqual(lifetimeSeconds + 60);
    expect(left).toBeLessThan(LIFETIME_SECONDS);
    expect((await relayEcho(relay, 'udp')).relayed).toBe(true);
  } finally {
    client.close();
  }
});

it('the relay as Circle sets it up refuses IPv6 peers (loopback here, private and internal alike) as it refuses IPv4 ones', async () => {
  const dual = await Coturn.start({ ipv6: true });
  const brief = await startCircle({ turn: dual.circleConfig(600) });
  try {
    const { client, joined } = await join('turn-room-6', 'Val', brief);
    client.close();
    const relay = joined.iceServers![0]!;
    expect((await relayEcho(relay, 'udp')).relayed).toBe(true); // the SFU's address: allowed
    const toIpv6 = await relayEcho(relay, 'udp', { via: '::1', peerHost: '::1' });
    expect(toIpv6.relayed).toBe(false);
    expect(toIpv6.output).toContain('403 (Forbidden IP)');
  } finally {
    await brief.stop();
    await dual.stop();
  }
});

it('credentials are refused by the relay once their lifetime has passed', async () => {
  const brief = await startCircle({ turn: turn.circleConfig(2) });
  try {
    const { client, joined } = await join('turn-room-2', 'Sam', brief);
    client.close();
    const relay = joined.iceServers![0]!;
    const expiry = Number(relay.username.split(':')[0]) * 1000;
    await new Promise((resolve) => setTimeout(resolve, expiry - Date.now() + 1200));
    const late = await relayEcho(relay, 'udp');
    expect(late.relayed).toBe(false);
    expect(late.output).toContain('Cannot complete Allocation');
  } finally {
    await brief.stop();
  }
});

it('without turn.secret a node offers no relay, and warns at start rather than use a default', async () => {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
  const config = loadConfig({
    env: { NODE_ENV: 'production', CIRCLE_AUTH_TOKEN_SECRET: 'p'.repeat(40), CIRCLE_ADMIN_BEARER_SECRET: 'q'.repeat(40), CIRCLE_PRIVACY_SECRET: 'r'.repeat(40) },
    overrides: { mediasoup: { numWorkers: 1, listenIp: '127.0.0.1', webRtcServerBasePort: 0 }, http: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 }, phone: { enabled: false } },
  });
  expect(config.turn.secret).toBe('');
  const circle = await createCircle(config, createLogger('info', new PrivacyKeys(config.privacy.secret).logRef, sink));
  try {
    const warning = lines.map((line) => JSON.parse(line) as { level: string; msg: string }).find((line) => line.msg.includes('turn.secret'));
    expect(warning?.level).toBe('warn');
    expect(warning?.msg).toContain('no TURN relay is offered');
  } finally {
    await circle.shutdown(0);
  }
  // And a node without one answers joins without iceServers (the suite's second server, on the dev defaults).
  const plain = await startCircle();
  try {
    const { token } = await devToken(plain.url, { room: 'no-turn', name: 'Tess', role: 'facilitator' });
    const client = await connect(plain.url);
    expect((await client.ok<JoinResult>('join', { token })).iceServers).toBeUndefined();
    client.close();
  } finally {
    await plain.stop();
  }
});
