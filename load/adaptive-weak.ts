// A room of 12, adaptive video off then on, side by side in one run: one Chromium page through the web app, the
// other eleven bots sending real Opus and the SDK's three layers of a 720p camera (their VP8 is shaped, not
// decodable, so the page's decoders are not measured here: what the SFU sends is). One client bot has the floor and
// the spotlight: the speaker.
//   1. the page in the grid at 1280×800, its link clean: the video bitrate it receives;
//   2. its downlink capped (the weak-link relay's bottleneck, a 200 ms queue), in the grid and then in speaker view:
//      what it keeps, read at the SFU (which of its video consumers flow, at which layer, audio-only or not) and in
//      the page (audio concealment against the clean link, video bitrate).
//
//   npm run load:adaptive-weak -- [--cap-kbps 2000] [--window-seconds 30]
import { parseArgs } from 'node:util';
import { inboundStats, joinFromDemo, launchBrowser, participantIdOf, waitUntil } from '../harness/browser.js';
import { startCircle } from '../harness/circle.js';
import { UdpRelay, transportUfrags } from '../harness/weak-link.js';
import { MediaBot, MediaClock } from './lib/media-bot.js';
import { opusFrames } from './lib/phone-load.js';
import { machine, writeResult } from './lib/report.js';

const { values } = parseArgs({ options: { 'cap-kbps': { type: 'string', default: '2000' }, 'window-seconds': { type: 'string', default: '30' } } });
const CAP_BPS = Number(values['cap-kbps']) * 1000;
const WINDOW_MS = Number(values['window-seconds']) * 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    for (let i = 0; i < 11; i += 1) {
      const bot = await MediaBot.join(server.url, roomId, i === 0 ? 'fran' : `client-${i}`, i === 0 ? 'facilitator' : 'client');
      if (i === 0) bot.admitEveryone();
      await bot.startMedia({ audio: true, videoLayers: 3, opusFrames: frames });
      clock.add(bot);
      bots.push(bot);
    }
    const [fran, speaker] = [bots[0]!, bots[1]!];
    const page = await joinFromDemo(chromium.browser, server.url, roomId, 'Weak', 'client');
    const weakId = await participantIdOf(page);
    await fran.client.ok('setFloorMode', { mode: 'queue' });
    await speaker.client.ok('raiseHand', {});
    await fran.client.ok('grantFloor', { participantId: speaker.participantId });
    await fran.client.ok('spotlight', { participantId: speaker.participantId });
    const room = server.circle.registry.get(roomId)!;
    const seat = () => room.participants.get(weakId)!;
    const videos = () => [...seat().media.consumers.values()].filter((c) => c.kind === 'video');
    await waitUntil(async () => videos().length === 11, 60_000, 'the page consuming eleven cameras');
    await sleep(10_000);

    const read = async () => {
      const stats = await inboundStats(page);
      return {
        at: performance.now(),
        concealment: stats.filter((s) => s.kind === 'audio').reduce((sum, s) => sum + (s.concealmentEvents ?? 0), 0),
        videoBytes: stats.filter((s) => s.kind === 'video').reduce((sum, s) => sum + s.bytesReceived, 0),
      };
    };
    const perMinute = (a: { at: number; concealment: number }, b: { at: number; concealment: number }) => Math.round(((b.concealment - a.concealment) / (b.at - a.at)) * 60_000 * 10) / 10;
    const uncappedStart = await read();
    await sleep(WINDOW_MS);
    const uncappedEnd = await read();
    const gridVideoKbps = Math.round(((uncappedEnd.videoBytes - uncappedStart.videoBytes) * 8) / (uncappedEnd.at - uncappedStart.at));

    /** A window under the cap: what flows, sampled each second at the SFU, and the page's concealment and video. */
    const cappedWindow = async () => {
      const start = await read();
      const samples: { flowing: number; speakerLayer: number | null; othersAtLayer0: number; audioOnly: boolean }[] = [];
      while (performance.now() - start.at < WINDOW_MS) {
        await sleep(1000);
        const flowing = videos().filter((c) => !c.paused && c.currentLayers);
        samples.push({
          flowing: flowing.length,
          speakerLayer: flowing.find((c) => c.appData.participantId === speaker.participantId)?.currentLayers?.spatialLayer ?? null,
          othersAtLayer0: flowing.filter((c) => c.appData.participantId !== speaker.participantId && c.currentLayers?.spatialLayer === 0).length,
          audioOnly: seat().link.audioOnly !== null,
        });
      }
      const end = await read();
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      return {
        videoStreamsFlowing: { median: median(samples.map((s) => s.flowing)), min: Math.min(...samples.map((s) => s.flowing)) },
        speakerLayer: median(samples.map((s) => s.speakerLayer ?? -1)),
        othersAtSmallestLayer: median(samples.map((s) => s.othersAtLayer0)),
        secondsAudioOnly: samples.filter((s) => s.audioOnly).length,
        receivedVideoKbps: Math.round(((end.videoBytes - start.videoBytes) * 8) / (end.at - start.at)),
        concealmentPerMinute: perMinute(start, end),
      };
    };
    relay.impair(transportUfrags(room, weakId, 'recv'), 'downlink', { rateBps: CAP_BPS });
    await sleep(10_000);
    const cappedGrid = await cappedWindow();
    await page.evaluate(() => document.querySelector<HTMLElement>('#toggle-layout')!.click()); // speaker view
    await sleep(5000);
    const cappedSpeakerView = await cappedWindow();
    const result = { adaptive, gridVideoKbps, concealmentUncappedPerMinute: perMinute(uncappedStart, uncappedEnd), cappedGrid, cappedSpeakerView };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    clock.stop();
    for (const bot of bots) bot.close();
    await chromium.close();
    relay.close();
    await server.stop();
  }
}

