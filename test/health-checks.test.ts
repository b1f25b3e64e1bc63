// The health checks as activities, against fake providers on 127.0.0.1 and a real PostgreSQL:
// healthy, skipped when not configured, unhealthy (never skipped) when a configured service is
// missing, bounded by their timeouts when a service hangs; idempotent records; streak decisions.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createHealthCheckActivities,
  createHealthCheckRunner,
  HTTP_CHECK_PREFIX,
  type HealthCheckOptions,
  type HealthCheckResult,
} from '../activities/health-checks.js';
import { createSystemOperationActivities } from '../activities/system-operations.js';
import { getSystemHealthStatus } from '../client/system-health.js';
import { createHealingEvent, createHealthCheck, getHealthChecks, type DatabaseHandle } from '../db/index.js';
import { decideNotice, failureOf, overallOf, shouldHeal, streakOf } from '../workflows/health-check.js';
import { loadConfig } from '../lib/config.js';
import { alertsViaNotifications, healthOptionsFromConfig } from '../activities/health-checks.js';
import { createNotificationActivities } from '../activities/notifications.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startFakeHttpServer, type FakeHttpServer } from './support/fake-http.js';
import { startFakeOpenAi, type FakeOpenAi } from './support/fake-openai.js';
import { startFakeResend, type FakeResend } from './support/fake-resend.js';
import { startFakeTwilio, type FakeTwilio } from './support/fake-twilio.js';

let testDb: TestDatabase;
let database: DatabaseHandle;
let openai: FakeOpenAi;
let resend: FakeResend;
let twilio: FakeTwilio;
let files: FakeHttpServer;
let hanging: FakeHttpServer;
let closedUrl: string;

const ACCOUNT_SID = `AC${'a'.repeat(32)}`;

/** A port nothing listens on: connecting is refused. */
async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  testDb = await createTestDatabase('postgres');
  database = testDb.handle;
  [openai, resend, twilio] = await Promise.all([startFakeOpenAi(), startFakeResend(), startFakeTwilio()]);
  files = await startFakeHttpServer((request) =>
    request.path === '/health' ? { kind: 'json', body: { ok: true } } : { kind: 'json', status: 404, body: { error: 'not found' } },
  );
  hanging = await startFakeHttpServer(() => ({ kind: 'hang' }));
  closedUrl = await refusedUrl();
});

afterAll(async () => {
  await Promise.all([openai, resend, twilio, files, hanging].map((server) => server?.close()));
  await testDb?.drop();
});

function configuredAgainst(urls: { openai: string; resend: string; twilio: string; files: string }, timeoutMs = 2_000): HealthCheckOptions {
  return {
    timeoutMs,
    llm: { apiKey: 'sk-test', baseURL: `${urls.openai}/v1` },
    email: { apiKey: 're_test', baseUrl: urls.resend },
    sms: { accountSid: ACCOUNT_SID, authToken: 'token', baseUrl: urls.twilio },
    fileService: { url: `${urls.files}/health` },
    http: [{ name: 'api', url: `${urls.files}/health`, expectedStatus: 200 }],
  };
}

function byName(results: HealthCheckResult[]): Record<string, HealthCheckResult> {
  return Object.fromEntries(results.map((result) => [result.name, result]));
}

async function runAll(options: HealthCheckOptions): Promise<Record<string, HealthCheckResult>> {
  const runner = createHealthCheckRunner({ db: database.db, database, options });
  return byName(await Promise.all(runner.plan().checks.map((check) => runner.run(check.name))));
}

