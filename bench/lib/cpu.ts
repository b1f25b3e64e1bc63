// CPU time of the processes a benchmark involves (Linux /proc), so that throughput can be
// stated as CPU cost per healing run: on a machine shared with other work, wall-clock figures
// measure the contention as much as the system, CPU seconds do not.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

/** user + system CPU seconds of a process so far; undefined once it is gone. */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
  } catch {
    return undefined;
  }
}

/** PostgreSQL backends serving `database` (their command line names it). */
export function postgresBackendsOf(database: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.startsWith('postgres:') && cmdline.includes(` ${database} `)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/**
 * Samples CPU seconds of named groups of processes. Processes that exit between samples keep
 * their last sampled value (pooled database connections come and go).
 */
export class CpuMeter {
  private readonly last = new Map<string, Map<number, number>>();
  private readonly baseline = new Map<string, Map<number, number>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly groups: Record<string, () => number[]>) {}

  start(intervalMs = 200): void {
    this.sample(true);
    this.timer = setInterval(() => this.sample(false), intervalMs);
  }

  private sample(isBaseline: boolean): void {
    for (const [group, pids] of Object.entries(this.groups)) {
      const last = this.last.get(group) ?? new Map<number, number>();
      const base = this.baseline.get(group) ?? new Map<number, number>();
      for (const pid of pids()) {
        const cpu = pid === process.pid ? ownCpuSeconds() : cpuSecondsOf(pid);
        if (cpu === undefined) continue;
        // A process first seen after the start counts from zero (it was started for this run).
        if (!base.has(pid)) base.set(pid, isBaseline ? cpu : 0);
        last.set(pid, cpu);
      }
      this.last.set(group, last);
      this.baseline.set(group, base);
    }
  }

  /** CPU seconds used per group since start(). */
  stop(): Record<string, number> {
    this.sample(false);
    clearInterval(this.timer);
    const used: Record<string, number> = {};
    for (const [group, last] of this.last) {
      const base = this.baseline.get(group)!;
      used[group] = [...last].reduce((sum, [pid, cpu]) => sum + cpu - (base.get(pid) ?? 0), 0);
    }
    return used;
  }
}

function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}
