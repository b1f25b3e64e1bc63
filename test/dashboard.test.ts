// The dashboard's HTTP surface against a real PostgreSQL database: admin-only access (401 with
// no detail for every page and API without the token), the ways in (bearer header on the API,
// sign-in form or ?token= link for a browser), sessions (expiry, sign-out, restart, token change),
// the sign-in back-off and trusted proxies, the token kept under DATA_DIR, and the JSON API's
// filters (400 for every malformed one), pagination, shapes and outcome classification.
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEALING_RESULTS } from '../common/types.js';
import { LOCAL_TOKEN_FILE, localDashboardToken } from '../dashboard/local-token.js';
import { OUTCOMES } from '../dashboard/outcomes.js';
import {
  DashboardConfigError,
  startDashboard,
  type DashboardOptions,
  type DashboardServer,
} from '../dashboard/server.js';
import { SESSION_COOKIE } from '../dashboard/session.js';
import {
  recordHealingEvent,
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

type EventInput = Omit<NewHealingEvent, 'eventKey' | 'errorClass' | 'errorMessage'> & Partial<NewHealingEvent>;

async function event(key: string, input: EventInput, patch: HealingEventPatch, target = db) {
  await recordHealingEvent(target, { eventKey: key, errorClass: 'Error', errorMessage: `failure of ${key}`, ...input });
  await updateHealingEvent(target, key, patch);
}

beforeAll(async () => {
  database = await createTestDatabase('postgres');
  db = database.handle.db;
  await event(
    'charge-1',
    {
      operation: 'billing.charge',
      signature: 'sig-net',
      category: 'network',
      severity: 'high',
      workflowId: 'heal-billing.charge-1',
      runId: 'run-1',
      detectedAt: new Date(now - 10 * MINUTE),
    },
    { result: 'healed', strategy: 'RETRY_WITH_BACKOFF', healingDurationMs: 1_500, diagnosis, diagnosisSource: 'rules' },
  );
  await event(
    'charge-2',
    {
      operation: 'billing.charge',
      signature: 'sig-net',
      category: 'network',
      severity: 'high',
      workflowId: 'heal-billing.charge-2',
      detectedAt: new Date(now - 2 * HOUR),
    },
    { result: 'failed', strategy: 'RETRY_WITH_BACKOFF' },
  );
  await event(
    'user-1',
    {
      operation: 'users.get',
      signature: 'sig-validation',
      category: 'validation',
      severity: 'low',
      detectedAt: new Date(now - 30 * MINUTE),
    },
    { result: 'failed' },
  );
  await event(
    'user-2',
    {
      operation: 'users.get',
      signature: 'sig-rate',
      category: 'rate_limit',
      severity: 'medium',
      detectedAt: new Date(now - 3 * 24 * HOUR),
    },
    { result: 'healed', strategy: 'RATE_LIMIT_BACKOFF', healingDurationMs: 4_000 },
  );
  await event(
    'report-1',
    {
      operation: 'reports.build',
      signature: 'sig-db',
      category: 'database_connection',
      severity: 'critical',
      detectedAt: new Date(now - HOUR),
    },
    { result: 'queued', strategy: 'QUEUE_FOR_LATER' },
  );
  for (let index = 0; index < 6; index++) {
    await event(
      `bulk-${index}`,
      {
        operation: 'bulk.import',
        signature: 'sig-runtime',
        category: 'runtime',
        severity: 'low',
        detectedAt: new Date(now - (40 + index) * MINUTE),
      },
      { result: 'healed', strategy: 'USE_DEFAULT_VALUE', healingDurationMs: 100 },
    );
  }
  await upsertHealingPattern(db, {
    signature: 'sig-net',
    strategy: 'RETRY_WITH_BACKOFF',
    category: 'network',
    success: true,
    healingMs: 1_500,
    diagnosis,
  });
  await upsertHealingPattern(db, {
    signature: 'sig-net',
    strategy: 'RETRY_WITH_BACKOFF',
    category: 'network',
    success: false,
  });
  await upsertHealingPattern(db, {
    signature: 'sig-runtime',
    strategy: 'USE_DEFAULT_VALUE',
    category: 'runtime',
    success: true,
    healingMs: 100,
  });

  await createHealthCheck(db, {
    checkName: 'database',
    status: 'healthy',
    latencyMs: 5,
    checkedAt: new Date(now - 9 * HOUR),
  });
  for (const minutesAgo of [30, 20, 8]) {
    await createHealthCheck(db, {
      checkName: 'database',
      status: 'healthy',
      latencyMs: minutesAgo,
      checkedAt: new Date(now - minutesAgo * MINUTE),
    });
  }
  await createHealthCheck(db, {
    checkName: 'openai',
    status: 'healthy',
    latencyMs: 200,
    checkedAt: new Date(now - 20 * MINUTE),
  });
  await createHealthCheck(db, {
    checkName: 'openai',
    status: 'degraded',
    latencyMs: 2_400,
    error: 'slow answer',
    checkedAt: new Date(now - 5 * MINUTE),
  });

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
  /** Sent as X-Forwarded-For (believed from loopback, the default trusted proxy): one back-off record per client. */
  client?: string;
  headers?: Record<string, string>;
  /** Default: the suite's dashboard. */
  server?: DashboardServer;
}

async function call(path: string, options: Call = {}): Promise<Response> {
  const url = new URL(path, (options.server ?? dashboard).url);
  if (options.token !== undefined) url.searchParams.set('token', options.token);
  const headers: Record<string, string> = { ...options.headers };
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  if (options.cookie !== undefined) headers.cookie = options.cookie;
  if (options.client !== undefined) headers['x-forwarded-for'] = options.client;
  return fetch(url, { method: options.method ?? 'GET', headers, body: options.body, redirect: 'manual' });
}

let clients = 0;
/** A client address of its own (TEST-NET-2), so wrong tokens in one test do not make another back off. */
function newClient(): string {
  clients++;
  return `198.51.${Math.floor(clients / 250)}.${clients % 250}`;
}

async function signIn(options: Pick<Call, 'server' | 'client' | 'headers'> = {}): Promise<Response> {
  const body = new URLSearchParams({ token: TOKEN });
  return call('/login', { ...options, method: 'POST', body });
}

/** A dashboard of this suite's database with other options; closed after `use`. */
async function withDashboard(options: Partial<DashboardOptions>, use: (server: DashboardServer) => Promise<void>) {
  const server = await startDashboard({ db, token: TOKEN, port: 0, logger: silentLogger(), ...options });
  try {
    await use(server);
  } finally {
    await server.close();
  }
}

/** The reason the sign-in page gives (data-reason of its notice), or null when it gives none. */
async function signInReason(response: Response): Promise<string | null> {
  const body = await response.text();
  expect(body).toContain('<form method="post" action="/login"');
  return /data-reason="([a-z-]+)"/.exec(body)?.[1] ?? null;
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
    ['the right token as ?token= on the API (header only)', { token: TOKEN }],
    ['the token with one character changed', { bearer: `${TOKEN.slice(0, -1)}X` }],
    ['a forged session cookie', { cookie: `${SESSION_COOKIE}=forged` }],
    ['the raw token as the session cookie', { cookie: `${SESSION_COOKIE}=${TOKEN}` }],
  ] as [string, Call][])('every page and API answers 401 with no detail (%s)', async (label, credentials) => {
    for (const path of PROTECTED) {
      // The right ?token= does open pages (a sign-in link): only the API must refuse it.
      if (label.includes('on the API') && !path.startsWith('/api/')) continue;
      const response = await call(path, { ...credentials, client: newClient() });
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
        for (const leak of ['billing.charge', 'sig-net', 'database', 'script', '/assets/'])
          expect(body, path).not.toContain(leak);
      }
    }
  });

  it('a refused sign-in answers 401 without setting a cookie', async () => {
    const client = newClient();
    const wrong = new URLSearchParams({ token: 'not-the-token-at-all' });
    const response = await call('/login', { method: 'POST', body: wrong, client });
    expect(response.status).toBe(401);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(await response.text()).toContain('That token was not accepted.');
    const empty = await call('/login', { method: 'POST', body: new URLSearchParams({}), client });
    expect(empty.status).toBe(401);
    const padding = 'x'.repeat(100_000);
    const huge = await call('/login', { method: 'POST', body: new URLSearchParams({ token: TOKEN, padding }), client });
    expect(huge.status).toBe(401);
    expect(huge.headers.get('set-cookie')).toBeNull();
  });

  it('the icon is served to everyone (the sign-in page shows it too)', async () => {
    for (const icon of ['/favicon.ico', '/favicon.svg']) {
      const response = await call(icon);
      expect(response.status, icon).toBe(200);
      expect(response.headers.get('content-type'), icon).toBe('image/svg+xml');
      expect(await response.text(), icon).toContain('<svg');
    }
  });
});

