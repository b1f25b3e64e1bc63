// Forks one application instance (test/support/app-entry.ts) and talks to it over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CircuitBreakerSettings } from '../../common/circuit-breaker/settings.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENTRY = path.join(ROOT, 'test', 'support', 'app-entry.ts');

export type CallResult =
  | { ok: true; ms: number }
  | { ok: false; open: true; retryAt?: number; ms: number }
  | { ok: false; open: false; error: string; healingOutcome?: string; ms: number };

export type AppCommand = { id: number } &
  /** `count` calls one after the other (`pauseMs` apart), or all at once (`parallel`). */
  (
    | { cmd: 'calls'; operation: string; count: number; pauseMs?: number; parallel?: boolean }
    /** Calls until one fails fast (open: true) or one does not (open: false), or the time is up. */
    | { cmd: 'until'; operation: string; open: boolean; pauseMs: number; timeoutMs: number }
    | { cmd: 'partition'; on: boolean }
    | { cmd: 'stop' }
  );

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface AppProcess {
  pid: number;
  calls(operation: string, count: number, pauseMs?: number, parallel?: boolean): Promise<CallResult[]>;
  until(operation: string, open: boolean, timeoutMs?: number): Promise<{ results: CallResult[]; reached: boolean }>;
  partition(on: boolean): Promise<void>;
  /** Graceful: its last counts are sent. */
  stop(): Promise<void>;
  /** SIGKILL. */
  kill(): Promise<void>;
}

export interface AppProcessOptions {
  temporalAddress: string;
  taskQueue: string;
  appTaskQueue: string;
  dependencyUrl: string;
  operations: string[];
  breaker: Partial<CircuitBreakerSettings>;
}

export async function startAppProcess(options: AppProcessOptions): Promise<AppProcess> {
  const child: ChildProcess = fork(ENTRY, [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      LOG_LEVEL: 'error',
      TEMPORAL_ADDRESS: options.temporalAddress,
      TEMPORAL_TASK_QUEUE: options.taskQueue,
      APP_TASK_QUEUE: options.appTaskQueue,
      DEPENDENCY_URL: options.dependencyUrl,
      OPERATIONS: options.operations.join(','),
      BREAKER: JSON.stringify(options.breaker),
      // Shared by every instance: any of them can open the arguments another sealed (the probe's).
      SELF_HEALING_SEAL_KEY: 'breaker-test-seal-key',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waiting = new Map<number, (answer: never) => void>();
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message: { ready?: boolean; id?: number }) => {
      if (message.ready) resolve();
      if (message.id !== undefined) waiting.get(message.id)?.(message as never);
    });
    void exited.then(() => reject(new Error('the app process exited before it was ready')));
  });
  const ask = <T>(command: Distribute<AppCommand>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      waiting.set(id, resolve as (answer: never) => void);
      child.send({ ...command, id });
      void exited.then(() => reject(new Error(`the app process exited during ${command.cmd}`)));
    });
  return {
    pid: child.pid!,
    calls: async (operation, count, pauseMs, parallel) =>
      (await ask<{ results: CallResult[] }>({ cmd: 'calls', operation, count, pauseMs, parallel })).results,
    until: (operation, open, timeoutMs = 20_000) => ask({ cmd: 'until', operation, open, pauseMs: 50, timeoutMs }),
    partition: async (on) => void (await ask({ cmd: 'partition', on })),
    async stop() {
      await ask({ cmd: 'stop' }).catch(() => undefined);
      child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
