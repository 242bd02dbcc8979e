// Video as the page shows it, measured in Chromium through the web app, adaptive video off and on side by side in
// one run (`quality.adaptiveVideo`), each in a room of N people with cameras on, every page a window of 1280×800 in
// the grid layout:
//   1. steady: each page's received video bitrate, the sizes it decodes, and the renderers' CPU per page;
//   2. hidden: one page minimised — time until its received video packets stop, and back in view until they flow;
//   3. weak downlink: one page's downlink capped (the weak-link relay's bottleneck, 200 ms queue) — what it keeps
//      (video streams flowing, the sizes decoded, audio-only or not) and its audio concealment against before.
//
//   npm run load:adaptive -- [--size 12] [--window-seconds 20] [--hidden-runs 5] [--cap-kbps 2000]
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Page } from 'puppeteer-core';
import { inboundStats, joinFromDemo, launchBrowser, participantIdOf, sdk, waitUntil } from '../harness/browser.js';
import { startCircle } from '../harness/circle.js';
import { UdpRelay, transportUfrags } from '../harness/weak-link.js';
import { machine, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '12' },
    'window-seconds': { type: 'string', default: '20' },
    'settle-seconds': { type: 'string', default: '15' },
    'hidden-runs': { type: 'string', default: '5' },
    'cap-kbps': { type: 'string', default: '2000' },
  },
});
const SIZE = Number(values.size);
const WINDOW_MS = Number(values['window-seconds']) * 1000;
const SETTLE_MS = Number(values['settle-seconds']) * 1000;
const HIDDEN_RUNS = Number(values['hidden-runs']);
const CAP_BPS = Number(values['cap-kbps']) * 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (n: number, places = 0) => Math.round(n * 10 ** places) / 10 ** places;

/** CPU seconds used so far by every Chromium renderer process (only this run's browser is running). */
function rendererCpuSeconds(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / 100;
}

/** Video and audio totals a page has received, and the frame widths it decodes now. */
async function received(page: Page) {
  const stats = await inboundStats(page);
  const video = stats.filter((s) => s.kind === 'video');
  const audio = stats.filter((s) => s.kind === 'audio');
  return {
    videoBytes: video.reduce((sum, s) => sum + s.bytesReceived, 0),
    videoPackets: video.reduce((sum, s) => sum + s.packetsReceived, 0),
    widths: video.map((s) => s.frameWidth ?? 0),
    concealment: audio.reduce((sum, s) => sum + (s.concealmentEvents ?? 0), 0),
  };
}

