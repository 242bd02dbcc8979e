// Through the TURN relay over TLS, as from a network that lets only HTTPS out: coturn listens for TLS alone (no
// plain TURN), with a certificate from a CA the browser trusts; the client's page allows the relay only (`?relay=1`,
// the SDK's `iceTransportPolicy: 'relay'`), and still the two pages hear each other's tones. The facilitator's list
// shows the client's path, and so does the node's path gauge. A browser that does not trust the relay's certificate
// gets no relay at all: Chromium checks it, so the relay's certificate must be a real one.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { launchBrowser, joinFromDemo, waitUntil } from '../../harness/browser.js';
import { startCircle, sample, type RunningCircle } from '../../harness/circle.js';
import { Coturn } from '../../harness/coturn.js';
import { heardTones, installEar } from '../../harness/tones.js';
import { makeTestCertificates } from '../../harness/certificates.js';
import { connect, devToken } from '../../harness/signaling.js';
import type { JoinResult } from '../../src/protocol/events.js';

const TONES = { Fran: 440, Rhea: 830 };
let turn: Coturn;
let server: RunningCircle;
let chromium: Awaited<ReturnType<typeof launchBrowser>>;
const pages: Page[] = [];
beforeAll(async () => {
  const certificates = makeTestCertificates();
  turn = await Coturn.start({ plain: false, tls: certificates });
  server = await startCircle({ turn: turn.circleConfig(), rooms: { requireAdmission: false } });
  chromium = await launchBrowser({ trustedCa: certificates.caFile });
});
afterAll(async () => {
  for (const page of pages) await page.close().catch(() => undefined);
  await chromium?.close();
  await server?.stop();
  await turn?.stop();
});

const listText = (page: Page) => page.evaluate(() => document.querySelector('#people-list')?.textContent ?? '');

it('a client allowed only the relay, reaching it over TLS alone, hears and is heard; the facilitator sees "via relay (TLS)"', async () => {
  const fran = await joinFromDemo(chromium.browser, server.url, 'turn-e2e', 'Fran', 'facilitator', { video: false, toneHz: TONES.Fran });
  const rhea = await joinFromDemo(chromium.browser, server.url, 'turn-e2e', 'Rhea', 'client', { video: false, toneHz: TONES.Rhea, relay: true });
  pages.push(fran, rhea);
  for (const page of pages) await installEar(page, Object.values(TONES));
  await waitUntil(async () => (await heardTones(fran)).includes(TONES.Rhea) && (await heardTones(rhea)).includes(TONES.Fran), 20_000, 'the two hearing each other');

  await waitUntil(async () => (await listText(fran)).includes('Rhea · client · good connection via relay (TLS)'), 10_000, 'the facilitator shown the relay path');
  const gauge = async (path: string) => sample(await (await fetch(`${server.adminUrl}/metrics`)).text(), 'circle_connection_paths', { path });
  await waitUntil(async () => (await gauge('relay-tls')) === 1 && (await gauge('udp')) === 1, 10_000, 'one relayed over TLS and one direct on the gauge');
  // The relay's ICE candidates are the only ones the client's page could use: every pair it tried was a relay one.
  const localTypes = await rhea.evaluate(async () => {
    const client = (window as unknown as { circle: { client: { transports: { recv: { getStats(): Promise<RTCStatsReport> } } } } }).circle.client;
    const types = new Set<string>();
    (await client.transports.recv.getStats()).forEach((entry: { type: string; candidateType?: string }) => entry.type === 'local-candidate' && types.add(entry.candidateType!));
    return [...types];
  });
  expect(localTypes).toEqual(['relay']);
});

it('a browser that does not trust the relay\'s certificate gathers no relay candidate', async () => {
  const { token } = await devToken(server.url, { room: 'turn-untrusted', name: 'Vic', role: 'facilitator' });
  const client = await connect(server.url);
  const [relay] = (await client.ok<JoinResult>('join', { token })).iceServers!;
  client.close();
  const untrusting = await launchBrowser();
  try {
    const page = await untrusting.browser.newPage();
    const gathered = await page.evaluate(async (iceServer) => {
      const pc = new RTCPeerConnection({ iceServers: [iceServer], iceTransportPolicy: 'relay' });
      pc.createDataChannel('probe');
      const candidates: string[] = [];
      const errors: number[] = [];
      pc.onicecandidate = (event) => event.candidate?.candidate && candidates.push(event.candidate.candidate);
      pc.onicecandidateerror = (event) => errors.push((event as RTCPeerConnectionIceErrorEvent).errorCode);
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((resolve) => (pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve()));
      pc.close();
      return { candidates, errors };
    }, relay!);
    expect(gathered.candidates).toEqual([]);
    expect(gathered.errors).toContain(701);
  } finally {
    await untrusting.close();
  }
});
