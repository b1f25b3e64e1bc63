// The admin dashboard: a small Hono app serving a static page, its script and Chart.js, and a
// JSON API over the db/ queries. Everything but the icon answers 401 without the token or a live
// session; the API says no more than "unauthorized", the sign-in page says why a session ended.
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAdaptorServer } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import { ERROR_CATEGORIES, HEALING_RESULTS, SEVERITIES } from '../common/types.js';
import type { Database } from '../db/index.js';
import type { Config } from '../lib/config.js';
import { logger as rootLogger } from '../lib/logger.js';
import type { BreakerListing } from '../cli/operator/breakers.js';
import { API_ROUTES, breakersResponse, conditionalPolls, QueryError, type LinkOptions } from './api.js';
import { Authenticator, bearerToken, DashboardConfigError, requireToken } from './auth.js';
import { loginPage, type SignInReason } from './login-page.js';
import { OUTCOMES } from './outcomes.js';
import { RequestOrigin } from './request-origin.js';
import { DEFAULT_SESSION_LIFETIME_MS, SessionStore, type SessionState } from './session.js';
import { SignInThrottle } from './sign-in-throttle.js';

export { DashboardConfigError, MIN_TOKEN_LENGTH } from './auth.js';

export const DEFAULT_DASHBOARD_PORT = 8787;
export const DEFAULT_POLL_INTERVAL_MS = 5_000;

export interface DashboardOptions {
  db: Database;
  /** DASHBOARD_TOKEN. Missing or shorter than 16 characters: startDashboard throws DashboardConfigError. */
  token: string | undefined;
  /** Default 8787; 0 picks a free port (see the returned url). */
  port?: number;
  /** Default 127.0.0.1; 0.0.0.0 to reach it from other machines. */
  host?: string;
  /** Base of the links to healing runs, e.g. http://127.0.0.1:8233. */
  temporalUiUrl?: string;
  temporalNamespace?: string;
  /** How often the page refreshes its data. Default 5 s. */
  pollIntervalMs?: number;
  /** Proxies whose X-Forwarded-For/-Proto are believed (addresses, CIDRs, loopback…). Default loopback only. */
  trustedProxies?: readonly string[];
  /** How long a sign-in lasts, checked by the server. Default 12 h. */
  sessionLifetimeMs?: number;
  logger?: Logger;
  /** Lists the shared circuit breakers (cli/operator/breakers.ts over the worker's client); none: the panel says so. */
  breakers?: () => Promise<BreakerListing[]>;
}

export interface DashboardServer {
  /** e.g. http://127.0.0.1:8787 */
  url: string;
  port: number;
  /** Stops listening and drops open (keep-alive) connections. Idempotent. */
  close(): Promise<void>;
}

/** The dashboard options the environment configures (add `db`). */
export function dashboardOptionsFromConfig(config: Config): Omit<DashboardOptions, 'db'> {
  return {
    token: config.DASHBOARD_TOKEN,
    port: config.DASHBOARD_PORT,
    host: config.DASHBOARD_HOST,
    temporalUiUrl: config.temporalUiUrl,
    temporalNamespace: config.TEMPORAL_NAMESPACE,
    trustedProxies: config.DASHBOARD_TRUSTED_PROXIES,
    sessionLifetimeMs: config.DASHBOARD_SESSION_HOURS * 3_600_000,
  };
}

const PUBLIC_DIR = fileURLToPath(new URL('./public', import.meta.url));

interface Asset {
  body: string;
  type: string;
  cacheControl: string;
  /** Served before sign-in. */
  public: boolean;
}

