import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Builds what the tests run as a person would: the server entry point (tests start it as a process) and the
 * bundled demo page the browser tests load.
 */
export default function setup(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  chmodSync('dist/src/cli/circle.js', 0o755); // the package's bin (`circlectl`), as `npm run build` leaves it
  execFileSync(process.execPath, ['scripts/bundle-client.mjs'], { stdio: 'inherit' });
}
