// The chart's alerts, proven by Prometheus itself: the PrometheusRule as the chart renders it, checked by
// `promtool check rules` and unit-tested with `promtool test rules`: each alert fires on a synthetic series that
// should wake someone, and stays silent on a healthy one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { renderChart } from '../helpers/helm.js';

const PROMTOOL = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';

interface Rule {
  alert: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const rules = () => {
  const rule = renderChart('helm/circle').find((m) => m.manifest.kind === 'PrometheusRule')!.manifest as { spec: { groups: { rules: Rule[] }[] } };
  return rule.spec;
};

/** A counter going up by `perMinute` each minute, for `minutes` samples (promtool's expanding notation). */
const rising = (perMinute: number, minutes = 60) => `0+${perMinute}x${minutes}`;
const steady = (value: number, minutes = 60) => `${value}x${minutes}`;

/** Each alert: series that should fire it (with the labels it should carry) and series on which it stays silent. */
const CASES: Record<string, { firing: Record<string, string>; healthy: Record<string, string>; at: string; labels?: Record<string, string> }> = {
  CircleWorkerDied: {
    firing: { 'circle_worker_deaths_total{pod="node-a"}': '0 0 0 1 1 1 1 1 1 1 1 1 1 1 1' },
    healthy: { 'circle_worker_deaths_total{pod="node-a"}': steady(0) },
    at: '5m',
    labels: { pod: 'node-a' },
  },
  CircleSignalingErrors: {
    firing: { 'circle_signaling_requests_total{event="join",result="ok"}': rising(100), 'circle_signaling_requests_total{event="join",result="UNAVAILABLE"}': rising(20) },
    healthy: { 'circle_signaling_requests_total{event="join",result="ok"}': rising(100), 'circle_signaling_requests_total{event="join",result="BAD_REQUEST"}': rising(20) },
    at: '30m',
  },
  CircleManyAudioOnly: {
    firing: { circle_audio_only_participants: steady(6), 'circle_connection_quality{quality="good"}': steady(4), 'circle_connection_quality{quality="audio-only"}': steady(6) },
    healthy: { circle_audio_only_participants: steady(1), 'circle_connection_quality{quality="good"}': steady(9), 'circle_connection_quality{quality="audio-only"}': steady(1) },
    at: '30m',
  },
  CircleReconnectFailures: {
    firing: { 'circle_reconnects_total{outcome="resumed"}': rising(2), 'circle_reconnects_total{outcome="expired"}': rising(2) },
    healthy: { 'circle_reconnects_total{outcome="resumed"}': rising(10), 'circle_reconnects_total{outcome="expired"}': rising(1) },
    at: '40m',
  },
  CircleNodeNearCapacity: {
    firing: { 'circle_consumers{pod="node-a",kind="audio"}': steady(900), 'circle_workers_alive{pod="node-a"}': steady(2) },
    healthy: { 'circle_consumers{pod="node-a",kind="audio"}': steady(300), 'circle_workers_alive{pod="node-a"}': steady(2) },
    at: '20m',
    labels: { pod: 'node-a' },
  },
  CirclePhonePinGuessing: {
    firing: { circle_phone_pin_failures_total: rising(30) },
    healthy: { circle_phone_pin_failures_total: rising(2) },
    at: '30m',
  },
  CirclePhoneLegLoss: {
    firing: { circle_phone_packets_expected_total: rising(3000), circle_phone_packets_lost_total: rising(300) },
    healthy: { circle_phone_packets_expected_total: rising(3000), circle_phone_packets_lost_total: rising(15) },
    at: '30m',
  },
  CirclePhoneMixingLate: {
    firing: { 'circle_phone_frames_late_total{pod="node-a"}': rising(20) },
    healthy: { 'circle_phone_frames_late_total{pod="node-a"}': rising(1) },
    at: '30m',
    labels: { pod: 'node-a' },
  },
  CircleWebhookFailures: {
    firing: { 'circle_webhook_deliveries_total{outcome="delivered"}': rising(50), 'circle_webhook_deliveries_total{outcome="failed"}': '0 0 0 0 0 1 1 1 1 1 1 1' },
    healthy: { 'circle_webhook_deliveries_total{outcome="delivered"}': rising(50), 'circle_webhook_deliveries_total{outcome="retried"}': rising(3) },
    at: '8m',
  },
  CircleStoreDown: {
    firing: { 'circle_store_up{pod="node-a"}': '1 1 1 0 0 0 0 0 0 0', 'circle_store_up{pod="node-b"}': steady(1, 10) },
    healthy: { 'circle_store_up{pod="node-a"}': steady(1, 10), 'circle_store_up{pod="node-b"}': steady(1, 10) },
    at: '8m',
  },
};

/** The job and namespace of the chart's series as the tests render it (release `clinic` in namespace `circle`). */
const RELEASE = { job: 'clinic-circle', namespace: 'circle' };
const OTHER_RELEASE = { job: 'clinic-circle', namespace: 'another-clinic' };
/** Alerts whose expression keeps each series' labels (no aggregation). */
const PER_SERIES = new Set(['CircleWorkerDied', 'CirclePhoneMixingLate']);

/** `name{a="b"}` with `labels` added. */
function withLabels(selector: string, labels: Record<string, string>): string {
  const added = Object.entries(labels).map(([key, value]) => `${key}="${value}"`).join(',');
  const open = selector.indexOf('{');
  return open === -1 ? `${selector}{${added}}` : `${selector.slice(0, open + 1)}${added},${selector.slice(open + 1)}`;
}

it('the rendered alert rules pass promtool check, and every alert fires on trouble, stays silent when healthy, and sees only its own release', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'circle-promtool-'));
  const spec = rules();
  writeFileSync(path.join(dir, 'rules.yml'), toYaml(spec));
  expect(execFileSync(PROMTOOL, ['check', 'rules', path.join(dir, 'rules.yml')], { encoding: 'utf8' })).toMatch(new RegExp(`SUCCESS: ${Object.keys(CASES).length} rules found`));

  const alerts = spec.groups.flatMap((group) => group.rules);
  expect(alerts.map((a) => a.alert).sort()).toEqual(Object.keys(CASES).sort()); // a new alert needs its case here
  const tests = alerts.flatMap((alert) => {
    const { firing, healthy, at, labels = {} } = CASES[alert.alert]!;
    const annotations = Object.fromEntries(
      Object.entries(alert.annotations).map(([key, text]) => [key, text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, name: string) => labels[name] ?? '')]),
    );
    // Every series as this release's ServiceMonitor scrapes it (job and namespace), or as another release's.
    const series = (of: Record<string, string>, scope = RELEASE) =>
      Object.entries(of).map(([name, values]) => ({ series: withLabels(name, scope), values }));
    // An alert over unaggregated series keeps their labels, the scope's among them.
    const kept = PER_SERIES.has(alert.alert) ? RELEASE : {};
    expect(annotations.runbook_url).toBe(`https://circle.example.org/docs/runbook.md#${alert.alert.toLowerCase()}`);
    return [
      { interval: '1m', input_series: series(firing), alert_rule_test: [{ eval_time: at, alertname: alert.alert, exp_alerts: [{ exp_labels: { ...alert.labels, ...labels, ...kept }, exp_annotations: annotations }] }] },
      { interval: '1m', input_series: series(healthy), alert_rule_test: [{ eval_time: at, alertname: alert.alert, exp_alerts: [] }] },
      { interval: '1m', input_series: series(firing, OTHER_RELEASE), alert_rule_test: [{ eval_time: at, alertname: alert.alert, exp_alerts: [] }] },
    ];
  });
  writeFileSync(path.join(dir, 'tests.yml'), toYaml({ rule_files: ['rules.yml'], evaluation_interval: '1m', tests }));
  const output = execFileSync(PROMTOOL, ['test', 'rules', path.join(dir, 'tests.yml')], { encoding: 'utf8', cwd: dir });
  expect(output).toContain('SUCCESS');
  expect(tests).toHaveLength(3 * Object.keys(CASES).length);
});