async function loadAssets(): Promise<Map<string, Asset>> {
  // Chart.js's package exports do not list its UMD build: find it next to the main entry.
  const chartMain = createRequire(import.meta.url).resolve('chart.js');
  const chartUmd = path.join(path.dirname(chartMain), 'chart.umd.min.js');
  const favicon = path.join(PUBLIC_DIR, 'favicon.svg');
  const files: [string, string, string, string][] = [
    ['/', path.join(PUBLIC_DIR, 'index.html'), 'text/html; charset=utf-8', 'no-store'],
    ['/assets/app.js', path.join(PUBLIC_DIR, 'app.js'), 'text/javascript; charset=utf-8', 'no-cache'],
    ['/assets/style.css', path.join(PUBLIC_DIR, 'style.css'), 'text/css; charset=utf-8', 'no-cache'],
    ['/assets/chart.umd.min.js', chartUmd, 'text/javascript; charset=utf-8', 'private, max-age=86400'],
    // Browsers ask for /favicon.ico whatever the page links to.
    ['/favicon.svg', favicon, 'image/svg+xml', 'public, max-age=86400'],
    ['/favicon.ico', favicon, 'image/svg+xml', 'public, max-age=86400'],
  ];
  const assets = new Map<string, Asset>();
  for (const [route, file, type, cacheControl] of files) {
    const body = await readFile(file, 'utf8');
    assets.set(route, { body, type, cacheControl, public: route.startsWith('/favicon.') });
  }
  return assets;
}

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** The Hono app alone (no listening socket): for embedding or for `app.request()` in tests. */
export async function createDashboardApp(options: DashboardOptions): Promise<Hono> {
  const token = requireToken(options.token);
  const auth = new Authenticator(token);
  const sessions = new SessionStore(token, options.sessionLifetimeMs ?? DEFAULT_SESSION_LIFETIME_MS);
  const origin = new RequestOrigin(options.trustedProxies ?? ['loopback']);
  const throttle = new SignInThrottle();
  const log = options.logger ?? rootLogger.child({ component: 'dashboard' });
  const assets = await loadAssets();
  const db = options.db;
  const links: LinkOptions = {
    temporalUiUrl: options.temporalUiUrl ?? 'http://127.0.0.1:8233',
    temporalNamespace: options.temporalNamespace ?? 'default',
  };
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const app = new Hono();

  /** A presented token, checked only when the client is not backing off; a wrong one counts against it. */
  async function verifyToken(c: Context, candidate: string | undefined): Promise<TokenVerdict> {
    const client = origin.clientAddress(c);
    const retryAfterSeconds = await throttle.retryAfterSeconds(client);
    if (retryAfterSeconds > 0) return { ok: false, retryAfterSeconds };
    // No I/O between the check above and the count below: a burst of guesses cannot all slip through.
    if (auth.matchesToken(candidate)) {
      await throttle.succeeded(client);
      return { ok: true };
    }
    await throttle.failed(client);
    log.warn({ client }, 'dashboard sign-in refused');
    return { ok: false, retryAfterSeconds: 0 };
  }

  app.use('*', async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
  });

  // Before sign-in: the icon (the sign-in page shows it too) and the sign-in form's target.
  for (const [route, asset] of assets) if (asset.public) serveAsset(app, route, asset);

  app.post('/login', bodyLimit({ maxSize: 4 * 1024, onError: (c) => refuse(c, 'rejected') }), async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const verdict = await verifyToken(c, typeof form.token === 'string' ? form.token : undefined);
    if (!verdict.ok) return refuse(c, verdict.retryAfterSeconds ? 'throttled' : 'rejected', verdict.retryAfterSeconds);
    await sessions.start(c, { secure: origin.cameOverTls(c) });
    return c.redirect('/', 303);
  });

  app.use('*', async (c, next) => {
    const session = await sessions.read(c);
    if (session === 'valid') return next();
    // A page link may carry the token (what `npm start` prints); the API takes it only as a header.
    const linkToken = isApi(c) || c.req.method !== 'GET' ? undefined : c.req.query('token');
    const presented = bearerToken(c.req.header('authorization')) ?? linkToken;
    if (presented === undefined) return refuse(c, SESSION_NOTICES[session]);
    const verdict = await verifyToken(c, presented);
    if (!verdict.ok) {
      const reason = verdict.retryAfterSeconds ? 'throttled' : linkToken === undefined ? 'rejected' : 'link-rejected';
      return refuse(c, reason, verdict.retryAfterSeconds);
    }
    if (linkToken === undefined) return next();
    // Keep the browser signed in and take the token out of the address bar.
    await sessions.start(c, { secure: origin.cameOverTls(c) });
    const url = new URL(c.req.url);
    url.searchParams.delete('token');
    // Same-origin path only: a leading '//' would make the Location point at another host.
    return c.redirect(`/${url.pathname.replace(/^\/+/, '')}${url.search}`, 303);
  });

  app.post('/logout', async (c) => {
    await sessions.end(c);
    return c.redirect('/', 303);
  });

  for (const [route, asset] of assets) if (!asset.public) serveAsset(app, route, asset);

  app.use('/api/*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });
  app.use('/api/*', conditionalPolls(db));
  app.get('/api/meta', (c) =>
    c.json({
      ...links,
      pollIntervalMs,
      serverTime: new Date(),
      vocabulary: {
        severities: SEVERITIES,
        categories: ERROR_CATEGORIES,
        results: HEALING_RESULTS,
        outcomes: OUTCOMES,
      },
    }),
  );
  for (const [route, respond] of Object.entries(API_ROUTES)) {
    app.get(route, async (c) => c.json(await respond(db, c.req.query(), links)));
  }
  // The breakers live in Temporal, not in the database: listed through what the worker gave the dashboard.
  app.get('/api/breakers', async (c) => c.json(await breakersResponse(options.breakers, links)));

  app.notFound((c) => (isApi(c) ? c.json({ error: 'not found' }, 404) : c.text('Not found', 404)));
  app.onError((error, c) => {
    if (error instanceof QueryError) return c.json({ error: 'invalid query', issues: error.issues }, 400);
    // Only authenticated requests get here; still, the details go to the log, not the response.
    log.error({ err: error, path: c.req.path }, 'dashboard request failed');
    return isApi(c) ? c.json({ error: 'internal error' }, 500) : c.text('Internal error', 500);
  });
  return app;
}

