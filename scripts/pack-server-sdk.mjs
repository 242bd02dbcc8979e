// Builds the SDK for clinic backends as an installable package from src/backend: ES modules with TypeScript
// declarations (the server API's types generated from its OpenAPI document), and `npm pack`s it. jose, zod and
// openapi-fetch stay dependencies.
//
//   node scripts/pack-server-sdk.mjs   →   dist/circle-server-sdk-<version>.tgz
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { dependencyVersions, packDirectory, root } from './pack-lib.mjs';

const out = path.join(root, 'dist/server-sdk');
const require = createRequire(import.meta.url);

await rm(out, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.server-sdk.json'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
const { version, license, dependencies } = await dependencyVersions(['jose', 'zod', 'openapi-fetch']);
const manifest = {
  name: '@circle/server-sdk',
  // Versioned with the server: the API of the same version is the one its types describe.
  version,
  description: "Circle for a clinic's backend: join tokens, webhook verification and a typed server API client",
  type: 'module',
  exports: { '.': { types: './lib/backend/index.d.ts', default: './lib/backend/index.js' } },
  types: './lib/backend/index.d.ts',
  files: ['lib', 'README.md'],
  sideEffects: false,
  engines: { node: '>=20' },
  dependencies,
  license,
};
console.log(await packDirectory(out, manifest, 'docs/server-sdk.md'));
