// A whole self-healing system for a test: the central worker (workflows + activities) and an
// application worker (its operations) against a real Temporal server and a real database.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  type Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { SelfHealing, type SelfHealingOptions } from '../../client/self-healing.js';
import type { ActivityDependencies } from '../../activities/index.js';
import type { Database, DatabaseHandle } from '../../db/index.js';
import { createCentralWorker, WORKFLOWS_PATH } from '../../workers/worker.js';
import { createTestDatabase } from './database.js';

// Worker state changes and expected activity failures are noise in test output; errors still show.
Runtime.install({ logger: new DefaultLogger('ERROR') });

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/**
 * Bundling the workflows takes seconds: do it once per test file (and per failure converter:
 * a pre-built bundle carries the data converter's failureConverterPath).
 */
export function workflowBundle(failureConverterPath?: string): Promise<WorkflowBundleWithSourceMap> {
  const key = failureConverterPath ?? '';
  let bundle = bundles.get(key);
  if (!bundle) {
    bundle = bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: quietLogger,
      ...(failureConverterPath ? { failureConverterPath } : {}),
    });
    bundles.set(key, bundle);
  }
  return bundle;
}

const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

export interface TestSystem {
  healer: SelfHealing;
  client: Client;
  database: DatabaseHandle;
  taskQueue: string;
  stop(): Promise<void>;
}

export interface TestSystemOptions {
  client: Client;
  /** Native connection to the same server, for the workers. */
  connection: NativeConnection;
  database?: 'postgres' | 'pglite';
  /** The central worker's dependencies; a function when they need the test database (e.g. the LLM budget). */
  activities?: Omit<ActivityDependencies, 'db'> | ((db: Database) => Omit<ActivityDependencies, 'db'>);
  healer?: Omit<SelfHealingOptions, 'taskQueue' | 'appTaskQueue'>;
  /** The central worker's data converter (payload encryption); give `client` the same one. */
  dataConverter?: DataConverter;
}

export async function startTestSystem(options: TestSystemOptions): Promise<TestSystem> {
  const testDatabase = await createTestDatabase(options.database ?? 'postgres');
  const taskQueue = `healing-${randomUUID().slice(0, 8)}`;
  const central = await createCentralWorker({
    connection: options.connection,
    namespace: options.client.options.namespace,
    taskQueue,
    workflowBundle: await workflowBundle(options.dataConverter?.failureConverterPath),
    db: testDatabase.handle.db,
    ...(typeof options.activities === 'function' ? options.activities(testDatabase.handle.db) : options.activities),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
  });
  const healer = new SelfHealing(options.client, {
    ...options.healer,
    taskQueue,
    appTaskQueue: `${taskQueue}-app`,
    workerConnection: options.connection,
  });
  const appWorker = await healer.createWorker();
  const running = [central, appWorker].map((worker) => runInBackground(worker));
  return {
    healer,
    client: options.client,
    database: testDatabase.handle,
    taskQueue,
    async stop() {
      for (const worker of [central, appWorker]) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.all(running);
      await testDatabase.drop();
    },
  };
}

function runInBackground(worker: Worker): Promise<void> {
  return worker.run().catch((error: unknown) => console.error('worker failed', error));
}

export async function connectNative(address: string): Promise<NativeConnection> {
  return NativeConnection.connect({ address });
}
