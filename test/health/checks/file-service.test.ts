// The file-service check: an unexpected status is unhealthy; healing re-runs it as `health:file_service`.
import { describe, expect, it } from 'vitest';
import { createHealthCheckRunner } from '../../../activities/health/runner.js';
import { createSystemOperationActivities } from '../../../activities/system-operations.js';
import { startFakeHttpServer } from '../../support/fake-http.js';
import { runAll, useTestDatabase } from '../../support/health.js';

const testDb = useTestDatabase();

describe('file_service health check', () => {
  it('an unexpected HTTP status is unhealthy, with the status for the diagnosis', async () => {
    const files = await startFakeHttpServer(() => ({ kind: 'json', status: 404, body: { error: 'not found' } }));
    try {
      const results = await runAll(testDb(), { fileService: { url: `${files.url}/missing` } });
      expect(results.file_service).toMatchObject({ status: 'unhealthy', httpStatus: 404 });
    } finally {
      await files.close();
    }
  });

  it('health:<check> re-runs the check: a value when healthy, a retryable failure while still unhealthy', async () => {
    const flaky = await startFakeHttpServer(() => ({ kind: 'json', body: { ok: true } }));
    try {
      const runner = createHealthCheckRunner({
        db: testDb().db,
        options: { fileService: { url: `${flaky.url}/health` } },
      });
      const operations = createSystemOperationActivities(runner);
      await expect(operations.runOperation({ operation: 'health:file_service' })).resolves.toMatchObject({
        sealedValue: expect.any(String),
      });
      flaky.enqueue({ kind: 'json', status: 503, body: { error: 'down' } });
      const failure = await operations
        .runOperation({ operation: 'health:file_service' })
        .catch((error: unknown) => error);
      expect(failure).toMatchObject({ type: 'HealthCheckFailedError', nonRetryable: false });
      expect((failure as Error).message).toContain('HTTP 503');
    } finally {
      await flaky.close();
    }
  });
});
