// Clients behind firewalls: their browser runs in a network namespace of the test's own (a veth pair to this machine,
// nftables inside). With UDP to the SFU dropped, a client still hears and is heard (by TCP to the SFU, or through the
// TURN relay); behind a firewall that lets out only the web port and the relay's (as a library's might, once asked
// to allow the clinic's relay), a client gets through the relay. The firewall's counters show the blocked packets
// were really tried and dropped; the facilitator, in an unfiltered browser, sees the path each took.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { launchBrowser, joinFromDemo, waitUntil } from '../../harness/browser.js';
import { startCircle, type RunningCircle } from '../../harness/circle.js';
import { Coturn } from '../../harness/coturn.js';
import { NetworkNamespace } from '../../harness/netns.js';
import { heardTones, installEar } from '../../harness/tones.js';

const TONES = { Fran: 440, Uma: 1050, Wes: 1290 };
let ns: NetworkNamespace;
let turn: Coturn;
let server: RunningCircle;
let pageUrl: string;
const browsers: Awaited<ReturnType<typeof launchBrowser>>[] = [];
beforeAll(async () => {
  ns = await NetworkNamespace.create();
  turn = await Coturn.start({ address: ns.hostAddress });
  server = await startCircle({
    http: { host: ns.hostAddress },
    mediasoup: { listenIp: ns.hostAddress, announcedIp: ns.hostAddress },
    turn: turn.circleConfig(),
    rooms: { requireAdmission: false },
  });
  pageUrl = `http://${ns.hostAddress}:${new URL(server.url).port}`;
}, 60_000);
afterAll(async () => {
  for (const browser of browsers) await browser.close().catch(() => undefined);
  await server?.stop();
  await turn?.stop();
  await ns?.destroy();
});

const listText = (page: Page) => page.evaluate(() => document.querySelector('#people-list')?.textContent ?? '');

/** The facilitator's ear is already listening (it takes in every track that comes); the client's starts now. */
async function hearEachOther(facilitator: Page, client: Page, tone: number): Promise<void> {
  await installEar(client, Object.values(TONES));
  await waitUntil(async () => (await heardTones(facilitator)).includes(tone) && (await heardTones(client)).includes(TONES.Fran), 30_000, 'the two hearing each other');
}

/** Waits until the facilitator's list shows `name` on a path matching `path`; answers the path shown. */
async function pathShown(facilitator: Page, name: string, path: RegExp): Promise<string> {
  let shown = '';
  const pattern = new RegExp(`${name} · client · \\w+ connection (${path.source})`);
  await waitUntil(async () => pattern.test((shown = await listText(facilitator))), 10_000, `the facilitator shown ${name}'s path`);
  return pattern.exec(shown)![1]!;
}

const dropped = async () => Number(/counter packets (\d+)/.exec(await ns.rules())?.[1] ?? 0);

it('with UDP to the SFU dropped, a client gets through anyway; with only the web and relay ports open, through the relay, and the check page says so', async () => {
  const outside = await launchBrowser({ insecureOrigin: pageUrl });
  const inside = await launchBrowser({ wrapper: (program) => ns.wrap(program), insecureOrigin: pageUrl });
  browsers.push(outside, inside);
  const fran = await joinFromDemo(outside.browser, pageUrl, 'udp-blocked', 'Fran', 'facilitator', { video: false, toneHz: TONES.Fran });
  await installEar(fran, Object.values(TONES));

  // UDP to this machine only to the relay's port; everything else the client sends over UDP is dropped.
  await ns.firewall(`
    table inet circle_firewall {
      chain output {
        type filter hook output priority 0; policy accept;
        ip daddr ${ns.hostAddress} udp dport != ${turn.port} counter drop
      }
    }
  `);
  const uma = await joinFromDemo(inside.browser, pageUrl, 'udp-blocked', 'Uma', 'client', { video: false, toneHz: TONES.Uma });
  await hearEachOther(fran, uma, TONES.Uma);
  const umaPath = await pathShown(fran, 'Uma', /direct \(TCP\)|via relay \((UDP|TCP)\)/);
  const udpDropped = await dropped();
  expect(udpDropped, 'UDP packets the firewall dropped').toBeGreaterThan(0);
  await uma.close();

  // Only the web port and the relay's let out: nothing reaches the SFU's media ports but through the relay.
  const webPort = new URL(pageUrl).port;
  await ns.firewall(`
    table inet circle_firewall {
      chain output {
        type filter hook output priority 0; policy accept;
        ip daddr ${ns.hostAddress} tcp dport { ${webPort}, ${turn.port} } accept
        ip daddr ${ns.hostAddress} udp dport ${turn.port} accept
        ip daddr ${ns.hostAddress} counter drop
      }
    }
  `);
  const wes = await joinFromDemo(inside.browser, pageUrl, 'udp-blocked', 'Wes', 'client', { video: false, toneHz: TONES.Wes });
  await hearEachOther(fran, wes, TONES.Wes);
  const wesPath = await pathShown(fran, 'Wes', /via relay \((UDP|TCP)\)/);
  expect(await dropped(), 'packets to the SFU the firewall dropped').toBeGreaterThan(0);
  console.log(`firewalls: UDP blocked → ${umaPath} (${udpDropped} UDP packets dropped); only web and relay ports → ${wesPath}`);

  // The pre-session check, from behind the same firewall, reports the relay as the path that worked.
  const check = await inside.browser.newPage();
  await check.goto(`${pageUrl}/check`, { waitUntil: 'load' });
  await check.evaluate(() => (document.querySelector('#run-check') as HTMLButtonElement).click());
  await check.waitForFunction(() => document.querySelector('#check-status')?.textContent === 'Done.', { timeout: 30_000, polling: 200 });
  const details = await check.evaluate(() => document.querySelector('#details')?.textContent ?? '');
  expect(details).toMatch(/Pathvia relay \((UDP|TCP)\)/);
  expect(await check.evaluate(() => document.querySelector('#advice')?.textContent ?? '')).toContain('blocks direct connections');
});