describe('with the token', () => {
  it('accepts it on the API only as a bearer token', async () => {
    expect((await call('/api/events', { bearer: TOKEN })).status).toBe(200);
    expect((await call('/api/events', { token: TOKEN })).status).toBe(401);
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
    expect(response.headers.get('set-cookie')).not.toMatch(/Secure/i); // plain HTTP, no proxy said otherwise
    expect((await call('/', { cookie })).status).toBe(200);
  });

  it('a wrong ?token= link lands on the sign-in page saying the token may have changed', async () => {
    const response = await call('/', { token: 'an-older-token-an-older-token', client: newClient() });
    expect(response.status).toBe(401);
    expect(await signInReason(response)).toBe('link-rejected');
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

  it('the sign-in form sets a signed session cookie; signing out ends it, also for a captured copy', async () => {
    const login = await signIn();
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/');
    const cookie = sessionCookieOf(login);
    expect(login.headers.get('set-cookie')).toMatch(/Max-Age=43200/); // 12 h by default
    expect((await call('/', { cookie })).status).toBe(200);
    expect((await call('/api/health', { cookie })).status).toBe(200);
    const other = sessionCookieOf(await signIn()); // another browser's session lives on
    const logout = await call('/logout', { method: 'POST', cookie });
    expect(logout.status).toBe(303);
    expect(logout.headers.get('set-cookie')).toMatch(new RegExp(`${SESSION_COOKIE}=;.*Max-Age=0`, 'i'));
    // The browser dropped it; a copy taken before the sign-out no longer opens anything.
    expect((await call('/api/health', { cookie })).status).toBe(401);
    const page = await call('/', { cookie });
    expect(page.status).toBe(401);
    expect(await signInReason(page)).toBe('ended');
    expect((await call('/api/health', { cookie: other })).status).toBe(200);
  });

  it('the server ends a session at its expiry, whatever the browser keeps', async () => {
    await withDashboard({ sessionLifetimeMs: 1_500 }, async (server) => {
      const cookie = sessionCookieOf(await signIn({ server }));
      expect((await call('/api/meta', { cookie, server })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1_700));
      expect((await call('/api/meta', { cookie, server })).status).toBe(401);
      expect(await signInReason(await call('/', { cookie, server }))).toBe('expired');
    });
  });

  it('a restart ends every session (nothing to revoke is forgotten); the same token signs in again', async () => {
    let cookie = '';
    await withDashboard({}, async (server) => {
      cookie = sessionCookieOf(await signIn({ server }));
    });
    await withDashboard({}, async (server) => {
      const page = await call('/', { cookie, server });
      expect(page.status).toBe(401);
      expect(await signInReason(page)).toBe('ended');
      expect((await call('/', { token: TOKEN, server })).status).toBe(303);
    });
  });

  it('a cookie from another token does not open this dashboard, and the page says the token changed', async () => {
    await withDashboard({ token: 'another-token-another-token' }, async (other) => {
      const login = await call('/login', {
        server: other,
        method: 'POST',
        body: new URLSearchParams({ token: 'another-token-another-token' }),
      });
      const cookie = sessionCookieOf(login);
      expect((await call('/api/meta', { cookie, server: other })).status).toBe(200);
      expect((await call('/api/meta', { cookie })).status).toBe(401);
      expect(await signInReason(await call('/', { cookie }))).toBe('token-changed');
    });
  });

  it('unknown paths are 404 once signed in, and bad filters 400 naming the parameter', async () => {
    expect((await call('/api/does-not-exist', { bearer: TOKEN })).status).toBe(404);
    expect((await call('/does-not-exist', { bearer: TOKEN })).status).toBe(404);
    const bad = await call('/api/events?severity=urgent&limit=0&from=yesterday', { bearer: TOKEN });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { issues: { param: string }[] };
    expect(body.issues.map((issue) => issue.param).sort()).toEqual(['from', 'limit', 'severity']);
  });

  it.each([
    ['/api/events', 'from', '0000-01-01'],
    ['/api/events', 'from', '1969-12-31T23:59:59Z'],
    ['/api/events', 'to', '+275760-09-13T00:00:00.000Z'],
    ['/api/events', 'to', '2026-02-30'],
    ['/api/events', 'from', '2026-11-29T25:00:00Z'],
    ['/api/events', 'from', 'Sun, 29 Nov 2026 10:00:00 GMT'],
    ['/api/events', 'operation', 'billing\0charge'],
    ['/api/events', 'signature', '\0'],
    ['/api/events', 'workflowId', 'heal-\u001b[31m'],
    ['/api/events', 'operation', 'x'.repeat(501)],
    ['/api/events', 'limit', '1e2'],
    ['/api/events', 'limit', '0x10'],
    ['/api/events', 'limit', '-1'],
    ['/api/events', 'limit', '2.5'],
    ['/api/events', 'limit', 'Infinity'],
    ['/api/events', 'before', '99999999999999999999_not-a-uuid'],
    ['/api/events', 'severity', 'HIGH'],
    ['/api/events', 'category', 'network\0'],
    ['/api/events', 'result', 'cancelled '.repeat(2)],
    ['/api/stats', 'hours', '169'],
    ['/api/stats', 'from', '10000-01-01'],
    ['/api/health', 'hours', 'NaN'],
    ['/api/health/history', 'check', 'database\0'],
    ['/api/health/history', 'hours', '1e9'],
    ['/api/health/history', 'from', '0001-01-01T00:00:00Z'],
    ['/api/patterns', 'signature', '\0'],
    ['/api/patterns', 'limit', '501'],
  ])('%s?%s=%j answers 400 naming the parameter', async (endpoint, param, value) => {
    const response = await call(`${endpoint}?${new URLSearchParams({ [param]: value })}`, { bearer: TOKEN });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; issues: { param: string }[] };
    expect(body.error).toBe('invalid query');
    expect(body.issues.map((issue) => issue.param)).toEqual([param]);
  });

  it('well-formed dates at the edges of the range are accepted', async () => {
    const edges = ['from=1970-01-01', 'to=9999-12-31T23:59:59Z', 'from=2026-11-29T10:00:00%2B02:00', 'limit=%2007%20'];
    for (const query of edges) {
      expect((await call(`/api/events?${query}`, { bearer: TOKEN })).status, query).toBe(200);
    }
  });
});

describe('sign-in back-off and trusted proxies', () => {
  it('after 5 wrong tokens a client waits before its next one is even checked; others go on', async () => {
    const client = newClient();
    const wrong = new URLSearchParams({ token: 'guess-guess-guess-guess' });
    const answers = await Promise.all(
      Array.from({ length: 200 }, () => call('/login', { method: 'POST', body: wrong, client })),
    );
    const statuses = answers.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(195);
    const throttled = answers.find((response) => response.status === 429)!;
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(50);
    expect(await signInReason(throttled)).toBe('throttled');
    await Promise.all(answers.filter((response) => response !== throttled).map((response) => response.body?.cancel()));

    // Even the right token waits, in every form; another client signs in at once.
    expect((await signIn({ client })).status).toBe(429);
    const api = await call('/api/meta', { bearer: TOKEN, client });
    expect(api.status).toBe(429);
    expect(await api.json()).toEqual({ error: 'too many failed sign-ins' });
    expect((await call('/', { token: TOKEN, client })).status).toBe(429);
    expect((await signIn({ client: newClient() })).status).toBe(303);
  });

  it('a right token clears the typos before it', async () => {
    const client = newClient();
    const wrong = new URLSearchParams({ token: 'typo-typo-typo-typo-typo' });
    for (let round = 0; round < 3; round++) {
      for (let typo = 0; typo < 4; typo++) {
        expect((await call('/login', { method: 'POST', body: wrong, client })).status).toBe(401);
      }
      expect((await signIn({ client })).status).toBe(303);
    }
  });

  it('forwarding headers count only from a trusted proxy: -For for the back-off, -Proto for Secure', async () => {
    const overTls = { 'x-forwarded-proto': 'https' };
    const overHttp = { 'x-forwarded-proto': 'http' };
    expect((await signIn({ headers: overTls })).headers.get('set-cookie')).toMatch(/; Secure/);
    expect((await signIn({ headers: overHttp })).headers.get('set-cookie')).not.toMatch(/Secure/);

    await withDashboard({ trustedProxies: [] }, async (server) => {
      // Not trusted: the headers are the client's word, so no Secure and one back-off record whatever it claims.
      expect((await signIn({ server, headers: overTls })).headers.get('set-cookie')).not.toMatch(/Secure/);
      const wrong = new URLSearchParams({ token: 'guess-guess-guess-guess' });
      const statuses = [];
      for (let attempt = 0; attempt < 7; attempt++) {
        statuses.push((await call('/login', { server, method: 'POST', body: wrong, client: newClient() })).status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    });
  });

  it('DASHBOARD_TRUSTED_PROXIES (default loopback) and DASHBOARD_SESSION_HOURS (default 12) are checked', () => {
    const proxies = (value?: string) => loadConfig({ DASHBOARD_TRUSTED_PROXIES: value }).DASHBOARD_TRUSTED_PROXIES;
    expect(proxies(undefined)).toEqual(['loopback']);
    expect(proxies('')).toEqual([]);
    expect(proxies('10.0.0.0/8, ::1')).toEqual(['10.0.0.0/8', '::1']);
    expect(() => loadConfig({ DASHBOARD_TRUSTED_PROXIES: 'my-proxy.local' })).toThrow(/DASHBOARD_TRUSTED_PROXIES/);
    expect(loadConfig({}).DASHBOARD_SESSION_HOURS).toBe(12);
    expect(() => loadConfig({ DASHBOARD_SESSION_HOURS: '0' })).toThrow(/DASHBOARD_SESSION_HOURS/);
  });
});

describe('the token kept under DATA_DIR (loopback, no DASHBOARD_TOKEN)', () => {
  it('is made once, readable by the owner only, and the same after a restart', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dashboard-token-'));
    try {
      const dir = path.join(dataDir, 'nested');
      const token = localDashboardToken(dir);
      const file = path.join(dir, LOCAL_TOKEN_FILE);
      expect(token).toMatch(/^[0-9a-f]{48}$/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(localDashboardToken(dir)).toBe(token);

      // A link printed before a restart still signs in after it.
      let link = '';
      await withDashboard({ token }, async (server) => {
        link = `/?token=${token}`;
        expect((await call(link, { server })).status).toBe(303);
      });
      await withDashboard({ token: localDashboardToken(dir) }, async (server) => {
        expect((await call(link, { server })).status).toBe(303);
      });

      chmodSync(file, 0o644); // e.g. restored from a backup
      expect(localDashboardToken(dir)).toBe(token);
      expect(statSync(file).mode & 0o777).toBe(0o600);

      writeFileSync(file, 'short\n');
      expect(() => localDashboardToken(dir)).toThrow(DashboardConfigError);
      expect(() => localDashboardToken(dir)).toThrow(/delete it to have a new one made/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
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

  it('/api/events: pagination by cursor walks every event exactly once', async () => {
    const seen: string[] = [];
    let before = '';
    do {
      const page = await json(`/api/events?limit=4&before=${before}`);
      expect(page).toMatchObject({ total: 11, totalEstimated: false, limit: 4 });
      seen.push(...page.rows.map((row: any) => row.id));
      before = page.nextCursor ?? '';
    } while (before);
    expect(seen).toHaveLength(11);
    expect(new Set(seen).size).toBe(11);
    const bad = await call('/api/events?before=11', { bearer: TOKEN });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      issues: [{ param: 'before', message: 'must be the nextCursor of a page' }],
    });
  });

  it('polls answer 304 while nothing was written, and 200 again after a write (never without the token)', async () => {
    const first = await call('/api/stats?hours=24', { bearer: TOKEN });
    const etag = first.headers.get('ETag')!;
    expect(etag).toMatch(/^W\/".+"$/);
    const ask = (path: string, headers: Record<string, string>) => fetch(new URL(path, dashboard.url), { headers });
    const again = await ask('/api/stats?hours=24', { authorization: `Bearer ${TOKEN}`, 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    // Another question (other parameters) is answered in full.
    expect((await ask('/api/stats?hours=12', { authorization: `Bearer ${TOKEN}`, 'If-None-Match': etag })).status).toBe(
      200,
    );
    expect((await ask('/api/stats?hours=24', { 'If-None-Match': etag })).status).toBe(401);

    await updateHealingEvent(db, 'user-1', { result: 'failed' }); // a write (same values: only updated_at moves)
    const changed = await ask('/api/stats?hours=24', { authorization: `Bearer ${TOKEN}`, 'If-None-Match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('ETag')).not.toBe(etag);
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
    expect(stats.byOutcome).toEqual({ healed: 8, 'not-healed': 2, open: 1, 'no-verdict': 0 });
    expect(stats.successRate).toBeCloseTo(8 / 10);
    expect(stats.meanTimeToHealMs).toBeCloseTo((1_500 + 4_000 + 6 * 100) / 8);
    expect(stats.byCategory[0]).toMatchObject({ key: 'runtime', count: 6, healed: 6, notHealed: 0, unresolved: 0 });
    expect(stats.byCategory[0].successRate).toBe(1);
    expect(stats.byStrategy.find((group: any) => group.key === 'RETRY_WITH_BACKOFF')).toMatchObject({
      count: 2,
      healed: 1,
      successRate: 0.5,
    });
    expect(stats.hourly).toHaveLength(48);
    expect(stats.hourly.reduce((sum: number, bucket: any) => sum + bucket.count, 0)).toBe(10); // user-2 is 3 days old
    const hours = stats.hourly.map((bucket: any) => Date.parse(bucket.hour));
    expect(hours.every((hour: number, index: number) => index === 0 || hour - hours[index - 1]! === HOUR)).toBe(true);

    const lastHour = await json(`/api/stats?from=${encodeURIComponent(new Date(now - 50 * MINUTE).toISOString())}`);
    expect(lastHour.total).toBe(8);
    expect(lastHour.hourly).toHaveLength(24);
  });

  it('one classification of results for totals, groups and /api/meta: a cancelled run is no verdict', async () => {
    expect(Object.values(OUTCOMES).flat().sort()).toEqual([...HEALING_RESULTS].sort());
    const own = await createTestDatabase('postgres');
    try {
      const network = { operation: 'orders.sync', signature: 'sig-o', category: 'network', severity: 'high' } as const;
      await event('o-healed', network, { result: 'healed' }, own.handle.db);
      await event('o-failed', network, { result: 'failed' }, own.handle.db);
      await event('o-cancelled', network, { result: 'cancelled' }, own.handle.db);
      await event('o-queued', network, { result: 'queued' }, own.handle.db);
      // A re-run keeps the original detection time; its row still has a time of its own.
      const original = { workflowId: 'heal-orders.sync-1-rerun-a1b2c3', detectedAt: new Date(now - 3 * HOUR) };
      await event('o-rerun', { ...network, ...original }, { result: 'healed' }, own.handle.db);
      await withDashboard({ db: own.handle.db }, async (server) => {
        const get = async (path: string) => (await call(path, { bearer: TOKEN, server })).json() as Promise<any>;
        const stats = await get('/api/stats');
        expect(stats.byOutcome).toEqual({ healed: 2, 'not-healed': 1, open: 1, 'no-verdict': 1 });
        expect(stats.resolved).toBe(stats.byOutcome.healed + stats.byOutcome['not-healed']);
        const network5 = { key: 'network', count: 5, healed: 2, notHealed: 1, unresolved: 2 };
        expect(stats.byCategory).toEqual([expect.objectContaining(network5)]);
        expect((await get('/api/meta')).vocabulary.outcomes).toEqual(OUTCOMES);
        const { rows } = await get('/api/events?operation=orders.sync');
        const rerun = rows.find((row: any) => row.workflowId === original.workflowId);
        expect(Date.parse(rerun.detectedAt)).toBe(now - 3 * HOUR);
        expect(Math.abs(Date.parse(rerun.startedAt) - Date.now())).toBeLessThan(MINUTE);
      });
    } finally {
      await own.drop();
    }
  });

  it('/api/breakers: the shared circuit breakers from Temporal, never a 304 from the database version', async () => {
    expect(await json('/api/breakers')).toEqual({ available: false, rows: [] });
    const settings = {
      failureRate: 0.5,
      windowMs: 30_000,
      minimumCalls: 10,
      quorum: 2,
      openMs: 30_000,
      maxOpenMs: 300_000,
    };
    const window = {
      calls: 12,
      failures: 9,
      failureRate: 0.75,
      instances: [],
      failingInstances: 2,
      requiredQuorum: 2,
      reason: '75 % failed',
    };
    const open = {
      breakerId: 'breaker:quotes.fetch',
      operation: 'quotes.fetch',
      view: {
        breakerId: 'breaker:quotes.fetch',
        operation: 'quotes.fetch',
        settings,
        window,
        state: 'open' as const,
        since: now - MINUTE,
        retryAt: now + MINUTE,
        reason: '75 % failed',
        openings: 1,
        probes: 0,
        failedProbes: 0,
        rejected: 40,
      },
    };
    const held = {
      breakerId: 'breaker:mail.send',
      operation: 'mail.send',
      status: { state: 'open' as const, since: now, reason: 'opened by ops: maintenance' },
    };
    await withDashboard({ breakers: async () => [held, open] }, async (server) => {
      const first = await call('/api/breakers', { bearer: TOKEN, server });
      expect(first.headers.get('etag')).toBeNull();
      const body = (await first.json()) as any;
      expect(body.available).toBe(true);
      expect(body.rows[1]).toMatchObject({
        operation: 'quotes.fetch',
        state: 'open',
        failureRate: 0.75,
        calls: 12,
        failingInstances: 2,
        rejected: 40,
      });
      expect(body.rows[1].temporalUrl).toBe(
        'http://127.0.0.1:8233/namespaces/default/workflows/breaker%3Aquotes.fetch',
      );
      expect(Date.parse(body.rows[1].retryAt)).toBe(now + MINUTE);
      expect(body.rows[0]).toMatchObject({
        operation: 'mail.send',
        state: 'open',
        failureRate: null,
        reason: 'opened by ops: maintenance',
      });
    });
  });

  it('/api/patterns: learned strategies with their success rates', async () => {
    const { rows } = await json('/api/patterns');
    expect(rows).toHaveLength(2);
    const net = rows.find((row: any) => row.signature === 'sig-net');
    expect(net).toMatchObject({
      strategy: 'RETRY_WITH_BACKOFF',
      successCount: 1,
      failureCount: 1,
      successRate: 0.5,
      rootCause: 'upstream reset the connection',
    });
    // Nothing recurred: its one heal held.
    expect(net).toMatchObject({ heals: 1, held: 1, effectiveness: 1, signatureEffectiveness: 1, recurring: false });
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
    expect((await json('/api/health/history?limit=2')).rows.map((row: any) => row.checkName)).toEqual([
      'openai',
      'database',
    ]);
  });

  it('/api/operations and /api/meta feed the page its filter choices and settings', async () => {
    expect((await json('/api/operations')).operations).toEqual([
      'billing.charge',
      'bulk.import',
      'reports.build',
      'users.get',
    ]);
    const meta = await json('/api/meta');
    expect(meta).toMatchObject({
      temporalUiUrl: 'http://127.0.0.1:8233/',
      temporalNamespace: 'default',
      pollIntervalMs: 5_000,
    });
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
