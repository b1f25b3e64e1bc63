// The health-check activities' records: one row per run and check, however often retried.
import { describe, expect, it } from 'vitest';
import { createHealthCheckActivities } from '../../activities/health/activities.js';
import { createHealthCheckRunner } from '../../activities/health/runner.js';
import { getHealthChecks } from '../../db/index.js';
import { useTestDatabase } from '../support/health.js';

const testDatabase = useTestDatabase();

describe('health-check records', () => {
  it('recordHealthCheck writes one row per run and check, even when retried', async () => {
    const database = testDatabase();
    const runner = createHealthCheckRunner({ db: database.db, database, options: {} });
    const activities = createHealthCheckActivities(runner, { db: database.db });
    const result = await runner.run('memory');
    const input = { healthWorkflowId: 'health-check-test', healthRunId: 'run-idempotent', result };
    const first = await activities.recordHealthCheck(input);
    const [again, concurrent] = await Promise.all([
      activities.recordHealthCheck(input),
      activities.recordHealthCheck(input),
    ]);
    expect(again.id).toBe(first.id);
    expect(concurrent.id).toBe(first.id);
    const rows = (await getHealthChecks(database.db, { checkName: 'memory' })).filter(
      (row) => row.details?.healthRunId === 'run-idempotent',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'healthy', details: { healthWorkflowId: 'health-check-test' } });

    const history = await activities.loadHealthHistory({ names: ['memory'], limit: 5 });
    expect(history.memory![0]).toEqual({ id: first.id, status: 'healthy', healthRunId: 'run-idempotent' });
  });
});
