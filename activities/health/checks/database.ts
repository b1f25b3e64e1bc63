// The database: one round trip, plus the pool's statistics when the process's handle gives them.
import { sql } from 'drizzle-orm';
import type { HealthCheckFactory } from '../check.js';

export const databaseCheck: HealthCheckFactory = ({ db, database, defaultTimeoutMs }) => {
  const reset = database?.reset;
  return {
    name: 'database',
    configured: true,
    timeoutMs: defaultTimeoutMs,
    async probe() {
      const pingMs = database ? await database.ping() : await selectOne();
      const pool = database?.poolStats();
      const details: Record<string, unknown> = { pingMs: Math.round(pingMs), ...(pool ? { pool } : {}) };
      if (pool && pool.waiting > 0 && pool.idle === 0) {
        return { status: 'degraded', details, error: `${pool.waiting} clients waiting for a connection` };
      }
      return { status: 'healthy', details };
    },
    healing: { strategies: reset ? ['RESET_CONNECTION', 'RETRY_WITH_BACKOFF'] : ['RETRY_WITH_BACKOFF'] },
    hooks: reset ? { resetConnection: () => reset() } : {},
  };

  async function selectOne(): Promise<number> {
    const started = performance.now();
    await db.execute(sql`select 1`);
    return performance.now() - started;
  }
};
