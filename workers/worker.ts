// The central worker: healing and health-check workflows plus the system's activities.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../activities/index.js';
import type { Tracing } from '../lib/telemetry.js';

const HERE = fileURLToPath(import.meta.url);
/** Beside this file: workflows/index.ts in a checkout, index.js once compiled into dist/. */
export const WORKFLOWS_PATH = path.join(path.dirname(HERE), '..', 'workflows', `index${path.extname(HERE)}`);

export interface CentralWorkerOptions extends ActivityDependencies {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  /** A pre-built bundle (tests build it once); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * Payload encryption (lib/payload-codec.ts encryptingDataConverter). A pre-built bundle must
   * then be bundled with the same failureConverterPath.
   */
  dataConverter?: WorkerOptions['dataConverter'];
  /** OpenTelemetry tracing (lib/telemetry.ts); a pre-built bundle must then be bundled with its plugin. */
  tracing?: Tracing;
}

export async function createCentralWorker(options: CentralWorkerOptions): Promise<Worker> {
  const { connection, namespace, taskQueue, workflowBundle, dataConverter, tracing, ...deps } = options;
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    activities: createActivities(deps),
    ...(dataConverter ? { dataConverter } : {}),
    ...(tracing ? { plugins: [tracing.plugin] } : {}),
    // vs 40 slots, 10 pollers: backlogs drain 1.16–1.25× faster at 0.83–0.96× CPU/run (docs/architecture.md).
    maxConcurrentWorkflowTaskExecutions: 100,
    workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 50 },
    // On stop, running activities get a few seconds to finish; a stop never waits longer than the force time.
    shutdownGraceTime: '5s',
    shutdownForceTime: '30s',
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
  });
}
