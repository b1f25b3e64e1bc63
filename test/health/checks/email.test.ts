// The e-mail (Resend) check: an invalid key is a permanent fault, reported with its HTTP status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureOf } from '../../../workflows/health-check.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { startFakeHttpServer } from '../../support/fake-http.js';
import { runAll } from '../../support/health.js';

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase('postgres');
});

afterAll(async () => {
  await testDb?.drop();
});

describe('email health check', () => {
  it('reports an invalid key as unhealthy with its HTTP status', async () => {
    const rejecting = await startFakeHttpServer(() => ({
      kind: 'json',
      status: 401,
      body: {
        name: 'validation_error',
        message: 'API key is invalid',
        statusCode: 401,
        error: { message: 'Incorrect API key' },
      },
    }));
    try {
      const results = await runAll(testDb.handle, { email: { apiKey: 're_bad', baseUrl: rejecting.url } });
      expect(results.email).toMatchObject({ status: 'unhealthy', httpStatus: 401 });
      // A permanent fault: proactive healing would only re-run it, so the workflow does not start it.
      expect(failureOf(results.email!, {}).diagnosis).toMatchObject({ category: 'authentication', transient: false });
    } finally {
      await rejecting.close();
    }
  });
});
