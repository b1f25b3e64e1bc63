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

/** Named groups of processes: each a function listing its pids now. */
export type ProcessGroups = Record<string, () => number[]>;

/** The pids of each group now (listing PostgreSQL backends reads /proc: do it outside a timed window). */
export function pidsOf(groups: ProcessGroups): Record<string, number[]> {
  return Object.fromEntries(Object.entries(groups).map(([group, pids]) => [group, pids()]));
}

/** CPU seconds so far of each listed process, by group (processes gone are left out). */
export function cpuSnapshot(pids: Record<string, number[]>): Map<string, Map<number, number>> {
  const snapshot = new Map<string, Map<number, number>>();
  for (const [group, list] of Object.entries(pids)) {
    const byPid = new Map<number, number>();
    for (const pid of list) {
      const cpu = pid === process.pid ? ownCpuSeconds() : cpuSecondsOf(pid);
      if (cpu !== undefined) byPid.set(pid, cpu);
    }
    snapshot.set(group, byPid);
  }
  return snapshot;
}

/** CPU seconds per group between two snapshots (a process first seen in `after` counts from zero). */
export function cpuBetween(
  before: Map<string, Map<number, number>>,
  after: Map<string, Map<number, number>>,
): Record<string, number> {
  const used: Record<string, number> = {};
  for (const [group, last] of after) {
    const base = before.get(group);
    used[group] = [...last].reduce((sum, [pid, cpu]) => sum + cpu - (base?.get(pid) ?? 0), 0);
  }
  return used;
}

/**
 * Samples CPU seconds of named groups of processes. Processes that exit between samples keep
 * their last sampled value (pooled database connections come and go).
 */
export class CpuMeter {
  private baseline = new Map<string, Map<number, number>>();
  /** The last CPU seconds seen of every process, gone ones included. */
  private readonly last = new Map<string, Map<number, number>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly groups: ProcessGroups) {}

  start(intervalMs = 200): void {
    this.baseline = cpuSnapshot(pidsOf(this.groups));
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    for (const [group, byPid] of cpuSnapshot(pidsOf(this.groups))) {
      const last = this.last.get(group) ?? new Map<number, number>();
      for (const [pid, cpu] of byPid) last.set(pid, cpu);
      this.last.set(group, last);
    }
  }

  /** CPU seconds used per group since start(). */
  stop(): Record<string, number> {
    this.sample();
    clearInterval(this.timer);
    return cpuBetween(this.baseline, this.last);
  }
}

function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}
