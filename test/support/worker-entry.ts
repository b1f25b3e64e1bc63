// The central worker as its own process, for fault tests (SIGKILL, restart) and benchmarks.
// It assembles the worker from the same parts as `npm start` (workers/main.ts): configuration
// from the environment (lib/config.ts), the database, LLM diagnosis and notifications from that
// configuration, createCentralWorker. It differs where a test needs it to:
//   - WORKFLOW_BUNDLE_PATH: a pre-built workflow bundle, so a restart takes a second or two
//     instead of re-bundling the workflows (main.ts bundles at every start);
//   - WORKER_TUNING: JSON of Worker options (pollers, concurrency, cache) for benchmarks;
//   - no dev server, no health-check schedule: the test owns the Temporal server and schedules.
// Prints `WORKER_READY <pid>` once polling starts; SIGTERM/SIGINT shut it down cleanly.
import { NativeConnection, DefaultLogger, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../../activities/index.js';
import { healthOptionsFromConfig } from '../../activities/health/options.js';
import { llmDiagnoserFromConfig } from '../../activities/llm-diagnosis.js';
import { notificationSettingsFromConfig } from '../../activities/notifications/index.js';
import { openDatabase } from '../../db/index.js';
import { loadConfig } from '../../lib/config.js';
import { createCentralWorker, WORKFLOWS_PATH } from '../../workers/worker.js';

export const WORKER_READY = 'WORKER_READY';

/** Worker options a benchmark may set (everything that tunes, nothing that changes behaviour). */
export type WorkerTuning = Pick<
  WorkerOptions,
  | 'maxConcurrentActivityTaskExecutions'
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'maxConcurrentLocalActivityExecutions'
  | 'maxCachedWorkflows'
  | 'workflowTaskPollerBehavior'
  | 'activityTaskPollerBehavior'
  | 'nonStickyToStickyPollRatio'
  | 'maxEagerActivityReservationsPerWorkflowTask'
  | 'workflowThreadPoolSize'
  | 'reuseV8Context'
>;

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX });
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const llm = llmDiagnoserFromConfig(config, { db: database.db });
  const deps: ActivityDependencies = {
    db: database.db,
    database,
    health: healthOptionsFromConfig(config),
    analysis: { llm: llm.handle?.diagnose },
    notifications: notificationSettingsFromConfig(config),
  };
  const bundlePath = process.env.WORKFLOW_BUNDLE_PATH;
  const tuning = process.env.WORKER_TUNING ? (JSON.parse(process.env.WORKER_TUNING) as WorkerTuning) : undefined;
  const worker = tuning
    ? await Worker.create({
        connection,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        activities: createActivities(deps),
        ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: WORKFLOWS_PATH }),
        ...tuning,
      })
    : await createCentralWorker({
        connection,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
        ...deps,
      });
  const shutdown = () => worker.shutdown();
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  const running = worker.run();
  console.log(`${WORKER_READY} ${process.pid}`);
  await running;
  await connection.close();
  await database.close();
}

main().catch((error: unknown) => {
  console.error('worker process failed:', error);
  process.exit(1);
});
