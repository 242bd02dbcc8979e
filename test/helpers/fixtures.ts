import { afterAll, afterEach, beforeAll } from 'vitest';
import type { JsonObject } from '../../src/config/load.js';
import { launchBrowser } from './browser.js';
import { startCircle, type RunningCircle } from './circle.js';
import { joinRoom, type Seated, type TestClient } from './signaling.js';

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

/** A real Circle and Debian's Chromium for one test file. */
export function browserSuite(overrides: JsonObject = {}) {
  let server: RunningCircle | undefined;
  let chromium: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  beforeAll(async () => {
    server = await startCircle(overrides);
    chromium = await launchBrowser();
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
