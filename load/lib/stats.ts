/** Median, p99, best and worst of a sample, in the unit given. */
export function summarize(values: number[]): { n: number; median: number; p99: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  const round = (v: number) => Math.round(v * 10) / 10;
  return { n: sorted.length, median: round(at(0.5)), p99: round(at(0.99)), min: round(sorted[0] ?? NaN), max: round(sorted.at(-1) ?? NaN) };
}
