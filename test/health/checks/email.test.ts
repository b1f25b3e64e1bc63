// The e-mail (Resend) check: an invalid key is a permanent fault, reported with its HTTP status.
import { describe, expect, it } from 'vitest';
import { failureOf } from '../../../workflows/health-check.js';
import { runAll, startRejectingProvider, useTestDatabase } from '../../support/health.js';

const testDb = useTestDatabase();

describe('email health check', () => {
  it('reports an invalid key as unhealthy with its HTTP status', async () => {
    const rejecting = await startRejectingProvider();
    try {
      const results = await runAll(testDb(), { email: { apiKey: 're_bad', baseUrl: rejecting.url } });
      expect(results.email).toMatchObject({ status: 'unhealthy', httpStatus: 401 });
      // A permanent fault: proactive healing would only re-run it, so the workflow does not start it.
      expect(failureOf(results.email!, {}).diagnosis).toMatchObject({ category: 'authentication', transient: false });
    } finally {
      await rejecting.close();
    }
  });
});
