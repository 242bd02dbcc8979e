// Bundles the end-to-end encryption worker (src/client/e2ee-worker.ts) into one ES module file: the web app serves it
// beside its pages and the browser SDK's package ships it for the clinic's app to serve.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function bundleEncryptionWorker(outfile, { sourcemap = false } = {}) {
  return build({
    entryPoints: [path.join(root, 'src/client/e2ee-worker.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    sourcemap,
    minify: true,
    outfile,
    logLevel: 'warning',
  });
}
