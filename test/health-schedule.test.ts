// The health-check schedule on the suite's Temporal dev server: created by the start command
// (workers/main.ts, run as a real process) with a two-minute interval and overlap skip, updated
// rather than duplicated on the next start-up, and the operator's controls.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import {
  describeHealthSchedule,
  ensureHealthCheckSchedule,
  healthScheduleId,
  parseInterval,
  pauseHealthChecks,
  resumeHealthChecks,
  triggerHealthCheck,
} from '../workers/health-schedule.js';
import { getHealthChecks } from '../db/index.js';
import { createCentralWorker } from '../workers/worker.js';
import type { HealthCheckSummary } from '../workflows/health-check.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { workflowBundle } from './support/system.js';
import { connectToDevServer } from './support/temporal.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const TWO_MINUTES = 2 * 60_000;

let client: Client;
let address: string;
let testDb: TestDatabase;
const schedulesToDelete = new Set<string>();

beforeAll(async () => {
  ({ client, address } = await connectToDevServer());
  testDb = await createTestDatabase('postgres');
});

afterAll(async () => {
  for (const id of schedulesToDelete)
    await client.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined);
  await testDb?.drop();
});

/** Polls (bounded) until `probe` returns a value. */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string, attempts = 100): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function countSchedules(scheduleId: string): Promise<number> {
  let count = 0;
  for await (const schedule of client.schedule.list()) if (schedule.scheduleId === scheduleId) count++;
  return count;
}

interface StartedMain {
  process: ChildProcess;
  output: () => string;
  stop(): Promise<number | null>;
}

/** `workers/main.ts` as the user runs it, against the suite's Temporal server and a test database. */
async function startMain(env: Record<string, string>): Promise<StartedMain> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = () => output.includes('Health checks every') && (cleanup(), resolve());
    const onExit = (code: number | null) => (
      cleanup(),
      reject(new Error(`main exited (${code}) before starting:\n${output}`))
    );
    const cleanup = () => {
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
  return {
    process: child,
    output: () => output,
    async stop() {
      child.kill('SIGINT');
      return exited;
    },
  };
}

describe('health-check schedule at start-up', () => {
  it('exists after start-up with a two-minute interval and overlap skip; a second start-up updates it, no duplicate', async () => {
    const taskQueue = `health-main-${randomUUID().slice(0, 8)}`;
    const scheduleId = healthScheduleId(taskQueue);
    schedulesToDelete.add(scheduleId);
    const dataDir = mkdtempSync(path.join(tmpdir(), 'health-main-'));
    const env = {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      DATABASE_URL: testDb.url!,
      DATA_DIR: dataDir,
    };
    try {
      const first = await startMain(env);
      let info;
      try {
        expect(first.output()).toContain(`Health checks every 2m (schedule "${scheduleId}")`);
        info = await describeHealthSchedule(client, { taskQueue });
      } finally {
        expect(await first.stop()).toBe(0);
      }
      expect(info).toMatchObject({
        scheduleId,
        paused: false,
        intervalMs: TWO_MINUTES,
        overlap: ScheduleOverlapPolicy.SKIP,
        catchupWindowMs: TWO_MINUTES,
        taskQueue,
      });
      expect(info.nextRunTimes.length).toBeGreaterThanOrEqual(2);
      expect(info.nextRunTimes[1]!.getTime() - info.nextRunTimes[0]!.getTime()).toBe(TWO_MINUTES);

      // An operator pauses the checks; the next start-up keeps the pause and does not duplicate.
      await pauseHealthChecks(client, { taskQueue }, 'maintenance window');
      const second = await startMain(env);
      try {
        const again = await describeHealthSchedule(client, { taskQueue });
        expect(again).toMatchObject({
          scheduleId,
          paused: true,
          note: 'maintenance window',
          intervalMs: TWO_MINUTES,
          overlap: ScheduleOverlapPolicy.SKIP,
        });
      } finally {
        expect(await second.stop()).toBe(0);
      }
      expect(
        await eventually(
          async () => ((await countSchedules(scheduleId)) > 0 ? countSchedules(scheduleId) : undefined),
          'the schedule in the list',
        ),
      ).toBe(1);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000);

  it('rejects an invalid interval with a readable error', () => {
    expect(parseInterval('2m')).toBe(TWO_MINUTES);
    expect(parseInterval(90_000)).toBe(90_000);
    expect(() => parseInterval('every two minutes')).toThrow(/Invalid health-check interval/);
    expect(() => parseInterval('10ms')).toThrow(/at least 1s/);
  });
});

describe('operator controls', () => {
  let native: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `health-sched-${randomUUID().slice(0, 8)}`;
  const ref = { taskQueue };

  beforeAll(async () => {
    native = await NativeConnection.connect({ address });
    worker = await createCentralWorker({
      connection: native,
      taskQueue,
      workflowBundle: await workflowBundle(),
      db: testDb.handle.db,
      database: testDb.handle,
    });
    running = worker.run();
    schedulesToDelete.add(healthScheduleId(taskQueue));
  });

  afterAll(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await native?.close();
  });

  it('ensuring twice creates once and applies a new interval; trigger runs the checks now; pause and resume', async () => {
    expect(await ensureHealthCheckSchedule(client, { taskQueue })).toEqual({
      scheduleId: healthScheduleId(taskQueue),
      created: true,
    });
    expect(await ensureHealthCheckSchedule(client, { taskQueue, interval: '5m' })).toEqual({
      scheduleId: healthScheduleId(taskQueue),
      created: false,
    });
    const updated = await describeHealthSchedule(client, ref);
    expect(updated).toMatchObject({
      intervalMs: 5 * 60_000,
      catchupWindowMs: 5 * 60_000,
      overlap: ScheduleOverlapPolicy.SKIP,
      paused: false,
    });

    await triggerHealthCheck(client, ref);
    const run = await eventually(
      async () => (await describeHealthSchedule(client, ref)).recentRuns[0],
      'the triggered run',
    );
    expect(run.workflowId.startsWith(`health-check-${taskQueue}`)).toBe(true);
    const summary: HealthCheckSummary = await client.workflow.getHandle(run.workflowId).result();
    expect(summary.checks.map((check) => check.name)).toEqual(
      expect.arrayContaining(['llm_api', 'database', 'email', 'sms', 'error_rate', 'memory', 'file_service']),
    );
    const rows = (await getHealthChecks(testDb.handle.db, { limit: 1_000 })).filter(
      (row) => row.details?.healthRunId === summary.runId,
    );
    expect(rows).toHaveLength(7);

    await pauseHealthChecks(client, ref);
    expect(await describeHealthSchedule(client, ref)).toMatchObject({ paused: true, note: 'paused by an operator' });
    await resumeHealthChecks(client, ref);
    const resumed = await describeHealthSchedule(client, ref);
    expect(resumed).toMatchObject({ paused: false, note: 'resumed by an operator' });
    expect(resumed.nextRunTimes.length).toBeGreaterThan(0);
  });
});
