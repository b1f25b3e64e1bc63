// `npm start` as a user runs it, in its own process group (as a terminal's foreground job), on
// ports of its own; and the checks that a stop left nothing behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { freePort, listenProblem } from '../../lib/free-port.js';
import { PROJECT_ROOT } from '../../lib/project-paths.js';

export interface StartedSystem {
  child: ChildProcess;
  /** npm's pid, also the process group's id. */
  pid: number;
  output(): { stdout: string; stderr: string };
  /** Resolves once the worker printed its ready lines; rejects if the process exits first. */
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SystemPorts {
  temporal: number;
  ui: number;
  dashboard: number;
}

export async function systemPorts(): Promise<SystemPorts> {
  return { temporal: await freePort(), ui: await freePort(), dashboard: await freePort() };
}

export function systemEnv(dataDir: string, ports: SystemPorts): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    TEMPORAL_UI_PORT: String(ports.ui),
    DASHBOARD_PORT: String(ports.dashboard),
    TEMPORAL_TASK_QUEUE: 'self-healing',
    LOG_LEVEL: 'info',
  };
}

const startedGroups = new Set<number>();

/** After a failed test: SIGKILL what is still running (its dev server follows through the parent-death signal). */
export async function killStartedSystems(): Promise<void> {
  for (const pgid of startedGroups) {
    if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    while (groupAlive(pgid)) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  startedGroups.clear();
}

export function npmStart(env: Record<string, string>, cwd = PROJECT_ROOT, readyTimeoutMs = 240_000): StartedSystem {
  const child = spawn('npm', ['start'], { cwd, env: { ...process.env, ...env }, detached: true, stdio: 'pipe' });
  startedGroups.add(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not ready in ${readyTimeoutMs} ms:\n${stdout}\n${stderr}`)),
      readyTimeoutMs,
    );
    const onData = () => {
      if (!stdout.includes('Health checks every')) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve();
    };
    child.stdout!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`npm start exited before it was ready:\n${stdout}\n${stderr}`));
    });
  });
  ready.catch(() => undefined);
  return { child, pid: child.pid!, output: () => ({ stdout, stderr }), ready, exited };
}

/** Pids of live processes whose command line mentions `marker` (e.g. the test's DATA_DIR). */
export function processesMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** True while any process of the group lives. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ports still taken, among `ports` on 127.0.0.1. */
export async function portsInUse(ports: number[]): Promise<number[]> {
  const taken: number[] = [];
  for (const port of ports) if (await listenProblem(port)) taken.push(port);
  return taken;
}

/** Waits (up to `timeoutMs`) until the group is gone, nothing mentions `marker` and the ports are free. */
export async function leftovers(
  pgid: number,
  marker: string,
  ports: number[],
  timeoutMs = 10_000,
): Promise<{ group: boolean; processes: number[]; ports: number[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = { group: groupAlive(pgid), processes: processesMentioning(marker), ports: await portsInUse(ports) };
    if ((!found.group && !found.processes.length && !found.ports.length) || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
