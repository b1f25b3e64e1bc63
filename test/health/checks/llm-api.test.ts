// The LLM API check: an invalid key, and SWITCH_API_ENDPOINT to a healthy alternate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealthCheckRunner } from '../../../activities/health/runner.js';
import { createSystemOperationActivities } from '../../../activities/system-operations.js';
import { startFakeOpenAi, type FakeOpenAi } from '../../support/fake-openai.js';
import { refusedUrl, runAll, startRejectingProvider, useTestDatabase } from '../../support/health.js';

const testDb = useTestDatabase();
let openai: FakeOpenAi;
let closedUrl: string;

beforeAll(async () => {
  openai = await startFakeOpenAi();
  closedUrl = await refusedUrl();
});

afterAll(async () => {
  await openai?.close();
});

describe('llm_api health check', () => {
  it('reports an invalid key as unhealthy with its HTTP status', async () => {
    const rejecting = await startRejectingProvider();
    try {
      const results = await runAll(testDb(), { llm: { apiKey: 'sk-bad', baseURL: `${rejecting.url}/v1` } });
      expect(results.llm_api).toMatchObject({ status: 'unhealthy', httpStatus: 401 });
    } finally {
      await rejecting.close();
    }
  });

  it('SWITCH_API_ENDPOINT for the LLM API makes the healthy alternate the active endpoint', async () => {
    const switched: string[] = [];
    const runner = createHealthCheckRunner({
      db: testDb().db,
      options: {
        llm: { apiKey: 'sk-test', baseURL: `${closedUrl}/v1`, alternateBaseURLs: [`${openai.url}/v1`] },
        onLlmEndpointSwitched: (url) => switched.push(url),
      },
    });
    expect(runner.plan().checks.find((check) => check.name === 'llm_api')!.healing).toMatchObject({
      strategies: ['SWITCH_API_ENDPOINT', 'RETRY_WITH_BACKOFF'],
      alternateEndpoints: [`${openai.url}/v1`],
    });
    expect((await runner.run('llm_api')).status).toBe('unhealthy');
    const operations = createSystemOperationActivities(runner);
    await operations.runOperation({ operation: 'health:llm_api', endpoint: `${openai.url}/v1` });
    expect(switched).toEqual([`${openai.url}/v1`]);
    // The next run, without an endpoint given, probes the alternate.
    const next = await runner.run('llm_api');
    expect(next.details.baseURL).toBe(`${openai.url}/v1`);
    expect(next.status).toBe('healthy');
  });
});
