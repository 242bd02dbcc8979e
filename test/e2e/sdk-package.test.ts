// The packed SDK as a clinic's developer meets it: `npm pack` (scripts/pack-sdk.mjs), the tarball installed into a
// scratch project, the project type-checked against the package's declarations and bundled with esbuild into a page,
// and two such pages joining a room in Chromium with audio flowing both ways.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchBrowser } from '../../harness/browser.js';
import { startCircle, type RunningCircle } from '../../harness/circle.js';

const run = promisify(execFile);
const scratch = mkdtempSync(path.join(os.tmpdir(), 'clinic-portal-'));
let tarball: string;
let server: RunningCircle;
let chromium: Awaited<ReturnType<typeof launchBrowser>>;

beforeAll(async () => {
  tarball = (await run(process.execPath, ['scripts/pack-sdk.mjs'])).stdout.trim().split('\n').at(-1)!;
  writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'clinic-portal', private: true, type: 'module' }));
  await run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error'], { cwd: scratch, timeout: 180_000 });
  mkdirSync(path.join(scratch, 'src'));
  mkdirSync(path.join(scratch, 'public'));
  // A portal page as a clinic would write it: its own token route, the SDK for everything else.
  writeFileSync(
    path.join(scratch, 'src/portal.ts'),
    `import { CircleClient, RequestError, type ClientState, type RemoteTrack } from '@circle/sdk';
export async function enter(room: string, name: string, role: string): Promise<ClientState> {
  const response = await fetch('/dev/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ room, name, role }) });
  const { token } = (await response.json()) as { token: string };
  const client = new CircleClient();
  const heard: RemoteTrack[] = [];
  client.on('trackAdded', (track) => heard.push(track));
  Object.assign(window, { portal: { client, heard, RequestError } });
  await client.join(token);
  await client.publish(await navigator.mediaDevices.getUserMedia({ audio: true, video: false }));
  return client.state;
}
Object.assign(window, { enter });
`,
  );
  writeFileSync(path.join(scratch, 'public/index.html'), '<!doctype html><title>Portal</title><script type="module" src="/portal.js"></script>');
  await build({ entryPoints: [path.join(scratch, 'src/portal.ts')], bundle: true, format: 'esm', outfile: path.join(scratch, 'public/portal.js'), absWorkingDir: scratch, logLevel: 'error' });
  server = await startCircle({ http: { publicDir: path.join(scratch, 'public') }, rooms: { requireAdmission: false } });
  chromium = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await chromium?.close();
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

it('the tarball holds ES modules, declarations and the API reference, its dependencies (mediasoup-client, socket.io-client, ts-mls) not copies, and the encryption worker bundled', async () => {
  const files = (await run('tar', ['tzf', tarball])).stdout.split('\n');
  expect(files).toEqual(expect.arrayContaining(['package/lib/client/index.js', 'package/lib/client/index.d.ts', 'package/docs/classes/CircleClient.html', 'package/README.md']));
  expect(files.some((f) => f.includes('node_modules') || f.includes('mediasoup-client'))).toBe(false);
  const manifest = JSON.parse(readFileSync(path.join(scratch, 'node_modules/@circle/sdk/package.json'), 'utf8'));
  expect(Object.keys(manifest.dependencies).sort()).toEqual(['@noble/hashes', 'mediasoup-client', 'socket.io-client', 'ts-mls', 'zod']);
  // The encryption worker, bundled, for the clinic's app to serve.
  expect(files).toContain('package/e2ee-worker.js');
  expect(manifest.version).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  const reference = readFileSync(path.join(scratch, 'node_modules/@circle/sdk/docs/classes/CircleClient.html'), 'utf8');
  for (const method of ['join', 'openSideRoom', 'sendMessage', 'raiseHand']) expect(reference).toContain(method);
});

it('a project type-checks against the package’s declarations alone (no server types needed)', async () => {
  writeFileSync(
    path.join(scratch, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, noEmit: true, lib: ['ES2022', 'DOM', 'DOM.Iterable'], skipLibCheck: false, types: [] }, include: ['src'] }),
  );
  const tsc = path.resolve('node_modules/typescript/bin/tsc');
  await expect(run(process.execPath, [tsc, '-p', scratch])).resolves.toBeDefined();
});

it('two pages bundled with the package join a room in Chromium and hear each other', async () => {
  const open = async (name: string, role: string): Promise<Page> => {
    const page = await chromium.browser.newPage();
    await page.goto(server.url, { waitUntil: 'load' });
    expect(await page.evaluate((n, r) => (window as unknown as { enter(a: string, b: string, c: string): Promise<string> }).enter('portal-room', n, r), name, role)).toBe('joined');
    return page;
  };
  const lead = await open('Lead', 'facilitator');
  const member = await open('Member', 'client');
  const audioBytes = (page: Page) =>
    page.evaluate(async () => {
      const { client } = (window as unknown as { portal: { client: { inboundStats(kind: string): Promise<{ bytesReceived: number }[]> } } }).portal;
      return (await client.inboundStats('audio')).reduce((sum, s) => sum + s.bytesReceived, 0);
    });
  await expect.poll(() => audioBytes(lead), { timeout: 15_000, interval: 250 }).toBeGreaterThan(2000);
  await expect.poll(() => audioBytes(member), { timeout: 15_000, interval: 250 }).toBeGreaterThan(2000);
  // A refusal comes back typed, as the package's RequestError with a protocol code.
  const refusal = await member.evaluate(async () => {
    const { client, RequestError } = (window as unknown as { portal: { client: { mute(id: string): Promise<unknown> }; RequestError: new () => Error } }).portal;
    try {
      await client.mute('anyone');
      return 'allowed';
    } catch (error) {
      return error instanceof RequestError ? (error as unknown as { code: string }).code : 'untyped';
    }
  });
  expect(refusal).toBe('FORBIDDEN');
  await lead.close();
  await member.close();
}, 60_000);
