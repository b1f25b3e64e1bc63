// A self-healing system with tracing and metrics wired the way workers/main.ts and an application
// wire them: built here rather than by test/support/system.ts, whose workflow bundle has no
// tracing plugin and whose import installs the worker runtime without metrics.
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type Worker } from '@temporalio/worker';
import { SelfHealing } from '../../client/self-healing.js';
import type { DatabaseHandle } from '../../db/index.js';
import type { SystemMetrics } from '../../lib/metrics.js';
import type { Tracing } from '../../lib/telemetry.js';
import { createCentralWorker, WORKFLOWS_PATH } from '../../workers/worker.js';
import { createTestDatabase } from './database.js';

export interface ObservedSystem {
  healer: SelfHealing;
  client: Client;
  database: DatabaseHandle;
  stop(): Promise<void>;
}

const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

export async function startObservedSystem(options: {
  address: string;
  tracing?: Tracing;
  metrics?: SystemMetrics;
}): Promise<ObservedSystem> {
  const plugins = options.tracing ? [options.tracing.plugin] : [];
  const connection = await NativeConnection.connect({ address: options.address });
  const client = new Client({ connection, plugins });
  const testDatabase = await createTestDatabase('postgres');
  const taskQueue = `observed-${randomUUID().slice(0, 8)}`;
  const central = await createCentralWorker({
    connection,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger, plugins }),
    db: testDatabase.handle.db,
    metrics: options.metrics,
    tracing: options.tracing,
  });
  const healer = new SelfHealing(client, {
    taskQueue,
    appTaskQueue: `${taskQueue}-app`,
    workerConnection: connection,
    tracing: options.tracing,
  });
  const workers: Worker[] = [central, await healer.createWorker()];
  const running = workers.map((worker) =>
    worker.run().catch((error: unknown) => console.error('worker failed', error)),
  );
  return {
    healer,
    client,
    database: testDatabase.handle,
    async stop() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.all(running);
      await healer.flushOccurrences();
      await connection.close();
      await testDatabase.drop();
    },
  };
}

function networkError(): Error {
  return Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
}

/** An operation whose first call drops its connection: healed by a retry, which returns `value`. */
export function flakyOnce<T>(healer: SelfHealing, operation: string, value: T): () => Promise<T> {
  let calls = 0;
  return healer.withSelfHealing(
    operation,
    async () => {
      if (++calls === 1) throw networkError();
      return value;
    },
    { allowedStrategies: ['RETRY_WITH_BACKOFF'] },
  );
}

/** An operation that always fails permanently (HTTP 400), with a personal detail in its message. */
export function alwaysInvalid(healer: SelfHealing, operation: string): () => Promise<never> {
  return healer.withSelfHealing(operation, async () => {
    throw Object.assign(new Error('invalid e-mail address for jane@example.com'), { status: 400 });
  });
}