describe('health checks', () => {
  it('reports every configured service healthy, through the real SDKs against fake providers', async () => {
    const results = await runAll(
      configuredAgainst({ openai: openai.url, resend: resend.url, twilio: twilio.url, files: files.url }),
    );
    expect(Object.keys(results).sort()).toEqual(
      ['database', 'email', 'error_rate', 'file_service', `${HTTP_CHECK_PREFIX}api`, 'llm_api', 'memory', 'sms'].sort(),
    );
    for (const result of Object.values(results)) {
      expect(result.status, `${result.name}: ${result.error}`).toBe('healthy');
      expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    }
    expect(results.database!.details).toMatchObject({ pool: { total: expect.any(Number), idle: expect.any(Number), waiting: 0 } });
    expect(results.memory!.details).toMatchObject({ rssMb: expect.any(Number), heapRatio: expect.any(Number) });
    expect(results.sms!.details).toMatchObject({ accountStatus: 'active' });
    // The probes really went to the providers' APIs.
    expect(openai.requests.some((request) => request.method === 'GET' && request.path === '/v1/models')).toBe(true);
    expect(resend.requests.some((request) => request.path === '/domains')).toBe(true);
    expect(twilio.requests.some((request) => request.path === `/2010-04-01/Accounts/${ACCOUNT_SID}.json`)).toBe(true);
  });

  it('skips services that are not configured, and still checks the database, error rate and memory', async () => {
    const results = await runAll({});
    for (const name of ['llm_api', 'email', 'sms', 'file_service']) {
      expect(results[name]).toMatchObject({ status: 'skipped', details: { reason: 'not configured' } });
    }
    for (const name of ['database', 'error_rate', 'memory']) expect(results[name]!.status).toBe('healthy');
  });

  it('a configured service that is missing is unhealthy, never skipped', async () => {
    const results = await runAll(configuredAgainst({ openai: closedUrl, resend: closedUrl, twilio: closedUrl, files: closedUrl }));
    for (const name of ['llm_api', 'email', 'sms', 'file_service', 'http:api']) {
      expect(results[name]!.status, name).toBe('unhealthy');
      expect(results[name]!.error, name).toBeTruthy();
    }
    expect(results.file_service!.code).toBe('ECONNREFUSED');
    expect(results['http:api']!.code).toBe('ECONNREFUSED');
  });

  it('a service that hangs is bounded by the check timeout', async () => {
    const results = await runAll(
      configuredAgainst({ openai: hanging.url, resend: hanging.url, twilio: hanging.url, files: hanging.url }, 300),
    );
    for (const name of ['llm_api', 'email', 'sms', 'file_service', 'http:api']) {
      expect(results[name], name).toMatchObject({ status: 'unhealthy', code: 'ETIMEDOUT' });
      expect(results[name]!.error, name).toMatch(/timed out|timeout|aborted/i);
      expect(results[name]!.details).toMatchObject({ timeoutMs: 300 });
    }
  });

  it('an unexpected HTTP status is unhealthy, with the status for the diagnosis', async () => {
    const results = await runAll({
      fileService: { url: `${files.url}/missing` },
      http: [
        { name: 'wants-404', url: `${files.url}/missing`, expectedStatus: 404 },
        { name: 'wants-201', url: `${files.url}/health`, expectedStatus: [201, 202] },
      ],
    });
    expect(results.file_service).toMatchObject({ status: 'unhealthy', httpStatus: 404 });
    expect(results['http:wants-404']!.status).toBe('healthy');
    expect(results['http:wants-201']).toMatchObject({ status: 'unhealthy', httpStatus: 200 });
    expect(results['http:wants-201']!.error).toContain('expected 201,202');
  });

  it('reports an invalid provider key as unhealthy with its HTTP status', async () => {
    const rejecting = await startFakeHttpServer(() => ({
      kind: 'json',
      status: 401,
      body: { name: 'validation_error', message: 'API key is invalid', statusCode: 401, error: { message: 'Incorrect API key' } },
    }));
    try {
      const results = await runAll({
        llm: { apiKey: 'sk-bad', baseURL: `${rejecting.url}/v1` },
        email: { apiKey: 're_bad', baseUrl: rejecting.url },
      });
      expect(results.llm_api).toMatchObject({ status: 'unhealthy', httpStatus: 401 });
      expect(results.email).toMatchObject({ status: 'unhealthy', httpStatus: 401 });
      // A permanent fault: proactive healing would only re-run it, so the workflow does not start it.
      expect(failureOf(results.email!, {}).diagnosis).toMatchObject({ category: 'authentication', transient: false });
    } finally {
      await rejecting.close();
    }
  });

  it('measures the error rate from healing events against its thresholds', async () => {
    const fresh = await createTestDatabase('postgres');
    try {
      for (let i = 0; i < 6; i++) {
        await createHealingEvent(fresh.handle.db, {
          eventKey: `rate-${i}`,
          operation: 'orders.load',
          errorClass: 'Error',
          errorMessage: 'boom',
          signature: 'sig',
        });
      }
      const run = (errorRate: HealthCheckOptions['errorRate']) =>
        createHealthCheckRunner({ db: fresh.handle.db, options: { errorRate } }).run('error_rate');
      expect(await run({ windowMs: 60_000, degradedPerMinute: 3, unhealthyPerMinute: 5 })).toMatchObject({
        status: 'unhealthy',
        details: { events: 6, perMinute: 6 },
      });
      expect((await run({ windowMs: 60_000, degradedPerMinute: 3, unhealthyPerMinute: 10 })).status).toBe('degraded');
      expect((await run({ windowMs: 60_000, degradedPerMinute: 10, unhealthyPerMinute: 20 })).status).toBe('healthy');
    } finally {
      await fresh.drop();
    }
  });

  it('compares memory with its thresholds', async () => {
    const run = (memory: HealthCheckOptions['memory']) => createHealthCheckRunner({ db: database.db, options: { memory } }).run('memory');
    expect((await run({ rssDegradedMb: 1, rssUnhealthyMb: 1 })).status).toBe('unhealthy');
    expect((await run({ rssDegradedMb: 1, rssUnhealthyMb: 1_000_000 })).status).toBe('degraded');
    expect((await run({ heapUnhealthyRatio: 0.000001 })).status).toBe('unhealthy');
    expect((await run({})).status).toBe('healthy');
  });

  it('a database that does not answer is unhealthy within the timeout', async () => {
    const stuck = { ping: () => new Promise<number>(() => {}), poolStats: () => ({ total: 10, idle: 0, waiting: 4 }) };
    const result = await createHealthCheckRunner({ db: database.db, database: stuck, options: { timeoutMs: 200 } }).run('database');
    expect(result).toMatchObject({ status: 'unhealthy', code: 'ETIMEDOUT', error: 'timed out after 200 ms' });
  });
});

