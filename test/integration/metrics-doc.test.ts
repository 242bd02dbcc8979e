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
  for (const value of labelValues) expect(value).toMatch(/^([a-zA-Z_-]+|[0-9.+Inf]+)$/);
});
