// The CPU cost of noise suppression (RNNoise in an AudioWorklet) on a client's page, in Chromium through the web app:
// the renderers' CPU with it on and off, alternating, over equal windows (a facilitator's page beside, camera off).
//
//   npm run load:noise -- [--rounds 3] [--window-seconds 20]
import { parseArgs } from 'node:util';
import { joinFromDemo, launchBrowser, participantIdOf, sdk, waitUntil } from '../harness/browser.js';
import { startCircle } from '../harness/circle.js';
import { machine, writeResult } from './lib/report.js';
import { rendererCpuSeconds } from './lib/renderer-cpu.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, 'window-seconds': { type: 'string', default: '20' } } });
const ROUNDS = Number(values.rounds);
const WINDOW_MS = Number(values['window-seconds']) * 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const server = await startCircle({ logging: { level: 'warn' } });
const chromium = await launchBrowser();
const cores: Record<'on' | 'off', number[]> = { on: [], off: [] };
try {
  const fran = await joinFromDemo(chromium.browser, server.url, 'noise-bench', 'Fran', 'facilitator', { video: false });
  const ana = await joinFromDemo(chromium.browser, server.url, 'noise-bench', 'Ana', 'client', { video: false, noise: true, noiseSuppression: true });
  await sdk(fran, 'admitAll');
  const anaId = await participantIdOf(ana);
  await waitUntil(() => fran.evaluate((id) => [...(window as unknown as { circle: { client: { remoteTracks: Map<string, { participantId: string }> } } }).circle.client.remoteTracks.values()].some((r) => r.participantId === id), anaId), 20_000, 'Ana heard');
  const state = () => ana.evaluate(() => document.querySelector('#toggle-noise')!.getAttribute('aria-pressed') === 'true');
  for (let round = 0; round < ROUNDS * 2; round += 1) {
    await sleep(2000);
    const on = await state();
    const before = rendererCpuSeconds();
    await sleep(WINDOW_MS);
    cores[on ? 'on' : 'off'].push((rendererCpuSeconds() - before) / (WINDOW_MS / 1000));
    console.log(`noise suppression ${on ? 'on' : 'off'}: renderers ${cores[on ? 'on' : 'off'].at(-1)!.toFixed(3)} cores`);
    await ana.evaluate(() => document.querySelector<HTMLElement>('#toggle-noise')!.click());
  }
} finally {
  await chromium.close();
  await server.stop();
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const cost = mean(cores.on) - mean(cores.off);
console.log(
  writeResult(
    'noise-suppression',
    { scenario: 'noise-suppression', machine: machine(), windowSeconds: WINDOW_MS / 1000, rendererCores: cores, costCores: cost },
    `# Noise suppression's CPU on a client's page

Renderers' CPU (the client's page with a noise microphone, a facilitator's page beside), ${ROUNDS} windows of ${WINDOW_MS / 1000} s each way, alternating:
on ${cores.on.map((c) => c.toFixed(3)).join(', ')} cores; off ${cores.off.map((c) => c.toFixed(3)).join(', ')} cores.
RNNoise costs ${(cost * 100).toFixed(1)}% of a core (mean on − mean off).
`,
  ),
);
process.exit(0);
