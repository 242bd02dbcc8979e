import { Counter, type Registry } from 'prom-client';

/** A counter with one label whose values are known: each starts at 0, so rate() and alerts see a 0, not nothing. */
export function countedBy<L extends string>(registry: Registry, name: string, help: string, label: L, values: readonly string[]): Counter<L> {
  const counter = new Counter<L>({ name, help, labelNames: [label], registers: [registry] });
  for (const value of values) counter.inc({ [label]: value } as Partial<Record<L, string>>, 0);
  return counter;
}
