// The runner's promises, for every check at once, against fake providers on 127.0.0.1 and a
// real PostgreSQL: healthy, skipped when not configured, unhealthy (never skipped) when a
// configured service is missing, bounded by its timeout when a service hangs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_CHECK_PREFIX } from '../../activities/health/checks/http.js';
import type { HealthCheckOptions } from '../../activities/health/options.js';
import type { DatabaseHandle } from '../../db/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeHttpServer, type FakeHttpServer } from '../support/fake-http.js';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai.js';
import { startFakeResend, type FakeResend } from '../support/fake-resend.js';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio.js';
import { ACCOUNT_SID, refusedUrl, runAll } from '../support/health.js';

let testDb: TestDatabase;
let database: DatabaseHandle;
let openai: FakeOpenAi;
let resend: FakeResend;
let twilio: FakeTwilio;
let files: FakeHttpServer;
let hanging: FakeHttpServer;
let closedUrl: string;

beforeAll(async () => {
  testDb = await createTestDatabase('postgres');
  database = testDb.handle;
  [openai, resend, twilio] = await Promise.all([startFakeOpenAi(), startFakeResend(), startFakeTwilio()]);
  files = await startFakeHttpServer((request) =>
    request.path === '/health'
      ? { kind: 'json', body: { ok: true } }
      : { kind: 'json', status: 404, body: { error: 'not found' } },
  );
  hanging = await startFakeHttpServer(() => ({ kind: 'hang' }));
  closedUrl = await refusedUrl();
});

afterAll(async () => {
  await Promise.all([openai, resend, twilio, files, hanging].map((server) => server?.close()));
  await testDb?.drop();
});

function configuredAgainst(
  urls: { openai: string; resend: string; twilio: string; files: string },
  timeoutMs = 2_000,
): HealthCheckOptions {
  return {
    timeoutMs,
    llm: { apiKey: 'sk-test', baseURL: `${urls.openai}/v1` },
    email: { apiKey: 're_test', baseUrl: urls.resend },
    sms: { accountSid: ACCOUNT_SID, authToken: 'token', baseUrl: urls.twilio },
    fileService: { url: `${urls.files}/health` },
    http: [{ name: 'api', url: `${urls.files}/health`, expectedStatus: 200 }],
  };
}

describe('health checks', () => {
  it('reports every configured service healthy, through the real SDKs against fake providers', async () => {
    const results = await runAll(
      database,
      configuredAgainst({ openai: openai.url, resend: resend.url, twilio: twilio.url, files: files.url }),
    );
    expect(Object.keys(results).sort()).toEqual(
      ['database', 'email', 'error_rate', 'file_service', `${HTTP_CHECK_PREFIX}api`, 'llm_api', 'memory', 'sms'].sort(),
    );
    for (const result of Object.values(results)) {
      expect(result.status, `${result.name}: ${result.error}`).toBe('healthy');
      expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    }
    expect(results.database!.details).toMatchObject({
      pool: { total: expect.any(Number), idle: expect.any(Number), waiting: 0 },
    });
    expect(results.memory!.details).toMatchObject({ rssMb: expect.any(Number), heapRatio: expect.any(Number) });
    expect(results.sms!.details).toMatchObject({ accountStatus: 'active' });
    // The probes really went to the providers' APIs.
    expect(openai.requests.some((request) => request.method === 'GET' && request.path === '/v1/models')).toBe(true);
    expect(resend.requests.some((request) => request.path === '/domains')).toBe(true);
    expect(twilio.requests.some((request) => request.path === `/2010-04-01/Accounts/${ACCOUNT_SID}.json`)).toBe(true);
  });

  it('skips services that are not configured, and still checks the database, error rate and memory', async () => {
    const results = await runAll(database, {});
    for (const name of ['llm_api', 'email', 'sms', 'file_service']) {
      expect(results[name]).toMatchObject({ status: 'skipped', details: { reason: 'not configured' } });
    }
    for (const name of ['database', 'error_rate', 'memory']) expect(results[name]!.status).toBe('healthy');
  });

  it('a configured service that is missing is unhealthy, never skipped', async () => {
    const results = await runAll(
      database,
      configuredAgainst({ openai: closedUrl, resend: closedUrl, twilio: closedUrl, files: closedUrl }),
    );
    for (const name of ['llm_api', 'email', 'sms', 'file_service', 'http:api']) {
      expect(results[name]!.status, name).toBe('unhealthy');
      expect(results[name]!.error, name).toBeTruthy();
    }
    expect(results.file_service!.code).toBe('ECONNREFUSED');
    expect(results['http:api']!.code).toBe('ECONNREFUSED');
  });

  it('a service that hangs is bounded by the check timeout', async () => {
    const results = await runAll(
      database,
      configuredAgainst({ openai: hanging.url, resend: hanging.url, twilio: hanging.url, files: hanging.url }, 300),
    );
    for (const name of ['llm_api', 'email', 'sms', 'file_service', 'http:api']) {
      expect(results[name], name).toMatchObject({ status: 'unhealthy', code: 'ETIMEDOUT' });
      expect(results[name]!.error, name).toMatch(/timed out|timeout|aborted/i);
      expect(results[name]!.details).toMatchObject({ timeoutMs: 300 });
    }
  });
});
