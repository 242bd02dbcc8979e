// Webhooks and the attendance report against the real thing: a real server sends to a real HTTP receiver that
// checks every signature; a refused delivery is retried; a session's events arrive (ids only) and, when it ends, its
// attendance report, the same the API serves. A receiver that never answers does not slow a room down.
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCircle, sample, type RunningCircle } from '../../harness/circle.js';
import { connect, devToken, type TestClient } from '../../harness/signaling.js';
import { SipCaller } from '../../harness/sip-caller.js';
import { ApiKeys } from '../../src/api/api-keys.js';
import type { SessionReport } from '../../src/reports/attendance.js';
import { Webhook } from 'standardwebhooks';

const SECRET = 'webhook-secret-0123456789abcdef0123456789abcdef';
const API_KEY = 'report-reader-0123456789abcdef0123456789';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Delivery {
  id: string;
  verified: boolean;
  headers: Record<string, string>;
  body: { type: string; roomId: string; participantId?: string; sequence: number; report?: SessionReport; audioOnly?: boolean };
  raw: string;
}

/** Whether Standard Webhooks' own verifier (npm `standardwebhooks`) accepts a delivery, the secret given raw. */
function verifies(secret: string, raw: string, headers: Record<string, string>): boolean {
  try {
    new Webhook(secret, { format: 'raw' }).verify(raw, headers);
    return true;
  } catch {
    return false;
  }
}

