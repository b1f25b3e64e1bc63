// The dashboard's HTTP surface against a real PostgreSQL database: admin-only access (401 with
// no detail for every page and API without the token), the three ways in (bearer, ?token=,
// login cookie), and the JSON API's filters, pagination and shapes.
import { get as httpGet } from 'node:http';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardConfigError, startDashboard, type DashboardServer } from '../dashboard/server.js';
import { SESSION_COOKIE } from '../dashboard/auth.js';
import {
  createHealingEvent,
  createHealthCheck,
  updateHealingEvent,
  upsertHealingPattern,
  type Database,
  type HealingEventPatch,
  type NewHealingEvent,
} from '../db/index.js';
import { loadConfig } from '../lib/config.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { networkDiagnosis } from './support/diagnoses.js';

const TOKEN = 'test-dashboard-token-0123456789abcdef';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let database: TestDatabase;
let db: Database;
let dashboard: DashboardServer;
const now = Date.now();

const diagnosis = networkDiagnosis();

async function event(key: string, input: Omit<NewHealingEvent, 'eventKey' | 'errorClass' | 'errorMessage'> & Partial<NewHealingEvent>, patch: HealingEventPatch) {
  await createHealingEvent(db, { eventKey: key, errorClass: 'Error', errorMessage: `failure of ${key}`, ...input });
  await updateHealingEvent(db, key, patch);
}

beforeAll(async () => {
  database = await createTestDatabase('postgres');
  db = database.handle.db;
  await event(
    'charge-1',
    { operation: 'billing.charge', signature: 'sig-net', category: 'network', severity: 'high', workflowId: 'heal-billing.charge-1', runId: 'run-1', detectedAt: new Date(now - 10 * MINUTE) },
    { result: 'healed', strategy: 'RETRY_WITH_BACKOFF', healingDurationMs: 1_500, diagnosis, diagnosisSource: 'rules' },
  );
  await event(
    'charge-2',
    { operation: 'billing.charge', signature: 'sig-net', category: 'network', severity: 'high', workflowId: 'heal-billing.charge-2', detectedAt: new Date(now - 2 * HOUR) },
    { result: 'failed', strategy: 'RETRY_WITH_BACKOFF' },
  );
  await event(
    'user-1',
    { operation: 'users.get', signature: 'sig-validation', category: 'validation', severity: 'low', detectedAt: new Date(now - 30 * MINUTE) },
    { result: 'failed' },
  );
  await event(
    'user-2',
    { operation: 'users.get', signature: 'sig-rate', category: 'rate_limit', severity: 'medium', detectedAt: new Date(now - 3 * 24 * HOUR) },
    { result: 'healed', strategy: 'RATE_LIMIT_BACKOFF', healingDurationMs: 4_000 },
  );
  await event(
    'report-1',
    { operation: 'reports.build', signature: 'sig-db', category: 'database_connection', severity: 'critical', detectedAt: new Date(now - HOUR) },
    { result: 'queued', strategy: 'QUEUE_FOR_LATER' },
  );
  for (let index = 0; index < 6; index++) {
    await event(
      `bulk-${index}`,
      { operation: 'bulk.import', signature: 'sig-runtime', category: 'runtime', severity: 'low', detectedAt: new Date(now - (40 + index) * MINUTE) },
      { result: 'healed', strategy: 'USE_DEFAULT_VALUE', healingDurationMs: 100 },
    );
  }
  await upsertHealingPattern(db, { signature: 'sig-net', strategy: 'RETRY_WITH_BACKOFF', category: 'network', success: true, healingMs: 1_500, diagnosis });
  await upsertHealingPattern(db, { signature: 'sig-net', strategy: 'RETRY_WITH_BACKOFF', category: 'network', success: false });
  await upsertHealingPattern(db, { signature: 'sig-runtime', strategy: 'USE_DEFAULT_VALUE', category: 'runtime', success: true, healingMs: 100 });

  await createHealthCheck(db, { checkName: 'database', status: 'healthy', latencyMs: 5, checkedAt: new Date(now - 9 * HOUR) });
  for (const minutesAgo of [30, 20, 8]) {
    await createHealthCheck(db, { checkName: 'database', status: 'healthy', latencyMs: minutesAgo, checkedAt: new Date(now - minutesAgo * MINUTE) });
  }
  await createHealthCheck(db, { checkName: 'openai', status: 'healthy', latencyMs: 200, checkedAt: new Date(now - 20 * MINUTE) });
  await createHealthCheck(db, { checkName: 'openai', status: 'degraded', latencyMs: 2_400, error: 'slow answer', checkedAt: new Date(now - 5 * MINUTE) });

  dashboard = await startDashboard({
    db,
    token: TOKEN,
    port: 0,
    temporalUiUrl: 'http://127.0.0.1:8233/',
    temporalNamespace: 'default',
  });
});

