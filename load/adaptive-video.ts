// Video as the page shows it, measured in Chromium through the web app, adaptive video off and on side by side in
// one run (`quality.adaptiveVideo`), each in a room of N people with (fake, 720p) cameras, every page a window of
// 1280×800 in the grid layout, every page decoding what it receives:
//   1. steady: each page's received video bitrate, the sizes it decodes, and the renderers' CPU per page;
//   2. hidden: one page minimised — time until its received video packets stop, and back in view until they flow.
// Two cores carry three such pages; with more, Chromium's encoders drop their upper layers for want of CPU and
// every page receives small layers whatever the server decides (load/adaptive-weak.ts measures a room of 12).
//
//   npm run load:adaptive -- [--size 3] [--window-seconds 20] [--hidden-runs 5]
import { parseArgs } from 'node:util';
import type { Page } from 'puppeteer-core';
import { inboundStats, joinFromDemo, launchBrowser, sdk, waitUntil } from '../harness/browser.js';
import { startCircle } from '../harness/circle.js';
import { machine, writeResult } from './lib/report.js';
import { rendererCpuSeconds } from './lib/renderer-cpu.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '3' },
    'window-seconds': { type: 'string', default: '20' },
    'settle-seconds': { type: 'string', default: '15' },
    'hidden-runs': { type: 'string', default: '5' },
  },
});
const SIZE = Number(values.size);
const WINDOW_MS = Number(values['window-seconds']) * 1000;
const SETTLE_MS = Number(values['settle-seconds']) * 1000;
const HIDDEN_RUNS = Number(values['hidden-runs']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (n: number, places = 0) => Math.round(n * 10 ** places) / 10 ** places;

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
  const server = await startCircle({ logging: { level: 'warn' }, quality: { adaptiveVideo: adaptive } });
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
    // Every page decoding every camera, or as many as a loaded machine manages in 90 s (the count is reported).
    const decoding = async () => (await Promise.all(pages.map(received))).reduce((sum, r) => sum + r.widths.filter((w) => w > 0).length, 0);
    await waitUntil(async () => (await decoding()) === SIZE * (SIZE - 1), 90_000, 'every page decoding every camera').catch(() => undefined);
    const streamsDecoding = await decoding();
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
      streamsDecoding: `${streamsDecoding} of ${SIZE * (SIZE - 1)}`,
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

    return { adaptive, steady, hidden };
  } finally {
    await chromium.close();
    await server.stop();
  }
}

const modes = [await measureMode(false), await measureMode(true)];
const [off, on] = modes as [Awaited<ReturnType<typeof measureMode>>, Awaited<ReturnType<typeof measureMode>>];
const ratio = round(on.steady.receivedVideoKbps.median / off.steady.receivedVideoKbps.median, 3);
const row = (name: string, m: typeof off) =>
  `| ${name} | ${m.steady.receivedVideoKbps.median} (${m.steady.receivedVideoKbps.min}–${m.steady.receivedVideoKbps.max}) | ${Object.entries(m.steady.decodedWidths).map(([w, n]) => `${w}px×${n}`).join(', ')} | ${m.steady.rendererCpuPerPage} | ${typeof m.hidden.lastPacketAfterHiddenMs === 'string' ? m.hidden.lastPacketAfterHiddenMs : `${m.hidden.lastPacketAfterHiddenMs.median} (max ${m.hidden.lastPacketAfterHiddenMs.max})`} | ${m.hidden.videoPacketsPerSecondWhileHidden.median} | ${m.hidden.firstPacketAfterShownMs.median} (max ${m.hidden.firstPacketAfterShownMs.max}) |`;
console.log(
  writeResult(
    `adaptive-video-${SIZE}`,
    { scenario: 'adaptive-video', machine: machine(), size: SIZE, windowSeconds: WINDOW_MS / 1000, modes },
    `# Adaptive video, off against on: a room of ${SIZE} in Chromium, grid at 1280×800

Grid tiles ${on.steady.tile.width}×${on.steady.tile.height} px. Received video, median page: ${off.steady.receivedVideoKbps.median} kbit/s off, ${on.steady.receivedVideoKbps.median} kbit/s on (${Math.round(ratio * 100)}%).

| adaptive | received video kbit/s per page, median (min–max) | decoded widths (streams) | renderer CPU per page (cores) | hidden: last video packet after (ms) | hidden: video packets/s | shown: first video packet after (ms) |
| --- | --- | --- | --- | --- | --- | --- |
${row('off', off)}
${row('on', on)}
`,
  ),
);
process.exit(0);