const off = await measure(false);
const on = await measure(true);
type Capped = typeof off.cappedGrid;
const row = (adaptive: boolean, layout: string, m: Capped, concealmentBefore: number) =>
  `| ${adaptive ? 'on' : 'off'} | ${layout} | ${m.videoStreamsFlowing.median} (min ${m.videoStreamsFlowing.min}) | ${m.speakerLayer < 0 ? 'none' : m.speakerLayer} | ${m.othersAtSmallestLayer} | ${m.secondsAudioOnly} of ${WINDOW_MS / 1000} | ${m.receivedVideoKbps} | ${concealmentBefore} → ${m.concealmentPerMinute} |`;
console.log(
  writeResult(
    'adaptive-weak',
    { scenario: 'adaptive-weak', machine: machine(), capKbps: CAP_BPS / 1000, windowSeconds: WINDOW_MS / 1000, off, on },
    `# A room of 12, adaptive video off and on: a page's received video in the grid, and its downlink capped at ${CAP_BPS / 1000} kbit/s in speaker view

Received video in the grid, clean link: ${off.gridVideoKbps} kbit/s off, ${on.gridVideoKbps} kbit/s on (${Math.round((on.gridVideoKbps / off.gridVideoKbps) * 100)}%).

| adaptive | layout | video streams flowing of 11 (median of 1-s samples) | the speaker's layer (0–2) | others at the smallest layer | seconds audio-only | video received (kbit/s) | audio concealment events/min, clean → capped |
| --- | --- | --- | --- | --- | --- | --- | --- |
${row(false, 'grid', off.cappedGrid, off.concealmentUncappedPerMinute)}
${row(false, 'speaker view', off.cappedSpeakerView, off.concealmentUncappedPerMinute)}
${row(true, 'grid', on.cappedGrid, on.concealmentUncappedPerMinute)}
${row(true, 'speaker view', on.cappedSpeakerView, on.concealmentUncappedPerMinute)}
`,
  ),
);
process.exit(0);