/** A receiver as a clinic would run one: it checks the signature of everything, and can refuse or never answer. */
async function receiver(answer: (delivery: Delivery, attempt: number) => number | 'hang') {
  const deliveries: Delivery[] = [];
  const attempts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      const delivery = { id, raw, headers: req.headers as Record<string, string>, verified: verifies(SECRET, raw, req.headers as Record<string, string>), body: JSON.parse(raw) };
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      deliveries.push(delivery);
      const status = answer(delivery, attempt);
      if (status !== 'hang') res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/circle`;
  return { url, deliveries, attempts, close: () => {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections(); // a hanging delivery would hold the close open
      return closed;
    },
  };
}

let receiving: Awaited<ReturnType<typeof receiver>>;
let server: RunningCircle;
const clients: TestClient[] = [];

beforeAll(async () => {
  // The first attempt of each admission is refused: it must come again.
  receiving = await receiver((delivery, attempt) => (delivery.body.type === 'participant.admitted' && attempt === 1 ? 500 : 200));
  server = await startCircle({
    webhooks: { url: receiving.url, secret: SECRET, retryBaseMs: 50, maxAttempts: 4, timeoutMs: 2000 },
    sessions: { resumeGraceMs: 3000 },
    api: { keys: [ApiKeys.create('reports', API_KEY, ['read'])] },
  });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server?.stop();
  await receiving?.close();
});

async function seat(room: string, participantId: string, role: string, name: string) {
  const client = await connect(server.url);
  clients.push(client);
  const { token } = await devToken(server.url, { room, name, role, participantId });
  const joined = await client.ok<{ resumeToken: string; dialIn?: { pin: string } }>('join', { token });
  return { client, resumeToken: joined.resumeToken, joined };
}

it('a session’s events reach the receiver signed, retried when refused, ids only; at its end the attendance report, as the API serves it', async () => {
  const fola = await seat('hooked', 'fola', 'facilitator', 'Zelda Quartermaine');
  const kim = await seat('hooked', 'kim', 'client', 'Ysolde Marchbanks');
  await fola.client.ok('admit', { participantId: 'kim' });
  await kim.client.ok('setAudioOnly', { enabled: true });
  const { sideRoomId } = await fola.client.ok<{ sideRoomId: string }>('openSideRoom', { participantIds: ['kim'] });
  await sleep(300);
  await fola.client.ok('closeSideRoom', { sideRoomId });
  // Kim's connection drops and comes back with the resume token.
  kim.client.close();
  await sleep(300);
  const back = await connect(server.url);
  clients.push(back);
  await back.ok('resume', { resumeToken: kim.resumeToken });
  await seat('hooked', 'lou', 'client', 'Xanthe Lowry');
  await fola.client.ok('admit', { participantId: 'lou' });
  await fola.client.ok('remove', { participantId: 'lou' });
  await sleep(200);
  await fola.client.ok('end', {});

  await expect.poll(() => receiving.deliveries.some((d) => d.body.type === 'session.report'), { timeout: 5000 }).toBe(true);
  await sleep(300); // any retry still on its way
  const delivered = receiving.deliveries;
  expect(delivered.every((d) => d.verified)).toBe(true);
  expect(verifies('another-secret-0123456789abcdef0123456789', delivered[0]!.raw, delivered[0]!.headers)).toBe(false);
  expect(verifies(SECRET, delivered[0]!.raw.replace('hooked', 'hooker'), delivered[0]!.headers)).toBe(false);
  // Each admission was refused once and delivered on the next attempt, under the same id.
  const admissions = delivered.filter((d) => d.body.type === 'participant.admitted');
  expect(new Set(admissions.map((d) => d.id)).size).toBe(3);
  expect(admissions).toHaveLength(6);

  const firsts = [...new Map(delivered.map((d) => [d.id, d.body])).values()].sort((a, b) => a.sequence - b.sequence);
  // One sequence, no gaps: every event numbered once, from the store's count.
  expect(firsts.map((b) => b.sequence)).toEqual(firsts.map((_, i) => firsts[0]!.sequence + i));
  const kinds = firsts.map((b) => `${b.type}${b.participantId ? ` ${b.participantId}` : ''}`);
  expect(kinds).toEqual(
    expect.arrayContaining([
      'participant.joined fola',
      'session.started',
      'participant.joined kim',
      'participant.admitted kim',
      'participant.audioOnly kim',
      'participant.removed lou',
      'session.ended',
      'session.report',
    ]),
  );
  // Not for the clinic's systems: why or with whom someone stepped out, or a connection's every change.
  expect(kinds.some((k) => /sideRoom|reconnecting|resumed|quality/.test(k))).toBe(false);
  expect(firsts.every((b) => b.roomId === 'hooked')).toBe(true);
  const everything = delivered.map((d) => d.raw).join('\n');
  for (const name of ['Zelda', 'Ysolde', 'Xanthe']) expect(everything).not.toContain(name);

  const report = firsts.find((b) => b.type === 'session.report')!.report!;
  expect(report).toMatchObject({ roomId: 'hooked', startedAt: expect.any(String), endedAt: expect.any(String), worstQuality: 'reconnecting' });
  const byId = Object.fromEntries(report.participants.map((p) => [p.participantId, p]));
  expect(byId.kim).toMatchObject({ reconnects: 1, removed: false });
  expect(byId.kim!.minutesInSideRoom).toBeGreaterThan(0);
  expect(byId.kim!.minutesAudioOnly).toBeGreaterThan(0);
  expect(byId.lou).toMatchObject({ removed: true, leftAt: expect.any(String) });
  expect(byId.fola!.minutesInRoom).toBeGreaterThanOrEqual(byId.kim!.minutesInSideRoom); // minutes to 2 decimals

  const served = await fetch(`${server.adminUrl}/api/v1/rooms/hooked/report`, { headers: { authorization: `Bearer ${API_KEY}` } });
  expect(await served.json()).toEqual(report);
  const metrics = await (await fetch(`${server.adminUrl}/metrics`)).text();
  expect(sample(metrics, 'circle_webhook_deliveries_total', { outcome: 'retried' })).toBe(3);
  expect(sample(metrics, 'circle_webhook_deliveries_total', { outcome: 'failed' })).toBe(0);
  expect(sample(metrics, 'circle_sessions_ended_total', { worst_quality: 'reconnecting' })).toBe(1);
  expect(sample(metrics, 'circle_sessions_ended_total', { worst_quality: 'good' })).toBe(0);
});

it('a receiver that never answers does not slow a room down', async () => {
  const silent = await receiver(() => 'hang');
  const stalled = await startCircle({ webhooks: { url: silent.url, secret: SECRET, timeoutMs: 10_000, maxAttempts: 2, retryBaseMs: 1000 } });
  try {
    const timings: number[] = [];
    const timed = async <T>(run: () => Promise<T>) => {
      const started = performance.now();
      const result = await run();
      timings.push(performance.now() - started);
      return result;
    };
    for (let i = 0; i < 6; i += 1) {
      const client = await connect(stalled.url);
      clients.push(client);
      const { token } = await devToken(stalled.url, { room: 'stalled', name: `p${i}`, role: i === 0 ? 'facilitator' : 'observer' });
      await timed(() => client.ok('join', { token }));
    }
    expect(silent.deliveries.length).toBeGreaterThan(0); // the deliveries are out there, unanswered
    expect(Math.max(...timings)).toBeLessThan(1000);
  } finally {
    await stalled.stop();
    await silent.close();
  }
});

it('a caller taking their seat by phone is sent as participant.dialledIn, and the report counts their minutes on the phone', async () => {
  const fola = await seat('hooked-phone', 'fola', 'facilitator', 'Zelda Quartermaine');
  const kim = await seat('hooked-phone', 'kim', 'client', 'Ysolde Marchbanks');
  await fola.client.ok('admit', { participantId: 'kim' });
  const { dialIn } = kim.joined as { dialIn: { pin: string } };
  kim.client.socket.io.engine.close(); // the browser drops: the seat is held
  await expect.poll(() => server.circle.registry.get('hooked-phone')?.participant('kim')?.connection, { timeout: 5000 }).toBe('reconnecting');
  const caller = await SipCaller.call(server.sipPort!, [{ keys: `${dialIn.pin}#` }, { awaitBye: true }]);
  try {
    caller.speak(0);
    await expect.poll(() => server.circle.registry.get('hooked-phone')?.participant('kim')?.channel.isCall, { timeout: 10_000 }).toBe(true);
    await sleep(1500);
    await fola.client.ok('end', {});
    await expect.poll(() => receiving.deliveries.some((d) => d.body.type === 'session.report' && d.body.roomId === 'hooked-phone'), { timeout: 5000 }).toBe(true);
    const mine = receiving.deliveries.filter((d) => d.body.roomId === 'hooked-phone');
    expect(mine.filter((d) => d.body.type === 'participant.dialledIn').map((d) => d.body.participantId)).toEqual(['kim']);
    const report = mine.find((d) => d.body.type === 'session.report')!.body.report!;
    const kimReport = report.participants.find((p) => p.participantId === 'kim')!;
    expect(kimReport.minutesOnPhone).toBeGreaterThan(0);
    expect(kimReport.minutesInRoom).toBeGreaterThanOrEqual(kimReport.minutesOnPhone);
    expect(mine.map((d) => d.raw).join('\n')).not.toContain(dialIn.pin);
  } finally {
    caller.close();
  }
});
