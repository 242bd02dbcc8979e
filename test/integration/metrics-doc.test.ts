import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCircle, type RunningCircle } from '../../harness/circle.js';
import { documentedMetrics, exportedMetrics } from '../helpers/metrics-doc.js';

let server: RunningCircle;
beforeAll(async () => {
  server = await startCircle();
});
afterAll(async () => server.stop());

it('exports every metric docs/metrics.md lists, and documents every circle_ metric it exports', async () => {
  const documented = documentedMetrics();
  const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
  expect(documented.length).toBeGreaterThan(5);
  expect(exportedMetrics(text)).toEqual(documented);
  // No label value may carry a room id or a name: every circle_ label value comes from a small fixed set.
  const labelValues = [...text.matchAll(/^circle_[a-z_]+\{([^}]*)\}/gm)].flatMap((m) =>
    [...m[1]!.matchAll(/="([^"]*)"/g)].map((v) => v[1]),
  );
  for (const value of labelValues) expect(value).toMatch(/^([a-zA-Z][a-zA-Z0-9_-]*|[0-9.+Inf]+)$/);
});

it('has a series of every documented metric from the start, before any session, so a rate or an alert reads 0 rather than no data', async () => {
  const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
  const withoutSeries = documentedMetrics().filter((name) => !new RegExp(`^${name}(_bucket|_count|_sum)?(\\{[^}]*\\})? `, 'm').test(text));
  expect(withoutSeries).toEqual([]);
  // The signaling error alert's terms, for every request.
  expect(text).toMatch(/^circle_signaling_requests_total\{event="join",result="ok"\} 0$/m);
  expect(text).toMatch(/^circle_signaling_requests_total\{event="setVideoViews",result="INTERNAL"\} 0$/m);
  expect(text).toMatch(/^circle_signaling_request_duration_seconds_count\{event="join"\} 0$/m);
});
