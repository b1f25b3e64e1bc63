// The memory check: this process's resident set and heap against thresholds.
import { describe, expect, it } from 'vitest';
import type { HealthCheckOptions } from '../../../activities/health/options.js';
import { createHealthCheckRunner } from '../../../activities/health/runner.js';
import type { Database } from '../../../db/index.js';

describe('memory health check', () => {
  it('compares memory with its thresholds', async () => {
    // The memory probe reads no database.
    const db = {} as Database;
    const run = (memory: HealthCheckOptions['memory']) =>
      createHealthCheckRunner({ db, options: { memory } }).run('memory');
    expect((await run({ rssDegradedMb: 1, rssUnhealthyMb: 1 })).status).toBe('unhealthy');
    expect((await run({ rssDegradedMb: 1, rssUnhealthyMb: 1_000_000 })).status).toBe('degraded');
    expect((await run({ heapUnhealthyRatio: 0.000001 })).status).toBe('unhealthy');
    expect((await run({})).status).toBe('healthy');
  });
});
