// What the system benchmarks run against: their own Temporal dev server (lib/dev-server.ts),
// a fresh PostgreSQL database, the pre-built workflow bundle, central workers as separate
// processes, and this process as "the application" (client, withSelfHealing, app worker).
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import pg from 'pg';
import { SelfHealing, type SelfHealingOptions } from '../../client/self-healing.js';
import { startDevServer, type DevServer } from '../../lib/dev-server.js';
import { freePort } from '../../lib/free-port.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.js';
import type { WorkerTuning } from '../../test/support/worker-entry.js';
import { startWorkerProcess, writeWorkflowBundle, type WorkerProcess } from '../../test/support/worker-process.js';

const FLOOR_WORKFLOWS_PATH = fileURLToPath(new URL('./floor-workflows.ts', import.meta.url));

export interface BenchEnvironment {
  devServer: DevServer;
  client: Client;
  native: NativeConnection;
  bundlePath: string;
  /** A fresh database (and its URL) per scenario. */
  database(): Promise<TestDatabase & { url: string; pool: pg.Pool }>;
  close(): Promise<void>;
}

let runtimeInstalled = false;

export async function startBenchEnvironment(): Promise<BenchEnvironment> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  const devServer = await startDevServer({ port: await freePort() });
  const connection = await Connection.connect({ address: devServer.address });
  const client = new Client({ connection });
  const native = await NativeConnection.connect({ address: devServer.address });
  // The floor workflows ride along (bench/floor.ts): inert for the other benchmarks.
  const bundle = await writeWorkflowBundle(FLOOR_WORKFLOWS_PATH);
  const databases: Array<TestDatabase & { pool: pg.Pool }> = [];
  return {
    devServer,
    client,
    native,
    bundlePath: bundle.path,
    async database() {
      const created = await createTestDatabase('postgres');
      const pool = new pg.Pool({ connectionString: created.url, max: 2 });
      const entry = { ...created, url: created.url!, pool };
      databases.push(entry);
      return entry;
    },
    async close() {
      for (const database of databases) {
        await database.pool.end().catch(() => undefined);
        await database.drop().catch(() => undefined);
      }
      await native.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
      await devServer.stop();
      bundle.remove();
    },
  };
}

export interface Scenario {
  taskQueue: string;
  healer: SelfHealing;
  database: TestDatabase & { url: string; pool: pg.Pool };
  /** Central worker processes (started by startWorkers). */
  workers: WorkerProcess[];
  /** Starts `count` central worker processes; resolves with the epoch ms at which all poll. */
  startWorkers(
    count: number,
    options?: { tuning?: WorkerTuning; env?: Record<string, string>; nodeArgs?: string[]; bundlePath?: string },
  ): Promise<number>;
  stopWorkers(): Promise<void>;
  /** The application's worker (its operations), in this process; start after registering operations. */
  startAppWorker(): Promise<void>;
  close(): Promise<void>;
}

/** One task queue, one database, the application in this process; central workers on demand. */
export async function startScenario(
  env: BenchEnvironment,
  options: { env?: Record<string, string>; healer?: Pick<SelfHealingOptions, 'waitForHealingMs' | 'admission'> } = {},
): Promise<Scenario> {
  const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
  const database = await env.database();
  const healer = new SelfHealing(env.client, {
    taskQueue,
    appTaskQueue: `${taskQueue}-app`,
    workerConnection: env.native,
    ...options.healer,
  });
  const workers: WorkerProcess[] = [];
  let appWorker: Worker | undefined;
  let appRunning: Promise<void> | undefined;
  const scenario: Scenario = {
    taskQueue,
    healer,
    database,
    workers,
    async startWorkers(count, { tuning, env: extraEnv = {}, nodeArgs, bundlePath } = {}) {
      const started: WorkerProcess[] = [];
      for (let i = 0; i < count; i++) {
        started.push(
          startWorkerProcess({
            bundlePath: bundlePath ?? env.bundlePath,
            tuning,
            nodeArgs,
            env: {
              TEMPORAL_ADDRESS: env.devServer.address,
              TEMPORAL_TASK_QUEUE: taskQueue,
              DATABASE_URL: database.url,
              ...options.env,
              ...extraEnv,
            },
          }),
        );
      }
      workers.push(...started);
      await Promise.all(started.map((worker) => worker.ready));
      return Date.now();
    },
    async stopWorkers() {
      await Promise.all(workers.map((worker) => worker.stop()));
      workers.length = 0;
    },
    async startAppWorker() {
      appWorker = await healer.createWorker();
      appRunning = appWorker.run();
    },
    async close() {
      await healer.flushOccurrences();
      await scenario.stopWorkers();
      if (appWorker?.getState() === 'RUNNING') appWorker.shutdown();
      await appRunning?.catch(() => undefined);
    },
  };
  return scenario;
}

/** Waits until `count` healing workflows of this task queue are closed; returns the closed count. */
export async function waitForClosed(client: Client, taskQueue: string, count: number, pollMs = 500): Promise<void> {
  for (;;) {
    const { count: closed } = await client.workflow.count(
      `TaskQueue = "${taskQueue}" AND ExecutionStatus != "Running"`,
    );
    if (closed >= count) return;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Start and close times of every workflow of this task queue (visibility). */
export async function workflowTimes(
  client: Client,
  taskQueue: string,
): Promise<Array<{ type: string; start: number; close?: number; status: string }>> {
  const times: Array<{ type: string; start: number; close?: number; status: string }> = [];
  for await (const execution of client.workflow.list({ query: `TaskQueue = "${taskQueue}"` })) {
    times.push({
      type: execution.type,
      start: execution.startTime.getTime(),
      close: execution.closeTime?.getTime(),
      status: execution.status.name,
    });
  }
  return times;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  platform: string;
  loadAverage: number[];
}

export function machine(): Machine {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: os.loadavg().map((value) => Math.round(value * 100) / 100),
  };
}
