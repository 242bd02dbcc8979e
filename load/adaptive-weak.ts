// A room of 12, adaptive video off then on, side by side in one run: one Chromium page through the web app, the
// other eleven bots sending real Opus and the SDK's three layers of a 720p camera in three temporal layers each, as
// Chromium sends (their VP8 is shaped, not decodable, so the page's decoders are not measured here: what the SFU
// sends is). One client bot has the floor and the spotlight: the speaker. The page answers the safety check-in, as a
// client does on arrival, so the tiles have the room they have in a session.
//   1. a client on a clean link, in the grid: the video bitrate it receives and its audio concealment; then its
//      downlink capped (the weak-link relay's bottleneck, a 200 ms queue) under the full grid, a link halving
//      mid-session: how long until every face is back;
//   2. a client on a weak link from its first seconds (the same cap): 30 s in the grid, 30 s in speaker view.
// Each window is read at the SFU every second (which of the page's video consumers flow, at which layers, audio-only
// or not) and in the page (audio concealment, video bitrate).
//
//   npm run load:adaptive-weak -- [--cap-kbps 2000] [--window-seconds 30]
import { parseArgs } from 'node:util';
import type { Page } from 'puppeteer-core';
import type { types } from 'mediasoup';
import type { ConsumerAppData } from '../src/media/receiving.js';
import type { Participant } from '../src/rooms/participant.js';
import { answerCheckIn, inboundStats, joinFromDemo, launchBrowser, participantIdOf, waitUntil } from '../harness/browser.js';
import { startCircle } from '../harness/circle.js';
import { UdpRelay, transportUfrags } from '../harness/weak-link.js';
import { MediaBot, MediaClock } from './lib/media-bot.js';
import { opusFrames } from './lib/phone-load.js';
import { machine, writeResult } from './lib/report.js';

const { values } = parseArgs({ options: { 'cap-kbps': { type: 'string', default: '2000' }, 'window-seconds': { type: 'string', default: '30' } } });
const CAP_BPS = Number(values['cap-kbps']) * 1000;
const WINDOW_MS = Number(values['window-seconds']) * 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Frames a second of a temporal layer of the bots' 15-fps cameras (L1T3: each layer doubles the rate). */
const fpsOf = (temporalLayer: number) => 15 / 2 ** (2 - temporalLayer);

async function pageTotals(page: Page) {
  const stats = await inboundStats(page);
  return {
    at: performance.now(),
    concealment: stats.filter((s) => s.kind === 'audio').reduce((sum, s) => sum + (s.concealmentEvents ?? 0), 0),
    videoBytes: stats.filter((s) => s.kind === 'video').reduce((sum, s) => sum + s.bytesReceived, 0),
  };
}

/**
 * One window of a client's reception: what flows to it, sampled each second at the SFU (faces, the speaker's layer,
 * the others' layers and frame rates, audio-only), and the page's own audio concealment and video bitrate.
 */
async function observe(
  client: { page: Page; videos(): types.Consumer<ConsumerAppData>[]; seat(): Participant },
  speakerId: string,
) {
  const start = await pageTotals(client.page);
  const samples: { flowing: number; speakerLayer: number; othersAtLayer0: number; othersFps: number; audioOnly: boolean; estimateBps: number }[] = [];
  while (performance.now() - start.at < WINDOW_MS) {
    await sleep(1000);
    const flowing = client.videos().filter((c) => !c.paused && c.currentLayers);
    const others = flowing.filter((c) => c.appData.participantId !== speakerId);
    samples.push({
      flowing: flowing.length,
      speakerLayer: flowing.find((c) => c.appData.participantId === speakerId)?.currentLayers?.spatialLayer ?? -1,
      othersAtLayer0: others.filter((c) => c.currentLayers?.spatialLayer === 0).length,
      othersFps: others.length ? median(others.map((c) => fpsOf(c.currentLayers?.temporalLayer ?? 0))) : 0,
      audioOnly: client.seat().link.audioOnly !== null,
      estimateBps: (await client.seat().media.transport('recv')?.getStats())?.[0]?.availableOutgoingBitrate ?? 0,
    });
  }
  const end = await pageTotals(client.page);
  /** The last second some face was missing: every face flowed from the next one on. */
  const lastShort = samples.map((s) => s.flowing < 11).lastIndexOf(true);
  return {
    facesFlowing: { median: median(samples.map((s) => s.flowing)), min: Math.min(...samples.map((s) => s.flowing)) },
    speakerLayer: median(samples.map((s) => s.speakerLayer)),
    othersAtSmallestLayer: median(samples.map((s) => s.othersAtLayer0)),
    othersFps: median(samples.map((s) => s.othersFps)),
    secondsAudioOnly: samples.filter((s) => s.audioOnly).length,
    estimateKbps: Math.round(median(samples.map((s) => s.estimateBps)) / 1000),
    secondsToEveryFace: lastShort === samples.length - 1 ? 'not within the window' : lastShort + 1,
    receivedVideoKbps: Math.round(((end.videoBytes - start.videoBytes) * 8) / (end.at - start.at)),
    concealmentPerMinute: Math.round(((end.concealment - start.concealment) / (end.at - start.at)) * 60_000 * 10) / 10,
  };
}

