// Builds the SDK for clinic backends as an installable package from src/backend: ES modules with TypeScript
// declarations (the server API's types generated from its OpenAPI document), and `npm pack`s it. jose, zod and
// openapi-fetch stay dependencies.
//
//   node scripts/pack-server-sdk.mjs   →   dist/circle-server-sdk-<version>.tgz
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist/server-sdk');
const require = createRequire(import.meta.url);

await rm(out, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.server-sdk.json'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });

const server = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
const dependency = (name) => server.dependencies[name] ?? server.devDependencies[name];
const manifest = {
  name: '@circle/server-sdk',
  // Versioned with the server: the API of the same version is the one its types describe.
  version: server.version,
  description: "Circle for a clinic's backend: join tokens, webhook verification and a typed server API client",
  type: 'module',
  exports: { '.': { types: './lib/backend/index.d.ts', default: './lib/backend/index.js' } },
  types: './lib/backend/index.d.ts',
  files: ['lib', 'README.md'],
  sideEffects: false,
  engines: { node: '>=20' },
  dependencies: { jose: dependency('jose'), zod: dependency('zod'), 'openapi-fetch': dependency('openapi-fetch') },
  license: server.license ?? 'UNLICENSED',
};
await writeFile(path.join(out, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
await cp(path.join(root, 'docs/server-sdk.md'), path.join(out, 'README.md'));
await mkdir(path.join(root, 'dist'), { recursive: true });
const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', path.join(root, 'dist')], { cwd: out }).toString().trim().split('\n').at(-1);
console.log(path.join(root, 'dist', packed));
