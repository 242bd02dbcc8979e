// Runs a TypeScript entry point (a load scenario) with Node: esbuild bundles it, dependencies stay external.
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <file.ts> [args...]');
  process.exit(2);
}
// Beside the sources, so bare imports resolve from this project's node_modules.
const dir = mkdtempSync(path.join(path.dirname(path.resolve(entry)), '.run-'));
const outfile = path.join(dir, `${path.basename(entry, '.ts')}.mjs`);
try {
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node24', packages: 'external', outfile, logLevel: 'warning' });
  process.argv = [process.argv[0], outfile, ...args];
  await import(pathToFileURL(outfile).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
