// How fast a client on a degraded link goes audio-only, and how fast video comes back once the link recovers,
// measured in Chromium through the weak-link harness, over N runs.
//
//   npm run load:audio-only -- --runs 10 --direction downlink
import { parseArgs } from 'node:util';
import { joinFromDemo, launchBrowser, participantIdOf, sdk, waitUntil } from '../harness/browser.js';
import { startCircle } from '../harness/circle.js';
import { UdpRelay, transportUfrags } from '../harness/weak-link.js';
import { machine, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    direction: { type: 'string', default: 'downlink' },
    'loss-percent': { type: 'string', default: '25' },
    'rate-kbps': { type: 'string', default: '200' },
    'hold-seconds': { type: 'string', default: '5' },
  },
});
const RUNS = Number(values.runs);
const DIRECTION = values.direction === 'uplink' ? 'uplink' : 'downlink';
const IMPAIRMENT = { loss: Number(values['loss-percent']) / 100, rateBps: Number(values['rate-kbps']) * 1000 };
const HOLD_MS = Number(values['hold-seconds']) * 1000;

const server = await startCircle({
  logging: { level: 'warn' },
  mediasoup: { numWorkers: 1, announcedIp: '127.0.0.2', enableTcp: false },
});
const { udpSockets } = (await server.circle.pool.workers()[0]!.webRtcServer.dump()) as { udpSockets: { port: number }[] };
const relay = await UdpRelay.start('127.0.0.2', { ip: '127.0.0.1', port: udpSockets[0]!.port });
const chromium = await launchBrowser();
const sinceMs = (start: number) => Math.round(performance.now() - start);

const toAudioOnly: number[] = [];
const toVideo: number[] = [];
try {
  for (let run = 0; run < RUNS; run += 1) {
    const roomId = `audio-only-bench-${run}`;
    const facilitator = await joinFromDemo(chromium.browser, server.url, roomId, 'Facilitator', 'facilitator');
    const client = await joinFromDemo(chromium.browser, server.url, roomId, 'Client', 'client');
    const clientId = await participantIdOf(client);
    await sdk(facilitator, 'admit', clientId);
    const room = server.circle.registry.get(roomId)!;
    const media = () => room.participants.get(clientId)!.media;
    // Downlink: the client's video consumers; uplink: its camera producer. Video is on when all of them run.
    const videoItems = () =>
      DIRECTION === 'downlink'
        ? [...media().consumers.values()].filter((c) => c.kind === 'video')
        : [...media().producers.values()].filter((p) => p.kind === 'video');
    await waitUntil(async () => videoItems().length > 0 && videoItems().every((v) => !v.paused), 20_000, 'video before');
    await new Promise((resolve) => setTimeout(resolve, 3000)); // settle: bandwidth estimate and layers up

    const ufrags = transportUfrags(room, clientId, DIRECTION === 'downlink' ? 'recv' : 'send');
    await relay.impair(ufrags, DIRECTION, IMPAIRMENT);
    const onset = performance.now();
    await waitUntil(async () => videoItems().every((v) => v.paused), 60_000, 'audio-only');
    toAudioOnly.push(sinceMs(onset));
    await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
    await relay.reset();
    const lifted = performance.now();
    await waitUntil(async () => videoItems().every((v) => !v.paused), 120_000, 'video back');
    toVideo.push(sinceMs(lifted));
    console.log(`run ${run + 1}: audio-only ${toAudioOnly.at(-1)} ms after onset; video ${toVideo.at(-1)} ms after recovery`);
    await facilitator.close();
    await client.close();
  }
  const onsetStats = summarize(toAudioOnly);
  const recoveryStats = summarize(toVideo);
  const result = {
    scenario: `audio-only-${DIRECTION}`,
    machine: machine(),
    runs: RUNS,
    impairment: { ...IMPAIRMENT, direction: DIRECTION, holdSeconds: HOLD_MS / 1000 },
    quality: server.circle.config.quality,
    toAudioOnlyMs: { runs: toAudioOnly, ...onsetStats },
    toVideoMs: { runs: toVideo, ...recoveryStats },
  };
  console.log(
    writeResult(
      `audio-only-${DIRECTION}`,
      result,
      `# audio-only (${DIRECTION}): ${RUNS} runs, ${IMPAIRMENT.loss * 100}% loss and ${IMPAIRMENT.rateBps / 1000} kbit/s

Impairment onset to audio-only at the SFU: median ${onsetStats.median / 1000} s, worst ${onsetStats.max / 1000} s.
Impairment lifted to video back at the SFU: median ${recoveryStats.median / 1000} s, worst ${recoveryStats.max / 1000} s.
Runs, onset (ms): ${toAudioOnly.join(', ')}
Runs, recovery (ms): ${toVideo.join(', ')}
`,
    ),
  );
} finally {
  await chromium.close();
  await relay.close();
  await server.stop();
}
