// Retention: the schedule the worker keeps, its workflow pruning in batches on a real worker and
// PostgreSQL, and the hourly counts that outlive the pruned events.
import { randomUUID } from 'node:crypto';
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeHealthSchedule, triggerHealthCheck } from '../workers/health-schedule.js';
import {
  createHealthCheck,
  getHealingEvents,
  getHealingStats,
  getHealthChecks,
  getLatestHealthChecks,
  recordHealingEvent,
  updateHealingEvent,
} from '../db/index.js';
import { ConfigError, loadConfig } from '../lib/config.js';
import { ensureRetentionSchedule, retentionFromConfig, retentionScheduleId } from '../workers/retention-schedule.js';
import { createCentralWorker } from '../workers/worker.js';
import type { RetentionSummary } from '../workflows/retention.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { workflowBundle } from './support/system.js';
import { connectToDevServer } from './support/temporal.js';

const DAY = 86_400_000;
const taskQueue = `retention-${randomUUID().slice(0, 8)}`;
const ref = { taskQueue, scheduleId: retentionScheduleId(taskQueue) };

let client: Client;
let testDb: TestDatabase;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  let address: string;
  ({ client, address } = await connectToDevServer());
  testDb = await createTestDatabase('postgres');
  native = await NativeConnection.connect({ address });
  worker = await createCentralWorker({
    connection: native,
    taskQueue,
    workflowBundle: await workflowBundle(),
    db: testDb.handle.db,
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  await client?.schedule
    .getHandle(ref.scheduleId)
    .delete()
    .catch(() => undefined);
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await native?.close();
  await testDb?.drop();
});

async function eventually<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 150; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('retention', () => {
  it('prunes each table past its retention in batches, on schedule or on demand; the counts stay', async () => {
    const db = testDb.handle.db;
    const now = Date.now();
    const ages = [100, 95, 91, 10, 1];
    for (const [i, days] of ages.entries()) {
      const eventKey = `retained-${i}`;
      await recordHealingEvent(db, {
        eventKey,
        operation: 'orders.load',
        errorClass: 'Error',
        errorMessage: 'read ECONNRESET',
        signature: 'sig-retained',
        category: 'network',
        detectedAt: new Date(now - days * DAY),
      });
      await updateHealingEvent(db, eventKey, {
        result: 'healed',
        strategy: 'RETRY_WITH_BACKOFF',
        healingDurationMs: 10,
      });
    }
    for (const days of [40, 31, 1]) {
      await createHealthCheck(db, {
        checkName: days === 1 ? 'database' : 'old-check',
        status: 'healthy',
        checkedAt: new Date(now - days * DAY),
      });
    }
    const before = await getHealingStats(db);
    // A range with whole days, whole hours and partial hours: days and hours rollups and events.
    const longRange = { from: new Date(now - 120 * DAY - 90 * 60_000), to: new Date(now - 30 * 60_000) };
    const beforeLongRange = await getHealingStats(db, longRange);

    const input = {
      ...retentionFromConfig({ RETENTION_HEALING_EVENTS: '90d', RETENTION_HEALTH_CHECKS: '30d' }),
      batchSize: 2,
    };
    expect(await ensureRetentionSchedule(client, { taskQueue, input })).toEqual({
      scheduleId: ref.scheduleId,
      created: true,
    });
    expect(await ensureRetentionSchedule(client, { taskQueue, input })).toEqual({
      scheduleId: ref.scheduleId,
      created: false,
    });
    expect(await describeHealthSchedule(client, ref)).toMatchObject({
      intervalMs: 3_600_000,
      overlap: ScheduleOverlapPolicy.SKIP,
      paused: false,
      taskQueue,
    });

    await triggerHealthCheck(client, ref);
    const run = await eventually(
      async () => (await describeHealthSchedule(client, ref)).recentRuns[0],
      'the triggered run',
    );
    const summary: RetentionSummary = await client.workflow.getHandle(run.workflowId).result();
    expect(summary.healing_events?.deleted).toBe(3);
    expect(summary.system_health_checks?.deleted).toBe(2);

    expect((await getHealingEvents(db)).rows.map((row) => row.eventKey).sort()).toEqual(['retained-3', 'retained-4']);
    expect((await getHealthChecks(db)).map((row) => row.checkName)).toEqual(['database']);
    expect((await getLatestHealthChecks(db)).map((row) => row.checkName)).toEqual(['database']);
    // The statistics of the pruned days remain (the hour and day rollups are not pruned).
    expect(await getHealingStats(db)).toEqual(before);
    expect(await getHealingStats(db, longRange)).toEqual(beforeLongRange);
    expect(beforeLongRange.total).toBe(5);
    expect(before).toMatchObject({ total: 5, byResult: { healed: 5 }, meanTimeToHealMs: 10 });
  }, 120_000);

  it('reads RETENTION_* as durations and refuses anything else with a clear error', () => {
    expect(retentionFromConfig(loadConfig({}))).toEqual({
      keepMs: { healing_events: 90 * DAY, system_health_checks: 30 * DAY },
    });
    expect(
      retentionFromConfig(loadConfig({ RETENTION_HEALING_EVENTS: '7d', RETENTION_HEALTH_CHECKS: '12h' })).keepMs,
    ).toEqual({
      healing_events: 7 * DAY,
      system_health_checks: DAY / 2,
    });
    expect(() => loadConfig({ RETENTION_HEALING_EVENTS: 'forever' })).toThrow(ConfigError);
    expect(() => loadConfig({ RETENTION_HEALING_EVENTS: 'forever' })).toThrow(/RETENTION_HEALING_EVENTS/);
  });
});