type TokenVerdict = { ok: true } | { ok: false; retryAfterSeconds: number };

/** What the sign-in page says about a cookie that no longer opens the dashboard. */
const SESSION_NOTICES: Record<Exclude<SessionState, 'valid'>, SignInReason | undefined> = {
  none: undefined,
  expired: 'expired',
  ended: 'ended',
  foreign: 'token-changed',
};

function serveAsset(app: Hono, route: string, asset: Asset): void {
  app.get(route, (c) => {
    c.header('Cache-Control', asset.cacheControl);
    return c.body(asset.body, 200, { 'Content-Type': asset.type });
  });
}

function isApi(c: Context): boolean {
  return c.req.path === '/api' || c.req.path.startsWith('/api/');
}

/** 401 (429 while the client backs off): the sign-in page saying why, or a bare JSON error for the API. */
function refuse(c: Context, reason?: SignInReason, retryAfterSeconds = 0): Response {
  const throttled = reason === 'throttled';
  c.header('Cache-Control', 'no-store');
  if (throttled) c.header('Retry-After', String(retryAfterSeconds));
  if (isApi(c)) {
    if (throttled) return c.json({ error: 'too many failed sign-ins' }, 429);
    c.header('WWW-Authenticate', 'Bearer realm="self-healing dashboard"');
    return c.json({ error: 'unauthorized' }, 401);
  }
  return c.html(loginPage(reason, retryAfterSeconds), throttled ? 429 : 401);
}

/**
 * Serves the dashboard. Throws DashboardConfigError (an actionable one-line message) when the
 * token is missing or too short, or the port is taken.
 */
export async function startDashboard(options: DashboardOptions): Promise<DashboardServer> {
  const app = await createDashboardApp(options);
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? DEFAULT_DASHBOARD_PORT;
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host }) as Server;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EACCES'
          ? new DashboardConfigError(
              `Dashboard port ${requestedPort} on ${host} is not available (${error.code}); free it or set DASHBOARD_PORT`,
            )
          : error,
      );
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(requestedPort, host);
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      })),
  };
}
