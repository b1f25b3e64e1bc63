// Shared set-up of the worker-kill fault tests: the central worker as a child process (that a
// test SIGKILLs and starts again) on the suite's dev server and a fresh PostgreSQL database,
// with a fake OpenAI server behind the real LLM diagnoser and a fake Resend server behind the
// real notifier; the application (client, wrapped operations, its own worker) in the test process.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import pg from 'pg';
import { SelfHealing } from '../../client/self-healing.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { chatCompletion, startFakeOpenAi, type FakeOpenAi } from './fake-openai.js';
import { startFakeResend, type FakeResend } from './fake-resend.js';
import { connectNative } from './system.js';
import { connectToDevServer } from './temporal.js';
import { startWorkerProcess, writeWorkflowBundle, type WorkerProcess } from './worker-process.js';

/** The model finds no fitting strategy: the rules decide (the LLM is not what these tests are about). */
export const NO_STRATEGY_ANSWER = {
  category: 'network',
  severity: 'high',
  transient: true,
  rootCause: 'The dependency is unavailable.',
  recommendedStrategy: null,
  fallbackStrategies: null,
  confidence: 0.5,
  explanation: 'Nothing the operation allows fits.',
};

export interface FaultHarness {
  client: Client;
  taskQueue: string;
  healer: SelfHealing;
  /** The test's own connections to the database. */
  direct: pg.Pool;
  openai: FakeOpenAi;
  resend: FakeResend;
  /** The running central worker process. */
  central(): WorkerProcess;
  /** SIGKILL: no shutdown, running activities and workflow tasks abandoned. */
  killCentral(): Promise<void>;
  startCentral(): Promise<void>;
  /** Starts the application's worker (after the operations are registered) and the central worker. */
  start(): Promise<void>;
  /** Polls `probe` until it gives a value; fails when the worker process dies meanwhile. */
  until<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string): Promise<T>;
  /** The healing workflow id of the (only) run of `operation`, once its event is recorded. */
  workflowIdOf(operation: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startFaultHarness(name: string): Promise<FaultHarness> {
  const dev = await connectToDevServer();
  const native: NativeConnection = await connectNative(dev.address);
  const testDb: TestDatabase = await createTestDatabase('postgres');
  const direct = new pg.Pool({ connectionString: testDb.url, max: 2 });
  const openai = await startFakeOpenAi();
  openai.setDefault(() => ({ kind: 'json', body: chatCompletion(JSON.stringify(NO_STRATEGY_ANSWER)) }));
  const resend = await startFakeResend();
  const bundle = await writeWorkflowBundle();
  const taskQueue = `${name}-${randomUUID().slice(0, 8)}`;
  const healer = new SelfHealing(dev.client, {
    taskQueue,
    appTaskQueue: `${taskQueue}-app`,
    workerConnection: native,
    waitForHealingMs: 180_000,
  });
  let central: WorkerProcess | undefined;
  let appWorker: Worker | undefined;
  let appRunning: Promise<void> | undefined;

  const harness: FaultHarness = {
    client: dev.client,
    taskQueue,
    healer,
    direct,
    openai,
    resend,
    central: () => central!,
    async killCentral() {
      await central?.kill();
    },
    async startCentral() {
      central = startWorkerProcess({
        bundlePath: bundle.path,
        env: {
          TEMPORAL_ADDRESS: dev.address,
          TEMPORAL_TASK_QUEUE: taskQueue,
          DATABASE_URL: testDb.url!,
          OPENAI_API_KEY: 'sk-faults',
          OPENAI_BASE_URL: openai.baseURL,
          OPENAI_TIMEOUT_MS: '30000',
          LLM_CALLS_PER_HOUR: '1000',
          RESEND_API_KEY: 're_faults',
          RESEND_BASE_URL: resend.url,
          ADMIN_EMAILS: 'ops@example.com',
        },
      });
      await central.ready;
    },
    async start() {
      appWorker = await healer.createWorker();
      appRunning = appWorker.run();
      await harness.startCentral();
    },
    async until(probe, what) {
      for (;;) {
        const value = await probe();
        if (value !== undefined && value !== false) return value as never;
        if (central && central.child.exitCode !== null) {
          throw new Error(`the worker process exited while waiting for ${what}:\n${central.output()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    workflowIdOf(operation) {
      return harness.until(async () => {
        const { rows } = await direct.query<{ workflow_id: string }>(
          `select workflow_id from healing_events where operation = $1`,
          [operation],
        );
        return rows[0]?.workflow_id;
      }, `the healing event of ${operation}`);
    },
    async stop() {
      await central?.stop();
      if (appWorker?.getState() === 'RUNNING') appWorker.shutdown();
      await appRunning;
      await native.close();
      await direct.end();
      await testDb.drop();
      await openai.close();
      await resend.close();
      bundle.remove();
    },
  };
  return harness;
}

/** What a run left behind: its notification decisions and its event rows. */
export async function recordsOf(direct: pg.Pool, workflowId: string) {
  const notifications = await direct.query<{ decision: string; email_status: string }>(
    `select decision, email_status from notifications where workflow_id = $1`,
    [workflowId],
  );
  const events = await direct.query<{ attempt_log: Array<{ id: string }>; result: string }>(
    `select attempt_log, result from healing_events where workflow_id = $1`,
    [workflowId],
  );
  return { notifications: notifications.rows, events: events.rows };
}
