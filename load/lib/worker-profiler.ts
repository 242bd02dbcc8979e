import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The system calls a worker makes per packet: receiving, sending, io_uring submissions, and its event loop. */
const SYSCALLS = ['recvmmsg', 'recvfrom', 'recvmsg', 'sendto', 'sendmsg', 'sendmmsg', 'io_uring_enter', 'epoll_wait', 'read', 'write'];
const EVENTS = ['raw_syscalls:sys_enter', ...SYSCALLS.map((name) => `syscalls:sys_enter_${name}`), 'io_uring:io_uring_submit_req'];

/** Where a sampled instant of worker CPU was spent, by the library or part of the worker it was in. */
const AREAS = ['kernel (system calls, network stack)', 'SRTP and crypto', 'channel to Node', 'RTP routing and RTCP', 'libc, libstdc++ and allocation', 'other'] as const;
export type Area = (typeof AREAS)[number];

export interface WorkerProfile {
  /** Each counted event over the window, by name (`all` is every system call). */
  syscalls: Record<string, number>;
  /** Share of the sampled worker CPU by area, 0..1. */
  areas: Record<Area, number>;
  /** The hottest symbols, with their share of samples. */
  top: { share: number; dso: string; symbol: string }[];
}

function areaOf(dso: string, symbol: string): Area {
  if (dso.includes('kernel') || symbol.startsWith('[k]')) return 'kernel (system calls, network stack)';
  if (/libcrypto|libsrtp|libnss|libssl|libsoftokn|libfreebl|libnspr/.test(dso) || /srtp_|aes_|hmac|gcm|sha1/i.test(symbol)) return 'SRTP and crypto';
  if (/Channel::|flatbuffers|FBS::|::FillBuffer|HandleRequest|Notifier/.test(symbol)) return 'channel to Node';
  if (/libc\.so|libstdc\+\+|libm\.so|ld-linux/.test(dso) || /malloc|free|memcpy|memmove|operator new|operator delete/.test(symbol)) return 'libc, libstdc++ and allocation';
  if (dso.includes('mediasoup-worker')) return 'RTP routing and RTCP';
  return 'other';
}

/**
 * perf on the mediasoup worker processes for one window: system calls counted by kernel tracepoints (cheap: no
 * ptrace), CPU sampled at 499 Hz by the software clock (hardware counters are not exposed on every machine).
 * Needs root (or perf_event_paranoid ≤ 1) and Debian's linux-perf.
 */
export async function profileWorkers(pids: number[], seconds: number): Promise<WorkerProfile> {
  if (pids.length === 0) throw new Error('no mediasoup worker processes to profile');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'circle-perf-'));
  try {
    const target = ['-p', pids.join(','), '--', 'sleep', String(seconds)];
    const data = path.join(dir, 'perf.data');
    const [stat] = await Promise.all([
      run('perf', ['stat', '-x', ',', '-e', EVENTS.join(','), ...target]),
      new Promise<void>((resolve, reject) => {
        const record = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '499', '-o', data, ...target], { stdio: 'ignore' });
        record.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`perf record exited ${code}`))));
      }),
    ]);
    const syscalls: Record<string, number> = {};
    for (const line of stat.stderr.split('\n')) {
      const [count, , event] = line.split(',');
      if (!event || !count || Number.isNaN(Number(count))) continue;
      syscalls[event === 'raw_syscalls:sys_enter' ? 'all' : event.replace(/^syscalls:sys_enter_|^io_uring:/, '')] = Number(count);
    }
    const report = await run('perf', ['report', '-i', data, '--stdio', '--sort', 'dso,sym', '--percent-limit', '0', '-q'], { maxBuffer: 64 * 2 ** 20 });
    const rows = report.stdout
      .split('\n')
      .map((line) => /^\s*([\d.]+)%\s+(\S+)\s+(.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => ({ share: Number(match[1]) / 100, dso: match[2]!, symbol: match[3]!.trim() }));
    const areas = Object.fromEntries(AREAS.map((area) => [area, 0])) as Record<Area, number>;
    for (const row of rows) areas[areaOf(row.dso, row.symbol)] += row.share;
    return { syscalls, areas, top: rows.slice(0, 25) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
