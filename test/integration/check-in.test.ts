// The safety check-in over real sockets, a real server, a real Redis and a real webhook receiver: the answers reach
// the staff only (waiting, admitted, a co-facilitator arriving later, after a reconnect), are refused to anyone but
// a client and for bad input, and are found nowhere else: not in Redis (raw or opened), the logs at debug level,
// /metrics, the audit log, any webhook or the session's report.
import http from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisServer, storedStrings } from '../../harness/redis-server.js';
import { connect, devToken, type TestClient } from '../../harness/signaling.js';
import { createCircle, type Circle } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logging/logger.js';
import { PrivacyKeys } from '../../src/privacy/privacy-keys.js';
import type { CheckIn } from '../../src/protocol/check-in.js';
import type { AdmittedView, LobbyEntry, PeerInfo } from '../../src/protocol/events.js';

const ROOM = 'check-in-group';
const WHERE = `Maple Street shelter ${Math.random().toString(36).slice(2)}`;
const MOVED = `my sister's flat ${Math.random().toString(36).slice(2)}`;
const logLines: string[] = [];
const webhookBodies: string[] = [];
const clients: TestClient[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let redis: RedisServer;
let receiver: http.Server;
let circle: Circle;
let url: string;
let adminUrl: string;
/** The facilitator's connection after the reconnect, to end the session with. */
let lead: TestClient;

beforeAll(async () => {
  redis = await RedisServer.start();
  receiver = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      webhookBodies.push(raw);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const config = loadConfig({
    env: { NODE_ENV: 'test' },
    overrides: {
      http: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
      auth: { devTokens: true },
      signaling: { maxConnectionsPerIp: 100_000, joinsPerIpPerMinute: 1_000_000 },
      mediasoup: { numWorkers: 1, listenIp: '127.0.0.1', announcedIp: '127.0.0.1', webRtcServerBasePort: 0 },
      store: { redisUrl: redis.url, snapshotIntervalMs: 100 },
      sessions: { resumeGraceMs: 5000 },
      rooms: { emptyRoomTimeoutMs: 200 },
      webhooks: { url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/circle`, secret: 'webhook-secret-0123456789abcdef0123456789abcdef', retryBaseMs: 50, maxAttempts: 2, timeoutMs: 2000 },
    },
  });
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      logLines.push(String(chunk));
      callback();
    },
  });
  circle = await createCircle(config, createLogger('debug', new PrivacyKeys(config.privacy.secret).logRef, sink));
  const listening = await circle.listen();
  url = `http://127.0.0.1:${listening.port}`;
  adminUrl = `http://127.0.0.1:${listening.adminPort}`;
});
afterAll(async () => {
  for (const client of clients) client.close();
  await circle?.shutdown(0);
  await redis?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function seat(participantId: string, role: string) {
  const client = await connect(url);
  clients.push(client);
  const { token } = await devToken(url, { room: ROOM, name: `Name of ${participantId}`, participantId, role });
  const result = await client.ok<{ askCheckIn: boolean; resumeToken: string; admitted?: AdmittedView }>('join', { token });
  return { client, result };
}

const latestLobby = (client: TestClient) => (client.events('lobbyUpdated') as { waiting: LobbyEntry[] }[]).at(-1)?.waiting ?? [];
const latestPeer = (client: TestClient, id: string) => (client.events('peerUpdated') as PeerInfo[]).filter((p) => p.participantId === id).at(-1);
async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

it('a client’s check-in reaches the staff only, waiting and admitted, later arrivals and reconnects included; bad input and other roles are refused', async () => {
  const fran = await seat('fran', 'facilitator');
  const ben = await seat('ben', 'client');
  await fran.client.ok('admit', { participantId: 'ben' });
  const ana = await seat('ana', 'client');
  expect(ana.result.askCheckIn).toBe(true);
  expect(fran.result.askCheckIn).toBe(false); // staff are never asked

  // Refusals change nothing.
  expect(await fran.client.call('checkIn', { location: 'office', private: true, headphones: true })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  for (const bad of [{ location: '\u200b\u0007 ', private: true, headphones: null }, { location: 'x'.repeat(201), private: true, headphones: null }, { location: 'home', private: 'yes', headphones: null }, { location: 'home', private: true }]) {
    expect(await ana.client.call('checkIn', bad)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  }
  expect(latestLobby(fran.client).find((entry) => entry.participantId === 'ana')?.checkIn ?? null).toBeNull();

  // Waiting: the staff's lobby list carries it, normalised.
  await ana.client.ok('checkIn', { location: ` ${WHERE}\u200b `, private: false, headphones: null });
  await eventually(() => latestLobby(fran.client).find((entry) => entry.participantId === 'ana')?.checkIn?.location === WHERE, 'the answers in the lobby list');
  expect(latestLobby(fran.client).find((entry) => entry.participantId === 'ana')!.checkIn).toMatchObject({ location: WHERE, private: false, headphones: null, answeredAt: expect.any(String) });

  // Admitted, then "I moved": the staff see the new answers; the other client sees Ana without any check-in.
  await fran.client.ok('admit', { participantId: 'ana' });
  await ana.client.ok('checkIn', { location: MOVED, private: true, headphones: true });
  await eventually(() => latestPeer(fran.client, 'ana')?.checkIn?.location === MOVED, 'the new answers at the facilitator');
  // A co-facilitator who arrives later is shown it as they arrive; so is the facilitator after a reconnect.
  const cole = await seat('cole', 'cofacilitator');
  expect((cole.result.admitted!.peers.find((p) => p.participantId === 'ana')!.checkIn as CheckIn).location).toBe(MOVED);
  fran.client.close();
  const franAgain = await connect(url);
  clients.push(franAgain);
  const resumed = await franAgain.ok<{ admitted: AdmittedView }>('resume', { resumeToken: fran.result.resumeToken });
  lead = franAgain;
  expect(resumed.admitted.peers.find((p) => p.participantId === 'ana')!.checkIn?.location).toBe(MOVED);
  await sleep(300);
  const benSaw = JSON.stringify(ben.client.received);
  expect(benSaw).not.toContain(WHERE);
  expect(benSaw).not.toContain(MOVED);
  expect(benSaw).not.toContain('checkIn');
  expect(JSON.stringify(ana.client.received)).not.toContain(WHERE); // not echoed to the client either

  // The room's setting: staff turn it off; a client is then not asked.
  expect(await ben.client.call('setCheckIn', { ask: false })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  await franAgain.ok('setCheckIn', { ask: false });
  expect((await seat('carl', 'client')).result.askCheckIn).toBe(false);
});

it('the answers are nowhere else: Redis (raw and opened), the logs at debug level, /metrics, the audit log, webhooks, the report', async () => {
  await sleep(500); // a snapshot or two
  const stored = await storedStrings(redis.url);
  const opened = (await circle.kv.get(`circle:room:${ROOM}:state`)) ?? '';
  expect(opened).toContain('ana'); // the state is there, as ids
  const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
  const room = circle.registry.get(ROOM)!;
  const audit = JSON.stringify(room.record.audit);
  expect(audit).toContain('setCheckIn');
  // The session ends: its report goes out in a webhook.
  await lead.ok('end');
  await eventually(() => webhookBodies.some((body) => body.includes('"session.report"')), 'the session’s report in a webhook');
  expect(webhookBodies.find((body) => body.includes('"session.report"'))).toContain('"participants"');
  const places: [string, string][] = [['redis', stored.join('\n')], ['room state', opened], ['logs', logLines.join('')], ['metrics', metrics], ['audit log', audit], ['webhooks and the report', webhookBodies.join('\n')]];
  for (const [where, haystack] of places) {
    for (const answer of [WHERE, MOVED, 'Maple Street', "sister's flat"]) expect(haystack.includes(answer), `${where} holds a check-in`).toBe(false);
  }
});
