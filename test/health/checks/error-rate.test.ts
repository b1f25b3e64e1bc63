// The error-rate check: healing events per minute against its thresholds; nothing heals it.
import { describe, expect, it } from 'vitest';
import type { HealthCheckOptions } from '../../../activities/health/options.js';
import { createHealthCheckRunner } from '../../../activities/health/runner.js';
import { createSystemOperationActivities } from '../../../activities/system-operations.js';
import { recordHealingEvent } from '../../../db/index.js';
import { useTestDatabase } from '../../support/health.js';

const testDb = useTestDatabase();

describe('error_rate health check', () => {
  it('measures the error rate from healing events against its thresholds', async () => {
    for (let i = 0; i < 6; i++) {
      await recordHealingEvent(testDb().db, {
        eventKey: `rate-${i}`,
        operation: 'orders.load',
        errorClass: 'Error',
        errorMessage: 'boom',
        signature: 'sig',
      });
    }
    const run = (errorRate: HealthCheckOptions['errorRate']) =>
      createHealthCheckRunner({ db: testDb().db, options: { errorRate } }).run('error_rate');
    expect(await run({ windowMs: 60_000, degradedPerMinute: 3, unhealthyPerMinute: 5 })).toMatchObject({
      status: 'unhealthy',
      details: { events: 6, perMinute: 6 },
    });
    expect((await run({ windowMs: 60_000, degradedPerMinute: 3, unhealthyPerMinute: 10 })).status).toBe('degraded');
    expect((await run({ windowMs: 60_000, degradedPerMinute: 10, unhealthyPerMinute: 20 })).status).toBe('healthy');
  });

  it('has no healing operation: nothing re-runs it', async () => {
    const operations = createSystemOperationActivities(createHealthCheckRunner({ db: testDb().db }));
    await expect(operations.runOperation({ operation: 'health:error_rate' })).rejects.toMatchObject({
      type: 'UnknownOperation',
    });
  });
});
