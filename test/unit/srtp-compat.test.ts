import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The worker is written against libsrtp 3's calls; scripts/worker-shims/libsrtp3/srtp-compat.h maps them onto
// Debian's libsrtp 2. This compiles a small C program against the header and the real library and runs it.
describe('srtp-compat.h over Debian libsrtp 2', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'circle-srtp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('protects into a separate buffer, unprotects in place, refuses tampering and a short buffer, RTP and RTCP', () => {
    const binary = path.join(dir, 'srtp-compat-check');
    execFileSync('cc', ['-O1', '-Wall', '-Wextra', '-Werror', '-o', binary, '-Iscripts/worker-shims/libsrtp3', 'test/native/srtp-compat-check.c', '-lsrtp2']);
    const run = spawnSync(binary, { encoding: 'utf8' });
    const lines = run.stdout.trim().split('\n');
    expect(lines.filter((line) => !line.startsWith('ok ')), run.stdout).toEqual([]);
    expect(lines).toHaveLength(13);
    expect(run.status).toBe(0);
  });
});
