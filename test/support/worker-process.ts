// Runs the central worker (test/support/worker-entry.ts) as a child process that a test can
// SIGKILL and start again, and writes the pre-built workflow bundle it loads.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../workers/worker.js';
import type { WorkerTuning } from './worker-entry.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENTRY = path.join(ROOT, 'test', 'support', 'worker-entry.ts');
const READY = 'WORKER_READY';

export interface WorkerProcessOptions {
  /** Environment for lib/config.ts: TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE, DATABASE_URL, RESEND_*, OPENAI_*… */
  env: Record<string, string | undefined>;
  /** A file written by writeWorkflowBundle(); without it the process bundles the workflows itself. */
  bundlePath?: string;
  tuning?: WorkerTuning;
  /** Extra node flags (e.g. --cpu-prof for a benchmark's profile). */
  nodeArgs?: string[];
  /** How long to wait for WORKER_READY before failing. Default 120 s (bundling on a loaded machine). */
  readyTimeoutMs?: number;
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** Resolves once the worker polls; rejects if the process exits first. */
  ready: Promise<void>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Everything the process printed (stdout and stderr), for failure messages. */
  output(): string;
  /** Peak resident set size so far (VmHWM), in bytes; undefined once exited. */
  peakRss(): number | undefined;
  /** SIGKILL: no shutdown, no completion of running activities. */
  kill(): Promise<void>;
  /** SIGTERM and wait (graceful shutdown), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Bundles the workflows once into a file that worker processes load (a restart then takes ~1 s).
 * `workflowsPath`: another module exporting the workflows (the benchmarks add their floor's).
 */
export async function writeWorkflowBundle(workflowsPath = WORKFLOWS_PATH): Promise<{ path: string; remove(): void }> {
  const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quiet });
  const dir = mkdtempSync(path.join(tmpdir(), 'healing-bundle-'));
  const file = path.join(dir, 'workflows.js');
  writeFileSync(file, code);
  return { path: file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function startWorkerProcess(options: WorkerProcessOptions): WorkerProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_LEVEL: 'warn',
    ...options.env,
    ...(options.bundlePath ? { WORKFLOW_BUNDLE_PATH: options.bundlePath } : {}),
    ...(options.tuning ? { WORKER_TUNING: JSON.stringify(options.tuning) } : {}),
  };
  // Node itself with tsx as a loader, not the tsx CLI: the CLI runs the script in a grandchild
  // that a SIGKILL of the CLI would leave running.
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', ENTRY], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stderr!.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker process not ready after ${options.readyTimeoutMs ?? 120_000} ms:\n${output}`)),
      options.readyTimeoutMs ?? 120_000,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      append(chunk);
      if (output.includes(READY)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited (${code ?? child.signalCode}) before it was ready:\n${output}`));
    });
  });
  ready.catch(() => undefined); // observed by the caller; avoid an unhandled rejection after a kill
  return {
    child,
    pid: child.pid!,
    ready,
    exited,
    output: () => output,
    peakRss: () => peakRssOf(child.pid!),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** VmHWM of a Linux process, in bytes. */
export function peakRssOf(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
