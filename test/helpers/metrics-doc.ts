import { readFileSync } from 'node:fs';

/** The circle_ metrics docs/metrics.md lists. */
export function documentedMetrics(): string[] {
  return [...readFileSync('docs/metrics.md', 'utf8').matchAll(/^\| `(circle_[a-z_]+)` \|/gm)].map((m) => m[1]!).sort();
}

/** The circle_ metrics a Prometheus exposition declares. */
export function exportedMetrics(text: string): string[] {
  return [...new Set([...text.matchAll(/^# TYPE (circle_[a-z_]+) /gm)].map((m) => m[1]!))].sort();
}
