// Builds the browser SDK as an installable package from src/client: ES modules with TypeScript declarations, its
// API reference generated from the doc comments (TypeDoc), and `npm pack`s it. mediasoup-client and
// socket.io-client stay dependencies (not bundled copies); zod is there for the request types only; ts-mls (with the
// @noble/hashes it imports) for end-to-end encryption's key agreement. The encryption worker ships bundled
// (`@circle/sdk/e2ee-worker.js`): the clinic's app serves it, and `e2eeWorkerUrl` says where.
//
//   node scripts/pack-sdk.mjs   →   dist/circle-sdk-<version>.tgz
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { bundleEncryptionWorker } from './encryption-worker.mjs';
import { dependencyVersions, packDirectory, root } from './pack-lib.mjs';

const out = path.join(root, 'dist/sdk');
const require = createRequire(import.meta.url);
const run = (bin, args, cwd = root) => execFileSync(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

await rm(out, { recursive: true, force: true });
run(require.resolve('typescript/bin/tsc'), ['-p', 'tsconfig.sdk.json']);
run(path.join(root, 'node_modules/typedoc/bin/typedoc'), [
  '--tsconfig', 'tsconfig.sdk.json', '--entryPoints', 'src/client/index.ts', '--out', path.join(out, 'docs'),
  '--name', 'Circle SDK', '--readme', 'none', '--disableSources', '--treatWarningsAsErrors', '--excludePrivate', '--excludeInternal', '--logLevel', 'Warn',
]);

await bundleEncryptionWorker(path.join(out, 'e2ee-worker.js'));

const { version, license, dependencies } = await dependencyVersions(['mediasoup-client', 'socket.io-client', 'zod', 'ts-mls', '@noble/hashes']);
const manifest = {
  name: '@circle/sdk',
  // Versioned with the protocol: the server of the same version speaks it.
  version,
  description: 'Browser SDK for Circle, the media server for moderated group therapy',
  type: 'module',
  exports: { '.': { types: './lib/client/index.d.ts', default: './lib/client/index.js' }, './e2ee-worker.js': './e2ee-worker.js' },
  types: './lib/client/index.d.ts',
  files: ['lib', 'docs', 'e2ee-worker.js', 'README.md'],
  sideEffects: false,
  dependencies,
  license,
};
console.log(await packDirectory(out, manifest, 'docs/sdk.md'));
