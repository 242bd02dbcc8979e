// What opening every frame costs a page: one Chromium page through the web app receiving eleven senders (each a
// voice and a camera in three simulcast layers, as the SDK sends them), in a session with end-to-end encryption and
// in one without, rounds alternating between the two servers. The senders are media bots that are MLS members like
// any page (they agree the group's keys over signaling and seal each audio frame and whole video frame with SFrame
// before packetising it), so with encryption the page opens every frame it receives in its worker. Measured over a
// window once the page receives all eleven cameras and hears the voices (a tone, real Opus: heard only if opened): the
// CPU of the browser's renderers (the page and its encryption worker) and what the page received. The bots' VP8 is
// shaped like a camera's but not a picture, so the page's decoder refuses it in both modes: the difference between
// the two is the opening of every frame, not the decoding, which costs the same either way.
//
//   npm run load:e2ee-receive -- [--rounds 3] [--window-seconds 20]
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'puppeteer-core';
import { inboundStats, joinFromDemo, launchBrowser, waitUntil } from '../harness/browser.js';
import { startCircle, type RunningCircle } from '../harness/circle.js';
import { KeyMember } from '../harness/key-member.js';
import type { TestClient } from '../harness/signaling.js';
import { heardTones, installEar } from '../harness/tones.js';
import { MediaBot, MediaClock } from './lib/media-bot.js';
import { opusFrames } from './lib/phone-load.js';
import { machine, writeResult } from './lib/report.js';
import { rendererCpuSeconds } from './lib/renderer-cpu.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, 'window-seconds': { type: 'string', default: '20' } } });
const ROUNDS = Number(values.rounds);
const WINDOW_MS = Number(values['window-seconds']) * 1000;
const SENDERS = 11;
const TONE = 440;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
type Mode = 'plain' | 'encrypted';

async function received(page: Page) {
  const stats = await inboundStats(page);
  return {
    bytes: stats.reduce((sum, s) => sum + s.bytesReceived, 0),
    packets: stats.reduce((sum, s) => sum + s.packetsReceived, 0),
    lost: stats.reduce((sum, s) => sum + s.packetsLost, 0),
    receivingCameras: stats.filter((s) => s.kind === 'video' && s.packetsReceived > 0).length,
  };
}

/** One round: a page and eleven senders in a new room, measured over the window, then all gone. */
async function measure(browser: Browser, server: RunningCircle, mode: Mode, round: number) {
  const room = `receive-${mode}-${round}`;
  // Her own microphone a tone of another pitch: the ear tells the senders' voice from it.
  const page = await joinFromDemo(browser, server.url, room, 'Fran', 'facilitator', { video: false, toneHz: 880 });
  await page.setViewport({ width: 1280, height: 800 });
  await installEar(page, [TONE]);
  const clock = new MediaClock();
  const bots: MediaBot[] = [];
  try {
    const frames = opusFrames(TONE);
    for (let i = 1; i <= SENDERS; i += 1) {
      let member: KeyMember | undefined;
      const name = `Client ${i}`;
      const encrypting = mode === 'encrypted' ? (client: TestClient, participantId: string) => (member = new KeyMember({ participantId, role: 'client', displayName: name }, client)) : undefined;
      const bot = await MediaBot.join(server.url, room, name, 'client', undefined, encrypting);
      bots.push(bot);
      await bot.startMedia({ audio: true, videoLayers: 3, opusFrames: frames, ...(member ? { seal: member.seal } : {}) });
      clock.add(bot);
    }
    const holders = () => page.evaluate(() => (window as unknown as { circle: { client: { encryption: { state: { members: unknown[] } | null } } } }).circle.client.encryption.state?.members.length ?? 0);
    if (mode === 'encrypted') await waitUntil(async () => (await holders()) === SENDERS + 1, 60_000, 'every sender in the page’s group');
    await waitUntil(async () => (await received(page)).receivingCameras === SENDERS && (await heardTones(page)).includes(TONE), 90_000, `the ${mode} page receiving eleven cameras and hearing the voices`).catch(
      async (error: Error) => {
        throw new Error(`${error.message}: ${JSON.stringify({ ...(await received(page)), heard: await heardTones(page), streams: (await inboundStats(page)).map((s) => [s.kind, s.frameWidth, s.packetsReceived]) })}`);
      },
    );
    await sleep(5000);
    const before = { at: performance.now(), cpu: rendererCpuSeconds(), ...(await received(page)) };
    await sleep(WINDOW_MS);
    const after = { at: performance.now(), cpu: rendererCpuSeconds(), ...(await received(page)) };
    const seconds = (after.at - before.at) / 1000;
    const result = {
      rendererPercentOfCore: Math.round(((after.cpu - before.cpu) / seconds) * 1000) / 10,
      receivedKbps: Math.round(((after.bytes - before.bytes) * 8) / seconds / 1000),
      packetsPerSecond: Math.round((after.packets - before.packets) / seconds),
      // A machine too busy to carry the media shows here first (loopback loses nothing otherwise).
      lostPercent: Math.round((1000 * (after.lost - before.lost)) / Math.max(1, after.packets - before.packets + after.lost - before.lost)) / 10,
      receivingCameras: after.receivingCameras,
    };
    console.log(`${mode} round ${round + 1}: ${JSON.stringify(result)}`);
    return result;
  } finally {
    clock.stop();
    for (const bot of bots) await bot.leave();
    await page.close();
  }
}

const servers: Record<Mode, RunningCircle> = {
  plain: await startCircle({ logging: { level: 'warn' }, rooms: { requireAdmission: false }, load: { botTransports: true } }),
  encrypted: await startCircle({ logging: { level: 'warn' }, rooms: { requireAdmission: false }, load: { botTransports: true }, e2ee: { mode: 'required' } }),
};
const chromium = await launchBrowser();
const rounds: Record<Mode, Awaited<ReturnType<typeof measure>>[]> = { plain: [], encrypted: [] };
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const mode of ['plain', 'encrypted'] as const) rounds[mode].push(await measure(chromium.browser, servers[mode], mode, round));
  }
} finally {
  await chromium.close();
  await servers.plain.stop();
  await servers.encrypted.stop();
}
const of = (mode: Mode) => ({
  rendererPercentOfCore: summarize(rounds[mode].map((r) => r.rendererPercentOfCore)),
  receivedKbps: summarize(rounds[mode].map((r) => r.receivedKbps)),
  packetsPerSecond: summarize(rounds[mode].map((r) => r.packetsPerSecond)),
  lostPercent: summarize(rounds[mode].map((r) => r.lostPercent)),
});
const result = { scenario: 'e2ee-receive', machine: machine(), rounds: ROUNDS, windowSeconds: WINDOW_MS / 1000, senders: SENDERS, plain: of('plain'), encrypted: of('encrypted') };
const line = (mode: Mode) =>
  `- ${mode}: renderers ${result[mode].rendererPercentOfCore.median}% of a core (${result[mode].rendererPercentOfCore.min}–${result[mode].rendererPercentOfCore.max}), receiving ${result[mode].receivedKbps.median} kbit/s in ${result[mode].packetsPerSecond.median} packets/s, ${result[mode].lostPercent.median}% lost`;
console.log(
  writeResult(
    'e2ee-receive',
    result,
    `# A page receiving ${SENDERS} encrypted streams against ${SENDERS} plain ones

${ROUNDS} rounds each of ${WINDOW_MS / 1000} s, one Chromium page receiving every camera and hearing the voices, median (min–max):
${line('plain')}
${line('encrypted')}
`,
  ),
);
process.exit(0);
