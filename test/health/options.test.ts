// Health-check settings from the environment, and the plan they give.
import { describe, expect, it } from 'vitest';
import { healthOptionsFromConfig } from '../../activities/health/options.js';
import { createHealthCheckRunner } from '../../activities/health/runner.js';
import { loadConfig } from '../../lib/config.js';
import { useTestDatabase } from '../support/health.js';

const testDatabase = useTestDatabase();

describe('health-check configuration', () => {
  it('has a two-minute interval and sensible defaults, and reads user-defined HTTP checks from JSON', () => {
    const database = testDatabase();
    const defaults = loadConfig({});
    expect(defaults).toMatchObject({
      HEALTH_CHECK_INTERVAL: '2m',
      ALERT_AFTER_FAILURES: 3,
      HEALTH_CHECK_TIMEOUT_MS: 5_000,
      HEALTH_HTTP_CHECKS: [],
    });
    const config = loadConfig({
      FILE_SERVICE_HEALTH_URL: 'http://files.internal/health',
      HEALTH_HTTP_CHECKS:
        '[{"name":"billing","url":"http://billing.internal/ping","method":"HEAD","expectedStatus":[200,204],"timeoutMs":1500}]',
      ALERT_AFTER_FAILURES: '5',
      OPENAI_API_KEY: 'sk-x',
      OPENAI_FALLBACK_BASE_URLS: 'http://llm-a/v1, http://llm-b/v1',
    });
    const options = healthOptionsFromConfig(config);
    expect(options).toMatchObject({
      alertAfterFailures: 5,
      fileService: { url: 'http://files.internal/health' },
      http: [
        {
          name: 'billing',
          url: 'http://billing.internal/ping',
          method: 'HEAD',
          expectedStatus: [200, 204],
          timeoutMs: 1500,
        },
      ],
      llm: { apiKey: 'sk-x', alternateBaseURLs: ['http://llm-a/v1', 'http://llm-b/v1'] },
    });
    const plan = createHealthCheckRunner({ db: database.db, options }).plan();
    expect(plan.checks.map((check) => [check.name, check.configured])).toContainEqual(['http:billing', true]);
    expect(plan.checks.find((check) => check.name === 'http:billing')!.timeoutMs).toBe(1500);
  });

  it('stops at start-up on an invalid interval or HTTP check list', () => {
    expect(() => loadConfig({ HEALTH_CHECK_INTERVAL: 'every now and then' })).toThrow(/HEALTH_CHECK_INTERVAL/);
    expect(() => loadConfig({ HEALTH_HTTP_CHECKS: '{not json' })).toThrow(/HEALTH_HTTP_CHECKS/);
    expect(() => loadConfig({ HEALTH_HTTP_CHECKS: '[{"name":"a b","url":"http://x"}]' })).toThrow(/HEALTH_HTTP_CHECKS/);
    expect(() =>
      loadConfig({ HEALTH_HTTP_CHECKS: '[{"name":"a","url":"http://x"},{"name":"a","url":"http://y"}]' }),
    ).toThrow(/unique/);
    expect(loadConfig({ HEALTH_CHECK_INTERVAL: '30s' }).HEALTH_CHECK_INTERVAL).toBe('30s');
  });
});
