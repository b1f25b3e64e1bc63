// User-defined HTTP checks: the expected status (one or a list) decides.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHttpServer, type FakeHttpServer } from '../../support/fake-http.js';
import { runAll, useTestDatabase } from '../../support/health.js';

const testDb = useTestDatabase();
let files: FakeHttpServer;

beforeAll(async () => {
  files = await startFakeHttpServer((request) =>
    request.path === '/health'
      ? { kind: 'json', body: { ok: true } }
      : { kind: 'json', status: 404, body: { error: 'not found' } },
  );
});

afterAll(async () => {
  await files?.close();
});

describe('user-defined HTTP health checks', () => {
  it('an unexpected HTTP status is unhealthy, with the status for the diagnosis', async () => {
    const results = await runAll(testDb(), {
      http: [
        { name: 'wants-404', url: `${files.url}/missing`, expectedStatus: 404 },
        { name: 'wants-201', url: `${files.url}/health`, expectedStatus: [201, 202] },
      ],
    });
    expect(results['http:wants-404']!.status).toBe('healthy');
    expect(results['http:wants-201']).toMatchObject({ status: 'unhealthy', httpStatus: 200 });
    expect(results['http:wants-201']!.error).toContain('expected 201,202');
  });
});
