// What each port answers: the public one serves signaling, the web app (when configured) and demo tokens (when
// configured), with security headers and a content security policy; health, metrics and administration are only
// on the internal listener.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCircle, type RunningCircle } from '../../harness/circle.js';

let withApp: RunningCircle;
let bare: RunningCircle;

beforeAll(async () => {
  withApp = await startCircle({ cluster: { allowedOrigins: ['https://node-b.example.org'] } });
  bare = await startCircle({ http: { serveWebApp: false }, auth: { devTokens: false } });
});
afterAll(async () => {
  await withApp?.stop();
  await bare?.stop();
});

describe('the public port', () => {
  it('has no health, metrics or administration', async () => {
    for (const path of ['/metrics', '/healthz', '/readyz', '/admin/rooms/r/audit']) {
      expect((await fetch(`${withApp.url}${path}`)).status, path).toBe(404);
    }
  });

  it('serves the web app with security headers and a policy that lets it connect only to itself and the listed nodes', async () => {
    const page = await fetch(`${withApp.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Circle</title>');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/connect-src 'self' https:\/\/node-b\.example\.org wss:\/\/node-b\.example\.org/);
    // Its own scripts, and WebAssembly compiled (the noise suppressor's); no inline script, no eval, no other origin.
    expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval'(;|$)/);
    expect(csp).toMatch(/style-src 'self'(;|$)/); // no inline styles, no other origins
    expect(csp).not.toMatch(/'unsafe-inline'|'unsafe-eval'/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-powered-by')).toBeNull();
  });

  it('serves no web app and no demo tokens unless configured to', async () => {
    expect((await fetch(`${bare.url}/`)).status).toBe(404);
    expect((await fetch(`${bare.url}/demo.js`)).status).toBe(404);
    const token = await fetch(`${bare.url}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"room":"r","name":"A"}' });
    expect(token.status).toBe(404);
  });
});

describe('the internal listener', () => {
  it('answers health, readiness and metrics, with security headers', async () => {
    expect((await fetch(`${bare.adminUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${bare.adminUrl}/readyz`)).status).toBe(200);
    const metrics = await fetch(`${bare.adminUrl}/metrics`);
    expect(await metrics.text()).toMatch(/^circle_rooms 0$/m);
    expect(metrics.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuses administration without the bearer secret', async () => {
    expect((await fetch(`${bare.adminUrl}/admin/rooms/r/audit`)).status).toBe(401);
  });

  it('binds where the configuration says, apart from the public port', () => {
    expect(bare.circle.internalServer.address()).toMatchObject({ address: '127.0.0.1' });
    expect(new URL(bare.adminUrl).port).not.toBe(new URL(bare.url).port);
  });
});
