// Shared by the health-check tests (test/health/): running checks and an address that refuses.
import { createServer } from 'node:net';
import type { HealthCheckResult } from '../../common/health-contract.js';
import type { HealthCheckOptions } from '../../activities/health/options.js';
import { createHealthCheckRunner } from '../../activities/health/runner.js';
import type { DatabaseHandle } from '../../db/index.js';

export const ACCOUNT_SID = `AC${'a'.repeat(32)}`;

/** A port nothing listens on: connecting is refused. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Every planned check, run once, by name. */
export async function runAll(
  database: DatabaseHandle,
  options: HealthCheckOptions,
): Promise<Record<string, HealthCheckResult>> {
  const runner = createHealthCheckRunner({ db: database.db, database, options });
  const results = await Promise.all(runner.plan().checks.map((check) => runner.run(check.name)));
  return Object.fromEntries(results.map((result) => [result.name, result]));
}
