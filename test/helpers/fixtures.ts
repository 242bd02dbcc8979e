import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { mergeDeep, type JsonObject } from '../../src/config/load.js';
import type { Page } from 'puppeteer-core';
import { launchBrowser } from '../../harness/browser.js';
import { startCircle, type RunningCircle } from '../../harness/circle.js';
import { launchFirefox } from '../../harness/firefox.js';
import { LocalAddress } from '../../harness/local-address.js';
import { joinRoom, type Seated, type TestClient } from '../../harness/signaling.js';
import { TcpProxy, UdpRelay } from '../../harness/weak-link.js';

/**
 * A real Circle for one test file, and socket clients that are closed after each test.
 * `seat` joins with a fresh dev token; `track` hands over any other client to be closed.
 */
export function circleSuite(overrides: JsonObject = {}) {
  let server: RunningCircle | undefined;
  const open: TestClient[] = [];
  beforeAll(async () => {
    server = await startCircle(overrides);
  });
  afterAll(async () => server?.stop());
  afterEach(() => {
    for (const client of open.splice(0)) client.close();
  });
  return {
    get server(): RunningCircle {
      if (!server) throw new Error('the suite has not started');
      return server;
    },
    track(client: TestClient): TestClient {
      open.push(client);
      return client;
    },
    async seat(room: string, name: string, role: string): Promise<Seated> {
      const seated = await joinRoom(this.server.url, room, name, role);
      open.push(seated.client);
      return seated;
    },
  };
}

/** Whether a page that joined a session seals its frames (true, too, for a page that never joined). */
const encryptedIfJoined = (page: Page) =>
  page.evaluate(() => {
    const client = (window as unknown as { circle?: { client: { state: string; encryption: { active: boolean } } } }).circle?.client;
    return !client || client.state === 'idle' || client.encryption.active;
  });

/**
 * A real Circle and Debian's Chromium for one test file. Every page a test opens is closed after it: a page left
 * open goes on sending and receiving audio and video, and on a 2-core machine the next test then measures a busy
 * machine. `pagesLast: 'file'` keeps them for the file's later tests instead (closed with the browser).
 */
export function browserSuite(overrides: JsonObject = {}, { pagesLast = 'test' }: { pagesLast?: 'test' | 'file' } = {}) {
  let server: RunningCircle | undefined;
  let chromium: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  let pagesAtLaunch = new Set<Page>();
  beforeAll(async () => {
    server = await startCircle(overrides);
    chromium = await launchBrowser();
    pagesAtLaunch = new Set(await chromium.browser.pages());
  });
  afterEach(async () => {
    if (!chromium) return;
    const opened = (await chromium.browser.pages()).filter((page) => !pagesAtLaunch.has(page) && !page.isClosed());
    // In the encryption matrix (vitest.config.ts), every page that joined did seal and open its frames.
    if (process.env.CIRCLE_TEST_E2EE === 'required') {
      for (const page of opened) expect(await encryptedIfJoined(page)).toBe(true);
    }
    if (pagesLast === 'file') return;
    await Promise.all(opened.map((page) => page.close().catch(() => undefined)));
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.stop();
  });
  return {
    get server(): RunningCircle {
      if (!server) throw new Error('the suite has not started');
      return server;
    },
    get browser() {
      if (!chromium) throw new Error('the suite has not started');
      return chromium.browser;
    },
  };
}

/**
 * A real Circle, Debian's Chromium and Firefox ESR for one test file. Firefox gathers no loopback ICE candidates, so
 * the SFU listens on a veth address the suite creates (local-address.ts).
 */
export function firefoxSuite(overrides: JsonObject = {}) {
  let local: LocalAddress | undefined;
  let server: RunningCircle | undefined;
  let chromium: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  let firefox: Awaited<ReturnType<typeof launchFirefox>> | undefined;
  beforeAll(async () => {
    local = await LocalAddress.create();
    server = await startCircle(mergeDeep({ mediasoup: { listenIp: local.address, announcedIp: local.address } }, overrides));
    chromium = await launchBrowser();
    firefox = await launchFirefox();
  }, 60_000);
  afterAll(async () => {
    await firefox?.close();
    await chromium?.close();
    await server?.stop();
    await local?.destroy();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the suite has not started');
    return value;
  };
  return {
    get server(): RunningCircle {
      return started(server);
    },
    get chromium() {
      return started(chromium).browser;
    },
    get firefox() {
      return started(firefox).browser;
    },
  };
}

/**
 * A real Circle, Chromium, and a weak link: media only through the UDP relay (candidates announced on
 * 127.0.0.2), and a TCP proxy for signaling, so a test can impair or black out one client completely.
 */
export function weakLinkSuite(overrides: JsonObject = {}) {
  const suite = browserSuite(mergeDeep({ mediasoup: { numWorkers: 1, announcedIp: '127.0.0.2', enableTcp: false } }, overrides));
  let relay: UdpRelay | undefined;
  let proxy: (TcpProxy & { port: number }) | undefined;
  beforeAll(async () => {
    const worker = suite.server.circle.pool.workers()[0]!;
    const { udpSockets } = (await worker.webRtcServer.dump()) as { udpSockets: { port: number }[] };
    relay = await UdpRelay.start('127.0.0.2', { ip: '127.0.0.1', port: udpSockets[0]!.port });
    proxy = await TcpProxy.start(Number(new URL(suite.server.url).port));
  });
  afterAll(async () => {
    await relay?.close();
    proxy?.close();
  });
  return {
    get server() {
      return suite.server;
    },
    get browser() {
      return suite.browser;
    },
    get relay(): UdpRelay {
      if (!relay) throw new Error('the suite has not started');
      return relay;
    },
    get proxy(): TcpProxy {
      if (!proxy) throw new Error('the suite has not started');
      return proxy;
    },
    /** The page origin whose signaling goes through the proxy. */
    get proxiedUrl(): string {
      if (!proxy) throw new Error('the suite has not started');
      return `http://127.0.0.1:${proxy.port}`;
    },
  };
}
