// The system's health as the dashboard and `heal health` read it: worst fresh status, latest result per check.
import { describe, expect, it } from 'vitest';
import { getSystemHealthStatus } from '../../cli/operator/system-health.js';
import { createHealthCheck } from '../../db/index.js';
import { createTestDatabase } from '../support/database.js';

describe('system health', () => {
  it('getSystemHealthStatus gives the worst fresh status and the latest result per check', async () => {
    const fresh = await createTestDatabase('postgres');
    try {
      const db = fresh.handle.db;
      expect(await getSystemHealthStatus(db)).toEqual({ overall: 'unknown', checks: [], lastCheckedAt: null });
      const old = new Date(Date.now() - 60 * 60_000);
      await createHealthCheck(db, { checkName: 'database', status: 'unhealthy', checkedAt: old });
      await createHealthCheck(db, { checkName: 'database', status: 'healthy', latencyMs: 3 });
      await createHealthCheck(db, { checkName: 'email', status: 'skipped' });
      await createHealthCheck(db, { checkName: 'memory', status: 'degraded', error: 'rss high' });
      await createHealthCheck(db, { checkName: 'http:old', status: 'unhealthy', checkedAt: old });
      const status = await getSystemHealthStatus(db);
      expect(status.overall).toBe('degraded');
      expect(status.checks.map((check) => [check.name, check.status, check.stale])).toEqual([
        ['database', 'healthy', false],
        ['email', 'skipped', false],
        ['http:old', 'unhealthy', true],
        ['memory', 'degraded', false],
      ]);
      await createHealthCheck(db, { checkName: 'database', status: 'unhealthy', error: 'ECONNREFUSED' });
      expect((await getSystemHealthStatus(db)).overall).toBe('unhealthy');
    } finally {
      await fresh.drop();
    }
  });
});
