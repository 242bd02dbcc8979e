// Joining through the TURN relay over TLS against joining directly, in Chromium: a facilitator's page sits in the
// room; then, ten times each, a fresh client page joins, either straight to the SFU or allowed only the relay
// (coturn listening for TLS alone, as a network that lets only HTTPS out would force). Measured in the page, from the
// call to `join` until both transports are connected and the facilitator's voice has arrived; then the round trip
// of the selected candidate pair (the browser's own STUN checks), direct against relayed.
//
//   npm run load:turn -- --runs 10
import { parseArgs } from 'node:util';
import { launchBrowser } from '../harness/browser.js';
import { makeTestCertificates } from '../harness/certificates.js';
import { startCircle } from '../harness/circle.js';
import { Coturn } from '../harness/coturn.js';
import { useToneMicrophone } from '../harness/tones.js';
import { machine, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const RUNS = Number(values.runs);

const certificates = makeTestCertificates();
const turn = await Coturn.start({ plain: false, tls: certificates });
const server = await startCircle({ turn: turn.circleConfig(), rooms: { requireAdmission: false } });
const chromium = await launchBrowser({ trustedCa: certificates.caFile });

/** Opens the web app, joins, and answers the page's own timings. */
async function join(name: string, role: string, relay: boolean) {
  const page = await chromium.browser.newPage();
  await useToneMicrophone(page, 440);
  await page.goto(`${server.url}/?room=turn-bench${relay ? '&relay=1' : ''}`, { waitUntil: 'load' });
  const timing = await page.evaluate(
    async (n, r) => {
      type Transport = { connectionState: string; getStats(): Promise<RTCStatsReport> };
      const circle = (window as unknown as {
        circle: { join(room: string, name: string, role: string, media: object): Promise<void>; client: { transports?: { send?: Transport; recv: Transport }; inboundStats(): Promise<{ kind: string; bytesReceived: number }[]> } };
      }).circle;
      const started = performance.now();
      await circle.join('turn-bench', n, r, { video: false });
      const until = async (done: () => Promise<boolean> | boolean) => {
        while (!(await done())) await new Promise((resolve) => setTimeout(resolve, 5));
      };
      // The receive transport connects with its first consumer: the facilitator, alone at first, has none.
      const receives = r === 'client';
      await until(() => circle.client.transports?.send?.connectionState === 'connected' && (!receives || circle.client.transports.recv.connectionState === 'connected'));
      const connectedMs = performance.now() - started;
      if (receives) await until(async () => (await circle.client.inboundStats()).some((s) => s.kind === 'audio' && s.bytesReceived > 0));
      const heardMs = performance.now() - started;
      let rttMs = NaN;
      await new Promise((resolve) => setTimeout(resolve, 1500)); // a few STUN consent checks
      (await circle.client.transports!.send!.getStats()).forEach((entry: { type: string; nominated?: boolean; currentRoundTripTime?: number }) => {
        if (entry.type === 'candidate-pair' && entry.nominated && entry.currentRoundTripTime !== undefined) rttMs = entry.currentRoundTripTime * 1000;
      });
      return { connectedMs, heardMs, rttMs };
    },
    name,
    role,
  );
  return { page, timing };
}

const facilitator = await join('Fran', 'facilitator', false);
const measures = { direct: { connected: [] as number[], heard: [] as number[], rtt: [] as number[] }, relayTls: { connected: [] as number[], heard: [] as number[], rtt: [] as number[] } };
for (let run = 0; run < RUNS; run += 1) {
  for (const [path, relay] of [['direct', false], ['relayTls', true]] as const) {
    const { page, timing } = await join(`C${run}${path}`, 'client', relay);
    measures[path].connected.push(timing.connectedMs);
    measures[path].heard.push(timing.heardMs);
    measures[path].rtt.push(timing.rttMs);
    await page.close();
  }
}
await facilitator.page.close();
await chromium.close();
await server.stop();
await turn.stop();

const stat = (v: number[]) => summarize(v);
const row = (what: string, direct: number[], relay: number[]) => {
  const [d, r] = [stat(direct), stat(relay)];
  return `| ${what} | ${d.median} | ${d.max} | ${r.median} | ${r.max} | ${Math.round((r.median - d.median) * 10) / 10} |`;
};
console.log(
  writeResult(
    'turn-join',
    { scenario: 'turn-join', machine: machine(), runs: RUNS, measures },
    `# joining through the TURN relay (TLS) against directly, ${RUNS} joins each, Chromium

| measure (ms) | direct median | direct max | relay/TLS median | relay/TLS max | relay adds (median) |
| --- | --- | --- | --- | --- | --- |
${row('join → both transports connected', measures.direct.connected, measures.relayTls.connected)}
${row("join → the facilitator's voice arrives", measures.direct.heard, measures.relayTls.heard)}
${row('round trip of the selected pair', measures.direct.rtt, measures.relayTls.rtt)}
`,
  ),
);
