// Fault: the Temporal server restarts. This file runs its own dev server (lib/dev-server.ts)
// with its SQLite database file in a temporary directory, stops it while a healing run is
// queued on a durable timer and the health-check schedule exists, and starts it again on the
// same port with the same file: the schedule and the running healing workflow survive, and the
// queued operation runs after the restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { ensureHealthCheckSchedule } from '../workers/health-schedule.js';
import { HEALTH_CHECK_WORKFLOW_TYPE } from '../common/health-contract.js';
import { OperationQueuedError, SelfHealing } from '../client/self-healing.js';
import type { HealingSummary } from '../common/healing-contract.js';
import { getHealingEvents } from '../db/index.js';
import { startDevServer, type DevServer } from '../lib/dev-server.js';
import { freePort } from '../lib/free-port.js';
import { createCentralWorker } from '../workers/worker.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { workflowBundle } from './support/system.js';

const taskQueue = `faults-restart-${randomUUID().slice(0, 8)}`;
let dataDir: string;
let port: number;
let server: DevServer;
let connection: Connection;
let client: Client;
let native: NativeConnection;
let testDb: TestDatabase;
let healer: SelfHealing;
let workers: Worker[] = [];
let running: Array<Promise<void>> = [];

async function startServer(): Promise<void> {
  server = await startDevServer({ port, dbFilename: path.join(dataDir, 'temporal.sqlite'), startupTimeoutMs: 60_000 });
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'faults-temporal-'));
  port = await freePort();
  await startServer();
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
  native = await NativeConnection.connect({ address: server.address });
  testDb = await createTestDatabase('postgres');
  healer = new SelfHealing(client, { taskQueue, appTaskQueue: `${taskQueue}-app`, workerConnection: native });
});

afterAll(async () => {
  await stopWorkers();
  await native?.close().catch(() => undefined);
  await connection?.close().catch(() => undefined);
  await server?.stop();
  await testDb?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function startWorkers(): Promise<void> {
  workers = [
    await createCentralWorker({
      connection: native,
      taskQueue,
      workflowBundle: await workflowBundle(),
      db: testDb.handle.db,
      database: testDb.handle,
    }),
    await healer.createWorker(),
  ];
  running = workers.map((worker) => worker.run());
}

async function stopWorkers(): Promise<void> {
  for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  await Promise.all(running.map((run) => run.catch(() => undefined)));
  workers = [];
  running = [];
}

describe('the Temporal dev server restarts with its database file', () => {
  it('keeps the health-check schedule and the running healing workflow, which then completes', async () => {
    let sends = 0;
    const send = healer.withSelfHealing(
      'faults.restart.queue',
      async (to: string) => {
        sends++;
        if (sends === 1)
          throw Object.assign(new Error('SMTP 421 service not available, closing channel'), { status: 503 });
        return `sent to ${to}`;
      },
      { allowedStrategies: ['QUEUE_FOR_LATER'], queueForLater: true, timing: { queueDelayMs: 3_000 } },
    );
    await startWorkers();
    const schedule = await ensureHealthCheckSchedule(client, { taskQueue, interval: '1h' });

    // The call is queued: its healing run now waits on a durable timer.
    const queued = await send('ops@example.com').catch((error: unknown) => error);
    expect(queued).toBeInstanceOf(OperationQueuedError);
    const workflowId = (queued as OperationQueuedError).healingWorkflowId;
    expect((await client.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');

    // Workers stop with the server (nothing could run meanwhile anyway); the server restarts on its file.
    await stopWorkers();
    expect(sends).toBe(1); // the queued operation has not run again yet
    await server.stop();
    await startServer();
    await startWorkers();

    // The schedule survived, unchanged, and still starts runs.
    const description = await client.schedule.getHandle(schedule.scheduleId).describe();
    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: HEALTH_CHECK_WORKFLOW_TYPE,
      taskQueue,
    });
    expect(description.spec.intervals?.[0]?.every).toBe(60 * 60 * 1000);
    await client.schedule.getHandle(schedule.scheduleId).trigger();
    const triggered = await waitFor(async () => {
      const again = await client.schedule.getHandle(schedule.scheduleId).describe();
      return again.info.recentActions[0]?.action.workflow.workflowId;
    });
    const health = client.workflow.getHandle(triggered);
    await health.result();
    expect((await health.describe()).status.name).toBe('COMPLETED');

    // The healing run survived and finishes: the queued operation ran once more, after the restart.
    const summary = (await client.workflow.getHandle(workflowId).result()) as HealingSummary;
    expect(summary).toMatchObject({ result: 'healed', strategy: 'QUEUE_FOR_LATER' });
    expect(sends).toBe(2);
    const { rows } = await getHealingEvents(testDb.handle.db, { operation: 'faults.restart.queue' });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ workflowId, result: 'healed', strategy: 'QUEUE_FOR_LATER' });

    await client.schedule.getHandle(schedule.scheduleId).delete();
  }, 120_000);
});

async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
