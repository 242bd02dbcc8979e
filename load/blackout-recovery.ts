// Time from the network returning to a client's audio flowing again, after a complete blackout (media and
// signaling) of one client, measured in Chromium through the weak-link harness, over N runs.
//
//   npm run load:blackout -- --runs 10 --blackout-seconds 8
import { parseArgs } from 'node:util';
import type { Page } from 'puppeteer-core';
import { audioFrom, joinFromDemo, launchBrowser, participantIdOf, sdk, waitUntil } from '../harness/browser.js';
import { startCircle } from '../harness/circle.js';
import { TcpProxy, UdpRelay, transportUfrags } from '../harness/weak-link.js';
import { machine, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '10' }, 'blackout-seconds': { type: 'string', default: '8' } },
});
const RUNS = Number(values.runs);
const BLACKOUT_MS = Number(values['blackout-seconds']) * 1000;

const server = await startCircle({
  logging: { level: 'warn' },
  mediasoup: { numWorkers: 1, announcedIp: '127.0.0.2', enableTcp: false },
  sessions: { resumeGraceMs: 30_000 },
});
const { udpSockets } = (await server.circle.pool.workers()[0]!.webRtcServer.dump()) as { udpSockets: { port: number }[] };
const relay = await UdpRelay.start('127.0.0.2', { ip: '127.0.0.1', port: udpSockets[0]!.port });
const proxy = await TcpProxy.start(Number(new URL(server.url).port));
const chromium = await launchBrowser();

const seconds: number[] = [];
try {
  for (let run = 0; run < RUNS; run += 1) {
    const room = `blackout-bench-${run}`;
    const pages: Page[] = [];
    const facilitator = await joinFromDemo(chromium.browser, server.url, room, 'Facilitator', 'facilitator', { video: false });
    const client = await joinFromDemo(chromium.browser, `http://127.0.0.1:${proxy.port}`, room, 'Client', 'client', { video: false });
    pages.push(facilitator, client);
    const clientId = await participantIdOf(client);
    await sdk(facilitator, 'admit', clientId);
    await waitUntil(async () => (await audioFrom(facilitator, clientId)) > 0, 15_000, 'audio before the blackout');

    await relay.impair(transportUfrags(server.circle.registry.get(room)!, clientId), 'both', { blackout: true });
    proxy.setBlackout(true);
    await new Promise((resolve) => setTimeout(resolve, BLACKOUT_MS));
    const silent = await audioFrom(facilitator, clientId);
    await relay.reset();
    proxy.setBlackout(false);
    const back = performance.now();
    await waitUntil(async () => (await audioFrom(facilitator, clientId)) > silent, 30_000, 'audio after the blackout');
    seconds.push(Math.round((performance.now() - back) / 10) / 100);
    console.log(`run ${run + 1}: audio back ${seconds.at(-1)} s after the network returned`);
    for (const page of pages) await page.close();
  }
  const stats = summarize(seconds.map((s) => s * 1000));
  const result = { scenario: 'blackout-recovery', machine: machine(), runs: RUNS, blackoutSeconds: BLACKOUT_MS / 1000, seconds, ms: stats };
  console.log(
    writeResult(
      'blackout-recovery',
      result,
      `# blackout-recovery: ${RUNS} runs of a ${BLACKOUT_MS / 1000} s blackout

Network return to the client's audio growing at the facilitator: median ${stats.median / 1000} s, worst ${stats.max / 1000} s.
Runs (s): ${seconds.join(', ')}
`,
    ),
  );
} finally {
  await chromium.close();
  await relay.close();
  proxy.close();
  await server.stop();
}