async function measure(adaptive: boolean) {
  const server = await startCircle({
    logging: { level: 'warn' },
    mediasoup: { announcedIp: '127.0.0.2', enableTcp: false },
    quality: { adaptiveVideo: adaptive },
    load: { botTransports: true },
  });
  const { udpSockets } = (await server.circle.pool.workers()[0]!.webRtcServer.dump()) as { udpSockets: { port: number }[] };
  const relay = await UdpRelay.start('127.0.0.2', { ip: '127.0.0.1', port: udpSockets[0]!.port });
  const chromium = await launchBrowser();
  const clock = new MediaClock();
  const bots: MediaBot[] = [];
  const roomId = `weak-${adaptive ? 'on' : 'off'}`;
  try {
    const frames = opusFrames(440);
    const joinBot = async (name: string, role: string) => {
      const bot = await MediaBot.join(server.url, roomId, name, role);
      bots.push(bot);
      return bot;
    };
    const fran = await joinBot('fran', 'facilitator');
    fran.admitEveryone();
    for (let i = 1; i < 11; i += 1) await joinBot(`client-${i}`, 'client');
    for (const bot of bots) {
      await bot.startMedia({ audio: true, videoLayers: 3, opusFrames: frames });
      clock.add(bot);
    }
    const speaker = bots[1]!;
    await fran.client.ok('setFloorMode', { mode: 'queue' });
    await speaker.client.ok('raiseHand', {});
    await fran.client.ok('grantFloor', { participantId: speaker.participantId });
    await fran.client.ok('spotlight', { participantId: speaker.participantId });
    const room = server.circle.registry.get(roomId)!;

    /** A client joins through the web app, its downlink capped from its first seconds or not. */
    const arrive = async (name: string, capped: boolean) => {
      const page = await joinFromDemo(chromium.browser, server.url, roomId, name, 'client');
      const id = await participantIdOf(page);
      const cap = () => relay.impair(transportUfrags(room, id, 'recv'), 'downlink', { rateBps: CAP_BPS });
      if (capped) {
        await waitUntil(async () => transportUfrags(room, id, 'recv').length === 1, 30_000, 'the page’s receive transport');
        await cap();
      }
      await answerCheckIn(page);
      const videos = () => [...room.participants.get(id)!.media.consumers.values()].filter((c) => c.kind === 'video');
      await waitUntil(async () => videos().length === 11, 60_000, 'the page consuming eleven cameras');
      await sleep(15_000);
      return { page, cap, videos, seat: () => room.participants.get(id)! };
    };
    const speakerId = speaker.participantId;

    // A client on a clean link: the grid, then the link halving under it.
    const cleanClient = await arrive('Clean', false);
    const clean = await observe(cleanClient, speakerId);
    await cleanClient.cap();
    const capFalls = await observe(cleanClient, speakerId);
    await cleanClient.page.close();
    // A client on a weak link from the start: the grid, then speaker view.
    const weakClient = await arrive('Weak', true);
    const cappedGrid = await observe(weakClient, speakerId);
    await weakClient.page.evaluate(() => document.querySelector<HTMLElement>('#toggle-layout')!.click()); // speaker view
    await sleep(5000);
    const cappedSpeakerView = await observe(weakClient, speakerId);
    const result = { adaptive, cappedGrid, cappedSpeakerView, clean, capFalls };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    clock.stop();
    for (const bot of bots) bot.close();
    await chromium.close();
    await relay.close();
    await server.stop();
  }
}

const off = await measure(false);
const on = await measure(true);
type Window = typeof off.clean;
const row = (adaptive: boolean, situation: string, m: Window) =>
  `| ${adaptive ? 'on' : 'off'} | ${situation} | ${m.facesFlowing.median} (min ${m.facesFlowing.min}) | ${m.speakerLayer < 0 ? 'none' : m.speakerLayer} | ${m.othersAtSmallestLayer} | ${m.othersFps} | ${m.secondsAudioOnly} of ${WINDOW_MS / 1000} | ${m.secondsToEveryFace} | ${m.estimateKbps} | ${m.receivedVideoKbps} | ${m.concealmentPerMinute} |`;
const situations = (adaptive: boolean, m: typeof off) => [
  row(adaptive, `capped, grid`, m.cappedGrid),
  row(adaptive, `capped, speaker view`, m.cappedSpeakerView),
  row(adaptive, 'clean, grid', m.clean),
  row(adaptive, `cap falls, grid`, m.capFalls),
];
console.log(
  writeResult(
    'adaptive-weak',
    { scenario: 'adaptive-weak', machine: machine(), capKbps: CAP_BPS / 1000, windowSeconds: WINDOW_MS / 1000, off, on },
    `# A room of 12, adaptive video off and on: a client whose downlink is capped at ${CAP_BPS / 1000} kbit/s

Received video in the grid, clean link: ${off.clean.receivedVideoKbps} kbit/s off, ${on.clean.receivedVideoKbps} kbit/s on (${Math.round((on.clean.receivedVideoKbps / off.clean.receivedVideoKbps) * 100)}%).

| adaptive | link, layout | faces flowing of 11 (median of 1-s samples, min) | the speaker's layer (0–2) | others at the smallest layer | others' frame rate (median fps) | seconds audio-only | seconds until every face | the SFU's estimate of the downlink (kbit/s, median) | video received (kbit/s) | audio concealment events/min |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${situations(false, off).join('\n')}
${situations(true, on).join('\n')}
`,
  ),
);
process.exit(0);