async function measureMode(adaptive: boolean) {
  const server = await startCircle({
    logging: { level: 'warn' },
    mediasoup: { announcedIp: '127.0.0.2', enableTcp: false },
    quality: { adaptiveVideo: adaptive },
  });
  const relays = await Promise.all(
    server.circle.pool.workers().map(async (worker) => {
      const { udpSockets } = (await worker.webRtcServer.dump()) as { udpSockets: { port: number }[] };
      return UdpRelay.start('127.0.0.2', { ip: '127.0.0.1', port: udpSockets[0]!.port });
    }),
  );
  const chromium = await launchBrowser();
  const roomId = `adaptive-${adaptive ? 'on' : 'off'}`;
  try {
    const pages: Page[] = [];
    for (let i = 0; i < SIZE; i += 1) {
      const page = await joinFromDemo(chromium.browser, server.url, roomId, `P${i}`, i === 0 ? 'facilitator' : 'client');
      await page.setViewport({ width: 1280, height: 800 });
      pages.push(page);
    }
    await sdk(pages[0]!, 'admitAll');
    const ids = await Promise.all(pages.map(participantIdOf));
    await waitUntil(async () => (await Promise.all(pages.map(received))).every((r) => r.widths.filter((w) => w > 0).length >= SIZE - 1), 120_000, 'every page decoding every camera');
    const tile = await pages[1]!.evaluate(() => {
      const rect = document.querySelector('.tile:not(.self) video')!.getBoundingClientRect();
      return { width: Math.round(rect.width), height: Math.round(rect.height) };
    });
    await sleep(SETTLE_MS);

    // 1. Steady.
    const before = { at: performance.now(), pages: await Promise.all(pages.map(received)), cpu: rendererCpuSeconds() };
    await sleep(WINDOW_MS);
    const after = { at: performance.now(), pages: await Promise.all(pages.map(received)), cpu: rendererCpuSeconds() };
    const seconds = (after.at - before.at) / 1000;
    const kbps = after.pages.map((p, i) => ((p.videoBytes - before.pages[i]!.videoBytes) * 8) / seconds / 1000);
    const widths = after.pages.flatMap((p) => p.widths);
    const steady = {
      tile,
      receivedVideoKbps: summarize(kbps),
      decodedWidths: Object.fromEntries([...new Set(widths)].sort((a, b) => a - b).map((w) => [w, widths.filter((x) => x === w).length])),
      rendererCpuPerPage: round((after.cpu - before.cpu) / seconds / SIZE, 3),
    };
    console.log(`adaptive ${adaptive ? 'on' : 'off'}: steady`, JSON.stringify(steady));

    // 2. Hidden: the last page minimises its window, then restores it.
    const page = pages.at(-1)!;
    const session = await page.createCDPSession();
    const { windowId } = await session.send('Browser.getWindowForTarget');
    const toSilence: number[] = [];
    const toVideo: number[] = [];
    const hiddenPacketsPerSecond: number[] = [];
    for (let run = 0; run < HIDDEN_RUNS; run += 1) {
      await session.send('Browser.setWindowBounds', { windowId, bounds: { windowState: 'minimized' } });
      const hiddenAt = performance.now();
      let packets = (await received(page)).videoPackets;
      let lastPacketAt = hiddenAt;
      while (performance.now() - lastPacketAt < 2000 && performance.now() - hiddenAt < 6000) {
        await sleep(50);
        const now = (await received(page)).videoPackets;
        if (now > packets) lastPacketAt = performance.now();
        packets = now;
      }
      const stillFlowing = performance.now() - lastPacketAt < 2000;
      toSilence.push(stillFlowing ? Infinity : round(lastPacketAt - hiddenAt));
      const quiet = (await received(page)).videoPackets;
      await sleep(2000);
      hiddenPacketsPerSecond.push(((await received(page)).videoPackets - quiet) / 2);
      await session.send('Browser.setWindowBounds', { windowId, bounds: { windowState: 'normal' } });
      const shownAt = performance.now();
      const hiddenTotal = (await received(page)).videoPackets;
      await waitUntil(async () => (await received(page)).videoPackets > hiddenTotal, 10_000, 'video after the window is restored');
      toVideo.push(round(performance.now() - shownAt));
      await sleep(3000);
    }
    const hidden = {
      lastPacketAfterHiddenMs: toSilence.every(Number.isFinite) ? summarize(toSilence) : `still flowing in ${toSilence.filter((t) => !Number.isFinite(t)).length} of ${HIDDEN_RUNS} runs`,
      videoPacketsPerSecondWhileHidden: summarize(hiddenPacketsPerSecond),
      firstPacketAfterShownMs: summarize(toVideo),
    };
    console.log(`adaptive ${adaptive ? 'on' : 'off'}: hidden`, JSON.stringify(hidden));

    // 3. Weak downlink: the first client's downlink capped.
    const weak = pages[1]!;
    const room = server.circle.registry.get(roomId)!;
    const weakSeat = () => room.participants.get(ids[1]!)!;
    const beforeCap = { at: performance.now(), stats: await received(weak) };
    await sleep(WINDOW_MS);
    const uncapped = { at: performance.now(), stats: await received(weak) };
    for (const relay of relays) relay.impair(transportUfrags(room, ids[1]!, 'recv'), 'downlink', { rateBps: CAP_BPS });
    await sleep(SETTLE_MS);
    const capStart = { at: performance.now(), stats: await received(weak) };
    const flowingSamples: number[] = [];
    let audioOnlySeen = false;
    while (performance.now() - capStart.at < WINDOW_MS) {
      await sleep(1000);
      audioOnlySeen ||= weakSeat().link.audioOnly !== null;
      flowingSamples.push([...weakSeat().media.consumers.values()].filter((c) => c.kind === 'video' && !c.paused && c.currentLayers).length);
    }
    const capEnd = { at: performance.now(), stats: await received(weak) };
    for (const relay of relays) relay.reset();
    const perMinute = (a: { at: number; stats: { concealment: number } }, b: { at: number; stats: { concealment: number } }) =>
      round(((b.stats.concealment - a.stats.concealment) / (b.at - a.at)) * 60_000, 1);
    const capped = {
      capKbps: CAP_BPS / 1000,
      videoStreamsFlowing: summarize(flowingSamples),
      audioOnlySeen,
      receivedVideoKbps: round(((capEnd.stats.videoBytes - capStart.stats.videoBytes) * 8) / (capEnd.at - capStart.at)),
      decodedWidths: capEnd.stats.widths,
      concealmentPerMinute: { before: perMinute(beforeCap, uncapped), capped: perMinute(capStart, capEnd) },
    };
    console.log(`adaptive ${adaptive ? 'on' : 'off'}: capped`, JSON.stringify(capped));
    return { adaptive, steady, hidden, capped };
  } finally {
    await chromium.close();
    for (const relay of relays) relay.close();
    await server.stop();
  }
}

