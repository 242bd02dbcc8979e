// Bundles the browser SDK and demo page into the directory the HTTP server serves.
import { build } from 'esbuild';
import { bundleEncryptionWorker } from './encryption-worker.mjs';
import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist/public');
await mkdir(out, { recursive: true });
// The session page and the pre-session check page (/check).
for (const [entry, bundle] of [['main.ts', 'demo.js'], ['check.ts', 'check.js']]) {
  await build({
    entryPoints: [path.join(root, 'src/client/demo', entry)],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    minify: true,
    outfile: path.join(out, bundle),
    logLevel: 'warning',
  });
}
// The end-to-end encryption worker: the page's encoded transforms run in it (RTCRtpScriptTransform).
await bundleEncryptionWorker(path.join(out, 'e2ee-worker.js'), { sourcemap: true });
for (const file of ['index.html', 'check.html', 'style.css']) {
  await cp(path.join(root, 'src/client/demo', file), path.join(out, file));
}
// RNNoise for the microphone: its AudioWorklet and WebAssembly (plain and SIMD), served as they are published.
const noise = path.join(root, 'node_modules/@sapphi-red/web-noise-suppressor/dist');
await mkdir(path.join(out, 'noise'), { recursive: true });
for (const [from, to] of [['rnnoise/workletProcessor.js', 'rnnoiseWorklet.js'], ['rnnoise.wasm', 'rnnoise.wasm'], ['rnnoise_simd.wasm', 'rnnoise_simd.wasm']]) {
  await cp(path.join(noise, from), path.join(out, 'noise', to));
}
