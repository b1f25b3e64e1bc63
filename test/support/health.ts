// Shared by the health-check tests (test/health/): running checks and an address that refuses.
import { createServer } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import type { HealthCheckResult } from '../../common/health-contract.js';
import type { HealthCheckOptions } from '../../activities/health/options.js';
import { createHealthCheckRunner } from '../../activities/health/runner.js';
import type { DatabaseHandle } from '../../db/index.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { startFakeHttpServer, type FakeHttpServer } from './fake-http.js';

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

/** A fresh PostgreSQL database for the calling test file, dropped after it; read it inside tests. */
export function useTestDatabase(): () => DatabaseHandle {
  let testDb: TestDatabase | undefined;
  beforeAll(async () => {
    testDb = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await testDb?.drop();
  });
  return () => testDb!.handle;
}

/** A provider that rejects every key: 401 in the shapes both the OpenAI and the Resend SDK read. */
export function startRejectingProvider(): Promise<FakeHttpServer> {
  return startFakeHttpServer(() => ({
    kind: 'json',
    status: 401,
    body: {
      name: 'validation_error',
      message: 'API key is invalid',
      statusCode: 401,
      error: { message: 'Incorrect API key' },
    },
  }));
}