afterAll(async () => {
  await dashboard?.close();
  await database?.drop();
});

interface Call {
  token?: string;
  bearer?: string;
  cookie?: string;
  method?: string;
  body?: URLSearchParams;
}

async function call(path: string, options: Call = {}): Promise<Response> {
  const url = new URL(path, dashboard.url);
  if (options.token !== undefined) url.searchParams.set('token', options.token);
  const headers: Record<string, string> = {};
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  if (options.cookie !== undefined) headers.cookie = options.cookie;
  return fetch(url, { method: options.method ?? 'GET', headers, body: options.body, redirect: 'manual' });
}

async function json<T = any>(path: string): Promise<T> {
  const response = await call(path, { bearer: TOKEN });
  expect(response.status, `${path}: ${response.status}`).toBe(200);
  return (await response.json()) as T;
}

const PROTECTED = [
  '/',
  '/index.html',
  '/assets/app.js',
  '/assets/style.css',
  '/assets/chart.umd.min.js',
  '/api/meta',
  '/api/health',
  '/api/health/history',
  '/api/events',
  '/api/events?severity=not-a-severity',
  '/api/stats',
  '/api/patterns',
  '/api/operations',
  '/api/does-not-exist',
  '/does-not-exist',
  '/../etc/passwd',
];

function sessionCookieOf(response: Response): string {
  const setCookie = response.headers.get('set-cookie') ?? '';
  const match = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(setCookie);
  expect(match, setCookie).not.toBeNull();
  return `${SESSION_COOKIE}=${match![1]}`;
}

