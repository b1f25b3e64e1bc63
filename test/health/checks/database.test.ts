// The database check: bounded when the database does not answer; RESET_CONNECTION when the handle can reset.
import { describe, expect, it } from 'vitest';
import { createHealthCheckRunner } from '../../../activities/health/runner.js';
import { createSystemOperationActivities } from '../../../activities/system-operations.js';
import { useTestDatabase } from '../../support/health.js';

const testDatabase = useTestDatabase();

describe('database health check', () => {
  it('a database that does not answer is unhealthy within the timeout', async () => {
    const database = testDatabase();
    const stuck = { ping: () => new Promise<number>(() => {}), poolStats: () => ({ total: 10, idle: 0, waiting: 4 }) };
    const result = await createHealthCheckRunner({ db: database.db, database: stuck, options: { timeoutMs: 200 } }).run(
      'database',
    );
    expect(result).toMatchObject({ status: 'unhealthy', code: 'ETIMEDOUT', error: 'timed out after 200 ms' });
  });

  it('RESET_CONNECTION for the database runs the pool reset the handle offers', async () => {
    const database = testDatabase();
    let resets = 0;
    const resettable = {
      ping: () => database.ping(),
      poolStats: () => database.poolStats(),
      reset: async () => void resets++,
    };
    const runner = createHealthCheckRunner({ db: database.db, database: resettable });
    expect(runner.plan().checks.find((check) => check.name === 'database')!.healing).toMatchObject({
      strategies: ['RESET_CONNECTION', 'RETRY_WITH_BACKOFF'],
      hooks: ['resetConnection'],
    });
    await createSystemOperationActivities(runner).runOperationHook({
      operation: 'health:database',
      hook: 'resetConnection',
    });
    expect(resets).toBe(1);
    // Without a reset, healing can only re-check.
    const plain = createHealthCheckRunner({ db: database.db, database });
    expect(plain.plan().checks.find((check) => check.name === 'database')!.healing!.strategies).toEqual([
      'RETRY_WITH_BACKOFF',
    ]);
  });
});
