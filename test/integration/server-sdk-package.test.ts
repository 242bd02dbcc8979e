// The packed server SDK as a clinic's backend developer meets it: `npm run pack:server-sdk`, the tarball installed
// into a scratch project, the backend's code type-checked against the package's declarations, then run against a
// real server: tokens it mints open seats, its API client lists and reports, its verifier accepts Circle's
// webhooks and refuses a changed one.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCircle, type RunningCircle } from '../../harness/circle.js';
import { connect, type TestClient } from '../../harness/signaling.js';
import { ApiKeys } from '../../src/api/api-keys.js';
import { until } from '../helpers/until.js';

const run = promisify(execFile);
const scratch = mkdtempSync(path.join(os.tmpdir(), 'clinic-backend-'));
const TOKEN_SECRET = 'clinic-token-secret-0123456789abcdef0123456789';
const WEBHOOK_SECRET = 'clinic-webhook-secret-0123456789abcdef012345';
const API_KEY = 'clinic-backend-key-0123456789abcdef012345';
let server: RunningCircle;
let receiver: http.Server;
const deliveries: { body: string; headers: http.IncomingHttpHeaders }[] = [];
const clients: TestClient[] = [];

/** The clinic's backend, as its developer writes it against the package. */
const BACKEND = `import { createApiClient, mintJoinToken, verifyWebhook, WebhookVerificationError, type CircleWebhookEvent } from '@circle/server-sdk';

export function signedToken(secret: string, roomId: string, participantId: string) {
  return mintJoinToken({ secret, kid: '2026-06', issuer: 'circle' }, { roomId, participantId, name: 'Fola', role: 'facilitator', ttlSeconds: 600 });
}

export async function tokenFromApi(baseUrl: string, apiKey: string, roomId: string): Promise<string> {
  const { data, error } = await createApiClient(baseUrl, apiKey).POST('/rooms/{roomId}/tokens', { params: { path: { roomId } }, body: { name: 'Kim', participantId: 'kim-1' } });
  if (error) throw new Error(error.error.code);
  return data.token;
}

export async function roomIds(baseUrl: string, apiKey: string): Promise<string[]> {
  const { data } = await createApiClient(baseUrl, apiKey).GET('/rooms');
  return (data?.rooms ?? []).map((room) => room.roomId);
}

export async function refusedWithKey(baseUrl: string, roomId: string): Promise<string | undefined> {
  const { error, response } = await createApiClient(baseUrl, 'not-a-key-0123456789abcdef0123456789ab').GET('/rooms/{roomId}/report', { params: { path: { roomId } } });
  return error ? \`\${response.status} \${error.error.code}\` : undefined;
}

export function check(secret: string, body: string, headers: Record<string, string | string[] | undefined>): CircleWebhookEvent | 'refused' {
  try {
    return verifyWebhook(secret, body, headers);
  } catch (error) {
    if (error instanceof WebhookVerificationError) return 'refused';
    throw error;
  }
}
`;

type Backend = {
  signedToken(secret: string, roomId: string, participantId: string): Promise<string>;
  tokenFromApi(baseUrl: string, apiKey: string, roomId: string): Promise<string>;
  roomIds(baseUrl: string, apiKey: string): Promise<string[]>;
  refusedWithKey(baseUrl: string, roomId: string): Promise<string | undefined>;
  check(secret: string, body: string, headers: Record<string, string | string[] | undefined>): { type: string; roomId: string } | 'refused';
};
let backend: Backend;

beforeAll(async () => {
  const tarball = (await run(process.execPath, ['scripts/pack-server-sdk.mjs'])).stdout.trim().split('\n').at(-1)!;
  writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'clinic-backend', private: true, type: 'module' }));
  await run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error'], { cwd: scratch, timeout: 180_000 });
  writeFileSync(path.join(scratch, 'backend.ts'), BACKEND);
  writeFileSync(
    path.join(scratch, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, types: [], outDir: 'out' }, files: ['backend.ts'] }),
  );
  // Type-checked and compiled as the developer's build does it (the package's declarations must hold up).
  await run(process.execPath, [path.resolve('node_modules/typescript/bin/tsc'), '-p', scratch], { cwd: scratch });
  backend = (await import(pathToFileURL(path.join(scratch, 'out/backend.js')).href)) as Backend;

  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      deliveries.push({ body, headers: req.headers });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  server = await startCircle({
    auth: { signingKeys: [`2026-06:${TOKEN_SECRET}`] },
    api: { keys: [ApiKeys.create('backend', API_KEY, ['read', 'mint', 'mint-staff'])] },
    webhooks: { url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`, secret: WEBHOOK_SECRET, retryBaseMs: 50 },
  });
}, 300_000);

afterAll(async () => {
  for (const client of clients) client.close();
  await server?.stop();
  receiver?.close();
  rmSync(scratch, { recursive: true, force: true });
});

it('mints tokens that open seats, calls the API with its types, and verifies Circle’s webhooks', async () => {
  const apiUrl = `${server.adminUrl}/api/v1`;
  const join = async (token: string) => {
    const client = await connect(server.url);
    clients.push(client);
    return client.call('join', { token });
  };
  expect(await join(await backend.signedToken(TOKEN_SECRET, 'portal-room', 'fola-1'))).toMatchObject({ ok: true });
  expect(await join(await backend.tokenFromApi(apiUrl, API_KEY, 'portal-room'))).toMatchObject({ ok: true });
  expect(await backend.roomIds(apiUrl, API_KEY)).toContain('portal-room');
  expect(await backend.refusedWithKey(apiUrl, 'portal-room')).toBe('401 UNAUTHORIZED');
  // A token signed with another secret under the same key id opens nothing.
  expect(await join(await backend.signedToken('another-secret-0123456789abcdef0123456789', 'portal-room', 'eve'))).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });

  await until(() => deliveries.some((d) => d.body.includes('session.started')), 'the session.started webhook', 10_000);
  const started = deliveries.find((d) => d.body.includes('session.started'))!;
  expect(backend.check(WEBHOOK_SECRET, started.body, started.headers)).toMatchObject({ type: 'session.started', roomId: 'portal-room' });
  expect(backend.check(WEBHOOK_SECRET, started.body.replace('portal-room', 'portal-roam'), started.headers)).toBe('refused');
  expect(backend.check('wrong-secret-0123456789abcdef0123456789abcd', started.body, started.headers)).toBe('refused');
});
