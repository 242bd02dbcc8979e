// A real Prometheus (Debian's) scraping a real Circle with the chart's alert rules loaded: the target is up, every
// rule evaluates without error, every dashboard query runs without error, and every metric the alerts and the
// dashboard use has data from Circle.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { waitUntil } from '../../harness/browser.js';
import { startCircle, type RunningCircle } from '../../harness/circle.js';
import { connect, devToken, produceAudio, type TestClient } from '../../harness/signaling.js';
import { freePort } from '../../harness/free-port.js';
import { renderChart } from '../helpers/helm.js';

const PROMETHEUS = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';
let server: RunningCircle;
let prometheus: ChildProcess;
let prometheusUrl: string;
const clients: TestClient[] = [];

const spec = () => (renderChart('helm/circle').find((m) => m.manifest.kind === 'PrometheusRule')!.manifest as { spec: { groups: { rules: { alert: string; expr: string }[] }[] } }).spec;
const dashboardQueries = () =>
  (JSON.parse(readFileSync('helm/circle/files/circle-dashboard.json', 'utf8')) as { panels: { targets?: { expr: string }[] }[] }).panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
const metricsIn = (expr: string) => [...expr.matchAll(/circle_[a-z_]+/g)].map((m) => m[0]);

async function query(expr: string): Promise<{ status: string; error?: string; data?: { result: unknown[] } }> {
  return (await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)).json() as Promise<{ status: string; error?: string; data?: { result: unknown[] } }>;
}

beforeAll(async () => {
  server = await startCircle();
  // Some activity: a facilitator and an admitted client sending audio, a refused request.
  for (const [name, role] of [['lead', 'facilitator'], ['ana', 'client']] as const) {
    const client = await connect(server.url);
    clients.push(client);
    await client.ok('join', { token: (await devToken(server.url, { room: 'observed', name, participantId: name, role })).token });
  }
  await clients[0]!.ok('admit', { participantId: 'ana' });
  for (const client of clients) {
    await produceAudio(client);
  }
  await clients[1]!.call('mute', { participantId: 'lead' }); // FORBIDDEN: an error series

  const dir = mkdtempSync(path.join(os.tmpdir(), 'circle-prometheus-'));
  writeFileSync(path.join(dir, 'rules.yml'), toYaml(spec()));
  const admin = new URL(server.adminUrl);
  writeFileSync(
    path.join(dir, 'prometheus.yml'),
    toYaml({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [path.join(dir, 'rules.yml')],
      // As the chart's ServiceMonitor scrapes it: the job is the release's Service, the namespace the release's.
      scrape_configs: [{ job_name: 'clinic-circle', static_configs: [{ targets: [admin.host], labels: { pod: 'circle-test', namespace: 'circle' } }] }],
    }),
  );
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(PROMETHEUS, [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  await waitUntil(async () => (await fetch(`${prometheusUrl}/-/ready`).catch(() => undefined))?.status === 200, 30_000, 'Prometheus ready');
  // Enough scrapes for rate() over a few samples.
  await waitUntil(async () => Number(((await query('count_over_time(up[1m])')).data?.result[0] as { value: [number, string] } | undefined)?.value[1] ?? 0) >= 6, 30_000, 'six scrapes');
}, 90_000);
afterAll(async () => {
  prometheus?.kill('SIGTERM');
  for (const client of clients) client.close();
  await server?.stop();
});

it('scrapes Circle, and evaluates every alert rule without error', async () => {
  const targets = (await (await fetch(`${prometheusUrl}/api/v1/targets`)).json()) as { data: { activeTargets: { health: string; lastError: string }[] } };
  expect(targets.data.activeTargets).toEqual([expect.objectContaining({ health: 'up', lastError: '' })]);
  await waitUntil(
    async () => {
      const rules = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as { data: { groups: { rules: { health: string }[] }[] } };
      const all = rules.data.groups.flatMap((g) => g.rules);
      return all.length === spec().groups.flatMap((g) => g.rules).length && all.every((r) => r.health === 'ok');
    },
    10_000,
    'every rule evaluated with health ok',
  );
});

it('runs every dashboard query and alert expression without error; every metric they use has data from Circle', async () => {
  const alerts = spec().groups.flatMap((g) => g.rules);
  for (const expr of [...dashboardQueries(), ...alerts.map((a) => a.expr)]) {
    const answer = await query(expr);
    expect(answer, expr).toMatchObject({ status: 'success' });
    expect(answer.error, expr).toBeUndefined();
  }
  const used = new Set([...dashboardQueries(), ...alerts.map((a) => a.expr)].flatMap(metricsIn));
  for (const metric of used) {
    // Scoped as the alerts scope it: the series of this release (job) in its namespace.
    const answer = await query(`count({__name__="${metric}",job="clinic-circle",namespace="circle"})`);
    expect(answer.data?.result.length, `${metric} has no series of this release in Prometheus`).toBe(1);
  }
  // And the dashboard shows this node's state: the room and the two participants.
  expect(((await query('sum(circle_rooms)')).data?.result[0] as { value: [number, string] }).value[1]).toBe('1');
  expect(((await query('sum(circle_participants)')).data?.result[0] as { value: [number, string] }).value[1]).toBe('2');
});
