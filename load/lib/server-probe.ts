import { readFileSync, readdirSync } from 'node:fs';
import { sample } from '../../harness/circle.js';

/** What a scenario reads of the server under test: its /metrics, and its processes' memory from /proc. */
export class ServerProbe {
  constructor(
    private readonly url: string,
    private readonly pid: number,
  ) {}

  async metrics(): Promise<string> {
    return (await fetch(`${this.url}/metrics`)).text();
  }

  /** CPU seconds used so far by the mediasoup workers (all modes) and by the server's Node process. */
  async cpuSeconds(): Promise<{ workers: number; node: number }> {
    const text = await this.metrics();
    let workers = 0;
    for (const line of text.split('\n')) if (line.startsWith('circle_worker_cpu_seconds_total{')) workers += Number(line.split(' ').at(-1));
    return { workers, node: sample(text, 'process_cpu_seconds_total') ?? NaN };
  }

  /** The process ids of the server's mediasoup workers. */
  workerPids(): number[] {
    return children(this.pid).filter((pid) => {
      try {
        // The command line, not /proc/<pid>/comm: that is cut to 15 characters ("mediasoup-worke").
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!.endsWith('/mediasoup-worker');
      } catch {
        return false;
      }
    });
  }

  /** Resident memory now (bytes) of the server process and of its worker processes together. */
  rss(): { node: number; workers: number } {
    const workers = children(this.pid).reduce((sum, pid) => sum + rssOf(pid), 0);
    return { node: rssOf(this.pid), workers };
  }
}

function rssOf(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

function children(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The parent pid is the second field after the parenthesised command name.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}
