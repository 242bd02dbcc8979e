import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

/**
 * Builds what the tests run as a person would: the server entry point (tests start it as a process) and the
 * bundled demo page the browser tests load.
 */
export default function setup(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/bundle-client.mjs'], { stdio: 'inherit' });
}
