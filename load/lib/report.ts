import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { version as mediasoup } from 'mediasoup';

/** Where and on what a scenario ran, for its result files. */
export function machine() {
  return {
    node: process.version,
    mediasoup,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    at: new Date().toISOString(),
  };
}

/** Writes `load/results/<name>.json` and a short markdown summary beside it; returns the summary. */
export function writeResult(name: string, result: object, summary: string): string {
  const dir = path.resolve('load/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(path.join(dir, `${name}.md`), summary);
  return summary;
}
