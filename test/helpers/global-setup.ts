import { execFileSync } from 'node:child_process';

/** The browser tests load the bundled demo page; build it once per run (esbuild takes well under a second). */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/bundle-client.mjs'], { stdio: 'inherit' });
}
