// What packing the browser SDK and the server SDK share: a package directory holding the compiled modules, given its
// manifest and README, packed with `npm pack` into dist/.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The server's version and licence, and the versions it uses of `names`: what a package's manifest pins. */
export async function dependencyVersions(names) {
  const server = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
  return { version: server.version, license: server.license ?? 'UNLICENSED', dependencies: Object.fromEntries(names.map((name) => [name, server.dependencies[name] ?? server.devDependencies[name]])) };
}

/** Writes `manifest` and the README into `out`, packs it into dist/ and answers the tarball's path. */
export async function packDirectory(out, manifest, readme) {
  await writeFile(path.join(out, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await cp(path.join(root, readme), path.join(out, 'README.md'));
  await mkdir(path.join(root, 'dist'), { recursive: true });
  const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', path.join(root, 'dist')], { cwd: out }).toString().trim().split('\n').at(-1);
  return path.join(root, 'dist', packed);
}