const modes = [await measureMode(false), await measureMode(true)];
const [off, on] = modes as [Awaited<ReturnType<typeof measureMode>>, Awaited<ReturnType<typeof measureMode>>];
const ratio = round(on.steady.receivedVideoKbps.median / off.steady.receivedVideoKbps.median, 3);
const row = (name: string, m: typeof off) =>
  `| ${name} | ${m.steady.receivedVideoKbps.median} (${m.steady.receivedVideoKbps.min}–${m.steady.receivedVideoKbps.max}) | ${Object.entries(m.steady.decodedWidths).map(([w, n]) => `${w}px×${n}`).join(', ')} | ${m.steady.rendererCpuPerPage} | ${typeof m.hidden.lastPacketAfterHiddenMs === 'string' ? m.hidden.lastPacketAfterHiddenMs : `${m.hidden.lastPacketAfterHiddenMs.median} (max ${m.hidden.lastPacketAfterHiddenMs.max})`} | ${m.hidden.videoPacketsPerSecondWhileHidden.median} | ${m.hidden.firstPacketAfterShownMs.median} (max ${m.hidden.firstPacketAfterShownMs.max}) | ${m.capped.videoStreamsFlowing.median} of ${SIZE - 1}; ${m.capped.audioOnlySeen ? 'audio-only' : 'never audio-only'}; ${m.capped.receivedVideoKbps} kbit/s; widths ${m.capped.decodedWidths.join('/')} | ${m.capped.concealmentPerMinute.before} → ${m.capped.concealmentPerMinute.capped} |`;
console.log(
  writeResult(
    `adaptive-video-${SIZE}`,
    { scenario: 'adaptive-video', machine: machine(), size: SIZE, windowSeconds: WINDOW_MS / 1000, capKbps: CAP_BPS / 1000, modes },
    `# Adaptive video, off against on: a room of ${SIZE} in Chromium, grid at 1280×800

Grid tiles ${on.steady.tile.width}×${on.steady.tile.height} px. Received video, median page: ${off.steady.receivedVideoKbps.median} kbit/s off, ${on.steady.receivedVideoKbps.median} kbit/s on (${Math.round(ratio * 100)}%).

| adaptive | received video kbit/s per page, median (min–max) | decoded widths (streams) | renderer CPU per page (cores) | hidden: last video packet after (ms) | hidden: video packets/s | shown: first video packet after (ms) | downlink capped at ${CAP_BPS / 1000} kbit/s: video streams flowing (median), mode, video received, widths | audio concealment events/min, before → capped |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${row('off', off)}
${row('on', on)}
`,
  ),
);
process.exit(0);