describe('health-check records', () => {
  it('recordHealthCheck writes one row per run and check, even when retried', async () => {
    const runner = createHealthCheckRunner({ db: database.db, database, options: {} });
    const activities = createHealthCheckActivities(runner, { db: database.db });
    const result = await runner.run('memory');
    const input = { healthWorkflowId: 'health-check-test', healthRunId: 'run-idempotent', result };
    const first = await activities.recordHealthCheck(input);
    const [again, concurrent] = await Promise.all([activities.recordHealthCheck(input), activities.recordHealthCheck(input)]);
    expect(again.id).toBe(first.id);
    expect(concurrent.id).toBe(first.id);
    const rows = (await getHealthChecks(database.db, { checkName: 'memory' })).filter((row) => row.details?.healthRunId === 'run-idempotent');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'healthy', details: { healthWorkflowId: 'health-check-test' } });

    const history = await activities.loadHealthHistory({ names: ['memory'], limit: 5 });
    expect(history.memory![0]).toEqual({ id: first.id, status: 'healthy', healthRunId: 'run-idempotent' });
  });

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

describe('streaks, alerts and recoveries (pure)', () => {
  const history = (runId: string, ...statuses: Array<'healthy' | 'unhealthy' | 'degraded'>) =>
    statuses.map((status, index) => ({ id: 100 - index, status, ...(index === 0 ? { healthRunId: runId } : {}) }));

  it('alerts exactly when a streak reaches the threshold, once', () => {
    const decisions = [
      history('r1', 'unhealthy', 'healthy'),
      history('r2', 'unhealthy', 'unhealthy', 'healthy'),
      history('r3', 'unhealthy', 'unhealthy', 'unhealthy', 'healthy'),
      history('r4', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy'),
    ].map((entries, index) => decideNotice('database', streakOf(entries, `r${index + 1}`)!, 3));
    expect(decisions.map((decision) => decision?.kind)).toEqual([undefined, undefined, 'alert', undefined]);
    // Keyed by the streak's first failure: a retried run sends nothing new.
    expect(decisions[2]!.notificationId).toBe('health-alert:database:98');
  });

  it('sends a recovery notice only after an alerted streak, and never flaps', () => {
    expect(decideNotice('sms', streakOf(history('r', 'healthy', 'unhealthy', 'unhealthy', 'unhealthy'), 'r')!, 3)).toEqual({
      kind: 'recovery',
      notificationId: 'health-recovery:sms:100',
    });
    expect(decideNotice('sms', streakOf(history('r', 'degraded', 'unhealthy', 'unhealthy', 'unhealthy'), 'r')!, 3)?.kind).toBe('recovery');
    expect(decideNotice('sms', streakOf(history('r', 'healthy', 'unhealthy', 'unhealthy', 'healthy'), 'r')!, 3)).toBeUndefined();
    expect(decideNotice('sms', streakOf(history('r', 'healthy', 'healthy', 'unhealthy', 'unhealthy'), 'r')!, 3)).toBeUndefined();
  });

  it('decides nothing when this run was not recorded', () => {
    expect(streakOf(history('other-run', 'unhealthy', 'unhealthy'), 'this-run')).toBeUndefined();
    expect(streakOf([], 'this-run')).toBeUndefined();
  });

  it('heals each of the first N failures of a streak, then backs off to 2N, 4N, 8N…', () => {
    const healed = Array.from({ length: 24 }, (_, i) => i + 1).filter((streak) => shouldHeal(streak, 3));
    expect(healed).toEqual([1, 2, 3, 6, 12, 24]);
    expect([1, 2, 3, 4, 5, 8].filter((streak) => shouldHeal(streak, 1))).toEqual([1, 2, 4, 8]);
  });

  it('overall status is the worst one, skipped checks aside', () => {
    expect(overallOf(['healthy', 'skipped'])).toBe('healthy');
    expect(overallOf(['healthy', 'degraded', 'skipped'])).toBe('degraded');
    expect(overallOf(['degraded', 'unhealthy'])).toBe('unhealthy');
  });
});

describe('system operations (what proactive healing re-runs)', () => {
  it('health:<check> re-runs the check: a value when healthy, a retryable failure while still unhealthy', async () => {
    const flaky = await startFakeHttpServer(() => ({ kind: 'json', body: { ok: true } }));
    try {
      const runner = createHealthCheckRunner({ db: database.db, options: { fileService: { url: `${flaky.url}/health` } } });
      const operations = createSystemOperationActivities(runner);
      await expect(operations.runOperation({ operation: 'health:file_service' })).resolves.toMatchObject({ sealedValue: expect.any(String) });
      flaky.enqueue({ kind: 'json', status: 503, body: { error: 'down' } });
      const failure = await operations.runOperation({ operation: 'health:file_service' }).catch((error: unknown) => error);
      expect(failure).toMatchObject({ type: 'HealthCheckFailedError', nonRetryable: false });
      expect((failure as Error).message).toContain('HTTP 503');
      // The error rate has no healing operation: nothing re-runs it.
      await expect(operations.runOperation({ operation: 'health:error_rate' })).rejects.toMatchObject({ type: 'UnknownOperation' });
    } finally {
      await flaky.close();
    }
  });

  it('SWITCH_API_ENDPOINT for the LLM API makes the healthy alternate the active endpoint', async () => {
    const switched: string[] = [];
    const runner = createHealthCheckRunner({
      db: database.db,
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
    expect(runner.activeLlmBaseURL()).toBe(`${openai.url}/v1`);
    expect((await runner.run('llm_api')).status).toBe('healthy');
  });

  it('RESET_CONNECTION for the database runs the pool reset the handle offers', async () => {
    let resets = 0;
    const resettable = { ping: () => database.ping(), poolStats: () => database.poolStats(), reset: async () => void resets++ };
    const runner = createHealthCheckRunner({ db: database.db, database: resettable });
    expect(runner.plan().checks.find((check) => check.name === 'database')!.healing).toMatchObject({
      strategies: ['RESET_CONNECTION', 'RETRY_WITH_BACKOFF'],
      hooks: ['resetConnection'],
    });
    await createSystemOperationActivities(runner).runOperationHook({ operation: 'health:database', hook: 'resetConnection' });
    expect(resets).toBe(1);
    // Without a reset, healing can only re-check.
    const plain = createHealthCheckRunner({ db: database.db, database });
    expect(plain.plan().checks.find((check) => check.name === 'database')!.healing!.strategies).toEqual(['RETRY_WITH_BACKOFF']);
  });
});

describe('health-check configuration', () => {
  it('has a two-minute interval and sensible defaults, and reads user-defined HTTP checks from JSON', () => {
    const defaults = loadConfig({});
    expect(defaults).toMatchObject({ HEALTH_CHECK_INTERVAL: '2m', ALERT_AFTER_FAILURES: 3, HEALTH_CHECK_TIMEOUT_MS: 5_000, HEALTH_HTTP_CHECKS: [] });
    const config = loadConfig({
      FILE_SERVICE_HEALTH_URL: 'http://files.internal/health',
      HEALTH_HTTP_CHECKS: '[{"name":"billing","url":"http://billing.internal/ping","method":"HEAD","expectedStatus":[200,204],"timeoutMs":1500}]',
      ALERT_AFTER_FAILURES: '5',
      OPENAI_API_KEY: 'sk-x',
      OPENAI_FALLBACK_BASE_URLS: 'http://llm-a/v1, http://llm-b/v1',
    });
    const options = healthOptionsFromConfig(config);
    expect(options).toMatchObject({
      alertAfterFailures: 5,
      fileService: { url: 'http://files.internal/health' },
      http: [{ name: 'billing', url: 'http://billing.internal/ping', method: 'HEAD', expectedStatus: [200, 204], timeoutMs: 1500 }],
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
    expect(() => loadConfig({ HEALTH_HTTP_CHECKS: '[{"name":"a","url":"http://x"},{"name":"a","url":"http://y"}]' })).toThrow(/unique/);
    expect(loadConfig({ HEALTH_CHECK_INTERVAL: '30s' }).HEALTH_CHECK_INTERVAL).toBe('30s');
  });
});

describe('health alerts through the admin notifications', () => {
  it('an alert goes out once per notification id by e-mail, and the recovery notice follows it', async () => {
    const fresh = await createTestDatabase('postgres');
    try {
      const before = resend.delivered.length;
      const notifications = createNotificationActivities(fresh.handle.db, {
        email: { apiKey: 're_test', baseUrl: resend.url, from: 'Self-Healing <alerts@example.com>', to: ['ops@example.com'] },
      });
      const send = alertsViaNotifications(notifications);
      const alert = {
        notificationId: 'health-alert:database:41',
        kind: 'alert' as const,
        check: 'database',
        status: 'unhealthy' as const,
        consecutiveFailures: 3,
        error: 'connect ECONNREFUSED 127.0.0.1:5432',
        healthWorkflowId: 'health-check-q-2025-01-01T00:06:00Z',
      };
      expect(await send(alert)).toMatchObject({ sent: true });
      expect(await send(alert)).toMatchObject({ sent: true }); // a retried activity: nothing new
      const recovery = await send({ ...alert, kind: 'recovery', status: 'healthy', notificationId: 'health-recovery:database:45' });
      expect(recovery).toMatchObject({ sent: true });
      const mails = resend.delivered.slice(before);
      expect(mails).toHaveLength(2);
      expect(mails[0]!.subject).toContain('health:database');
      expect(mails[0]!.text).toContain('failed 3 times in a row');
      expect(mails[1]!.subject).toMatch(/Recovered: health:database/);
      // A recovery without an alert before it tells nobody.
      expect(await send({ ...alert, check: 'sms', kind: 'recovery', status: 'healthy', notificationId: 'health-recovery:sms:9' })).toMatchObject({
        sent: false,
        detail: 'this error never alerted',
      });
    } finally {
      await fresh.drop();
    }
  });
});