describe('starting the dashboard', () => {
  it('refuses to start without a token, or with a short one, saying what to set', async () => {
    for (const token of [undefined, '', '   ']) {
      const failure = await startDashboard({ db, token, port: 0 }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(DashboardConfigError);
      expect((failure as Error).message).toMatch(/DASHBOARD_TOKEN is not set/);
    }
    const short = await startDashboard({ db, token: 'short', port: 0 }).catch((error: unknown) => error);
    expect(short).toBeInstanceOf(DashboardConfigError);
    expect((short as Error).message).toMatch(/DASHBOARD_TOKEN is too short \(5 characters\)/);
  });

  it('reads DASHBOARD_PORT (default 8787), DASHBOARD_HOST and DASHBOARD_TOKEN from the environment', () => {
    const defaults = loadConfig({});
    expect(defaults.DASHBOARD_PORT).toBe(8787);
    expect(defaults.DASHBOARD_HOST).toBe('127.0.0.1');
    expect(defaults.DASHBOARD_TOKEN).toBeUndefined();
    const set = loadConfig({ DASHBOARD_PORT: '9000', DASHBOARD_TOKEN: ` ${TOKEN} ` });
    expect(set.DASHBOARD_PORT).toBe(9000);
    expect(set.DASHBOARD_TOKEN).toBe(TOKEN);
  });

  it('reports a taken port as a configuration problem', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const failure = await startDashboard({ db, token: TOKEN, port }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(DashboardConfigError);
      expect((failure as Error).message).toContain(`port ${port}`);
      expect((failure as Error).message).toContain('DASHBOARD_PORT');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('without a valid token', () => {
  it.each([
    ['no credentials', {}],
    ['a wrong bearer token', { bearer: 'wrong-token-wrong-token-wrong' }],
    ['a wrong ?token=', { token: 'wrong-token-wrong-token-wrong' }],
    ['the token with one character changed', { bearer: `${TOKEN.slice(0, -1)}X` }],
    ['a forged session cookie', { cookie: `${SESSION_COOKIE}=forged` }],
    ['the raw token as the session cookie', { cookie: `${SESSION_COOKIE}=${TOKEN}` }],
  ] as [string, Call][])('every page and API answers 401 with no detail (%s)', async (_label, credentials) => {
    for (const path of PROTECTED) {
      const response = await call(path, credentials);
      expect(response.status, path).toBe(401);
      expect(response.headers.get('set-cookie'), path).toBeNull();
      expect(response.headers.get('cache-control'), path).toBe('no-store');
      expect(response.headers.get('x-frame-options'), path).toBe('DENY');
      const body = await response.text();
      if (path.startsWith('/api/')) {
        expect(JSON.parse(body), path).toEqual({ error: 'unauthorized' });
        expect(response.headers.get('www-authenticate'), path).toMatch(/^Bearer /);
      } else {
        // The sign-in form and nothing else: no data, no script, no asset.
        expect(body, path).toContain('<form method="post" action="/login"');
        for (const leak of ['billing.charge', 'sig-net', 'database', 'script', '/assets/']) expect(body, path).not.toContain(leak);
      }
    }
  });

  it('a refused sign-in answers 401 without setting a cookie', async () => {
    const response = await call('/login', { method: 'POST', body: new URLSearchParams({ token: 'not-the-token-at-all' }) });
    expect(response.status).toBe(401);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(await response.text()).toContain('That token was not accepted.');
    const empty = await call('/login', { method: 'POST', body: new URLSearchParams({}) });
    expect(empty.status).toBe(401);
    const huge = await call('/login', { method: 'POST', body: new URLSearchParams({ token: TOKEN, padding: 'x'.repeat(100_000) }) });
    expect(huge.status).toBe(401);
    expect(huge.headers.get('set-cookie')).toBeNull();
  });
});

describe('with the token', () => {
  it('accepts it as a bearer token and as ?token= on the API', async () => {
    expect((await call('/api/events', { bearer: TOKEN })).status).toBe(200);
    expect((await call('/api/events', { token: TOKEN })).status).toBe(200);
    const page = await call('/', { bearer: TOKEN });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('/assets/app.js');
    const chart = await call('/assets/chart.umd.min.js', { bearer: TOKEN });
    expect(chart.status).toBe(200);
    expect(await chart.text()).toContain('Chart.js v4');
  });

  it('a ?token= link signs the browser in and takes the token out of the address', async () => {
    const response = await call('/?x=1', { token: TOKEN });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/?x=1');
    const cookie = sessionCookieOf(response);
    expect(cookie).not.toContain(TOKEN);
    expect(response.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    expect(response.headers.get('set-cookie')).toMatch(/SameSite=Strict/i);
    expect((await call('/', { cookie })).status).toBe(200);
  });

  it('a ?token= link never redirects to another host', async () => {
    const { port } = new URL(dashboard.url);
    const location = await new Promise<string | undefined>((resolve, reject) => {
      const request = httpGet({ host: '127.0.0.1', port, path: `//evil.example/x?token=${TOKEN}` }, (response) => {
        response.resume();
        resolve(response.headers.location);
      });
      request.on('error', reject);
    });
    expect(location).toBe('/evil.example/x');
  });

  it('the login form sets a session cookie that opens pages and API until sign-out', async () => {
    const login = await call('/login', { method: 'POST', body: new URLSearchParams({ token: TOKEN }) });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/');
    const cookie = sessionCookieOf(login);
    expect((await call('/', { cookie })).status).toBe(200);
    expect((await call('/api/health', { cookie })).status).toBe(200);
    const logout = await call('/logout', { method: 'POST', cookie });
    expect(logout.status).toBe(303);
    expect(logout.headers.get('set-cookie')).toMatch(new RegExp(`${SESSION_COOKIE}=;.*Max-Age=0`, 'i'));
  });

  it('a session cookie from another token does not open this dashboard', async () => {
    const other = await startDashboard({ db, token: 'another-token-another-token', port: 0 });
    try {
      const login = await fetch(`${other.url}/login`, {
        method: 'POST',
        body: new URLSearchParams({ token: 'another-token-another-token' }),
        redirect: 'manual',
      });
      const cookie = sessionCookieOf(login);
      expect((await fetch(`${other.url}/api/meta`, { headers: { cookie } })).status).toBe(200);
      expect((await call('/api/meta', { cookie })).status).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('unknown paths are 404 once signed in, and bad filters 400 naming the parameter', async () => {
    expect((await call('/api/does-not-exist', { bearer: TOKEN })).status).toBe(404);
    expect((await call('/does-not-exist', { bearer: TOKEN })).status).toBe(404);
    const bad = await call('/api/events?severity=urgent&limit=0&from=yesterday', { bearer: TOKEN });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { issues: { param: string }[] };
    expect(body.issues.map((issue) => issue.param).sort()).toEqual(['from', 'limit', 'severity']);
  });
});

describe('the JSON API', () => {
  it('/api/events: newest first with the total, links to the run in the Temporal UI', async () => {
    const page = await json('/api/events?limit=3');
    expect(page.total).toBe(11);
    expect(page.rows).toHaveLength(3);
    expect(page.rows.map((row: any) => row.operation)).toEqual(['billing.charge', 'users.get', 'bulk.import']);
    const charge = page.rows[0];
    expect(charge).toMatchObject({
      result: 'healed',
      strategy: 'RETRY_WITH_BACKOFF',
      category: 'network',
      severity: 'high',
      diagnosisSource: 'rules',
      healingDurationMs: 1_500,
      error: { class: 'Error', message: 'failure of charge-1' },
      diagnosis: { rootCause: 'upstream reset the connection' },
      temporalUrl: 'http://127.0.0.1:8233/namespaces/default/workflows/heal-billing.charge-1/run-1/history',
    });
    expect(page.rows[1].temporalUrl).toBeNull();
  });

  it('/api/events: pagination walks every event exactly once', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < 11; offset += 4) {
      const page = await json(`/api/events?limit=4&offset=${offset}`);
      expect(page).toMatchObject({ total: 11, limit: 4, offset });
      seen.push(...page.rows.map((row: any) => row.id));
    }
    expect(seen).toHaveLength(11);
    expect(new Set(seen).size).toBe(11);
    expect((await json('/api/events?offset=11')).rows).toEqual([]);
  });

  it.each([
    ['severity=high', 2, (row: any) => row.severity === 'high'],
    ['category=runtime', 6, (row: any) => row.category === 'runtime'],
    ['result=failed', 2, (row: any) => row.result === 'failed'],
    ['operation=users.get', 2, (row: any) => row.operation === 'users.get'],
    ['signature=sig-db', 1, (row: any) => row.signature === 'sig-db'],
    ['result=healed&category=network', 1, (row: any) => row.result === 'healed' && row.category === 'network'],
    ['severity=&category=&operation=', 11, () => true],
  ] as const)('/api/events?%s', async (query, total, predicate) => {
    const page = await json(`/api/events?${query}&limit=50`);
    expect(page.total).toBe(total);
    expect(page.rows).toHaveLength(total);
    expect(page.rows.every(predicate)).toBe(true);
  });

  it('/api/events: from (inclusive) and to (exclusive) bound the detection time', async () => {
    const from = new Date(now - 90 * MINUTE).toISOString();
    const recent = await json(`/api/events?from=${encodeURIComponent(from)}&limit=50`);
    // charge-1 (10 min), user-1 (30 min), report-1 (60 min), bulk (40–45 min)
    expect(recent.total).toBe(9);
    const to = new Date(now - 90 * MINUTE).toISOString();
    const older = await json(`/api/events?to=${encodeURIComponent(to)}&limit=50`);
    expect(older.rows.map((row: any) => row.signature).sort()).toEqual(['sig-net', 'sig-rate']);
  });

  it('/api/stats: success rate, mean time to heal, breakdowns, and a zero-filled hourly series', async () => {
    const stats = await json('/api/stats?hours=48');
    expect(stats.total).toBe(11);
    expect(stats.byResult).toMatchObject({ healed: 8, failed: 2, queued: 1 });
    expect(stats.successRate).toBeCloseTo(8 / 10);
    expect(stats.meanTimeToHealMs).toBeCloseTo((1_500 + 4_000 + 6 * 100) / 8);
    expect(stats.byCategory[0]).toMatchObject({ key: 'runtime', count: 6, healed: 6, successRate: 1 });
    expect(stats.byStrategy.find((group: any) => group.key === 'RETRY_WITH_BACKOFF')).toMatchObject({ count: 2, healed: 1, successRate: 0.5 });
    expect(stats.hourly).toHaveLength(48);
    expect(stats.hourly.reduce((sum: number, bucket: any) => sum + bucket.count, 0)).toBe(10); // user-2 is 3 days old
    const hours = stats.hourly.map((bucket: any) => Date.parse(bucket.hour));
    expect(hours.every((hour: number, index: number) => index === 0 || hour - hours[index - 1]! === HOUR)).toBe(true);

    const lastHour = await json(`/api/stats?from=${encodeURIComponent(new Date(now - 50 * MINUTE).toISOString())}`);
    expect(lastHour.total).toBe(8);
    expect(lastHour.hourly).toHaveLength(24);
  });

  it('/api/patterns: learned strategies with their success rates', async () => {
    const { rows } = await json('/api/patterns');
    expect(rows).toHaveLength(2);
    const net = rows.find((row: any) => row.signature === 'sig-net');
    expect(net).toMatchObject({ strategy: 'RETRY_WITH_BACKOFF', successCount: 1, failureCount: 1, successRate: 0.5, rootCause: 'upstream reset the connection' });
    expect((await json('/api/patterns?signature=sig-runtime')).rows).toEqual([
      expect.objectContaining({ strategy: 'USE_DEFAULT_VALUE', successRate: 1, avgHealingMs: 100 }),
    ]);
  });

  it('/api/health: overall status, latest result per check and its recent trend', async () => {
    const health = await json('/api/health');
    expect(health.overall).toBe('degraded');
    expect(health.checks.map((check: any) => check.name)).toEqual(['database', 'openai']);
    const [database, openai] = health.checks;
    expect(database).toMatchObject({ status: 'healthy', latencyMs: 8, stale: false });
    expect(database.trend.map((point: any) => point.latencyMs)).toEqual([30, 20, 8]); // oldest first, 9 h old one outside 6 h
    expect(openai).toMatchObject({ status: 'degraded', latencyMs: 2_400, error: 'slow answer' });
    expect((await json('/api/health?hours=12')).checks[0].trend).toHaveLength(4);
  });

  it('/api/health/history: one check, newest first, bounded by time and count', async () => {
    const all = await json('/api/health/history?check=database');
    expect(all.rows.map((row: any) => row.latencyMs)).toEqual([8, 20, 30, 5]);
    expect((await json('/api/health/history?check=database&hours=1')).rows).toHaveLength(3);
    expect((await json('/api/health/history?limit=2')).rows.map((row: any) => row.checkName)).toEqual(['openai', 'database']);
  });

  it('/api/operations and /api/meta feed the page its filter choices and settings', async () => {
    expect((await json('/api/operations')).operations).toEqual(['billing.charge', 'bulk.import', 'reports.build', 'users.get']);
    const meta = await json('/api/meta');
    expect(meta).toMatchObject({ temporalUiUrl: 'http://127.0.0.1:8233/', temporalNamespace: 'default', pollIntervalMs: 5_000 });
    expect(meta.vocabulary.results).toContain('healed');
  });

  it('a failing query answers 500 with no detail (and still 401 without the token)', async () => {
    // A database whose pool is closed (and which is dropped): every query throws at once.
    const broken = await createTestDatabase('postgres');
    const server = await startDashboard({ db: broken.handle.db, token: TOKEN, port: 0, logger: silentLogger() });
    await broken.drop();
    try {
      const failed = await fetch(`${server.url}/api/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(failed.status).toBe(500);
      expect(await failed.json()).toEqual({ error: 'internal error' });
      expect((await fetch(`${server.url}/api/events`)).status).toBe(401);
    } finally {
      await server.close();
    }
  });
});

function silentLogger() {
  // A pino-compatible logger that drops everything (the failure above is expected).
  const noop = () => undefined;
  const logger: any = { level: 'silent', trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop };
  logger.child = () => logger;
  return logger;
}
