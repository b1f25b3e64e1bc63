// The HTTP integrations in their real frameworks over real HTTP (Next.js: its handlers called with
// real Request objects): a dependency failing transiently is healed within the request; a client
// error is a 4xx carrying the same error object; queued or rate limited is 503 with Retry-After;
// a bug is a 500 reported with the request id and route as its context.
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono, type Env } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healingRoute as expressRoute } from '../client/integrations/express.js';
import { healingRoute as fastifyRoute } from '../client/integrations/fastify.js';
import { healingRoute as honoRoute } from '../client/integrations/hono.js';
import { HealingHttpError } from '../client/integrations/http-failure.js';
import { healingAction, healingRouteHandler } from '../client/integrations/next.js';
import { getHealingEvents } from '../db/index.js';
import type { TestSystem } from './support/system.js';
import { useTestSystem } from './support/use-test-system.js';

const system = useTestSystem();

class ValidationError extends Error {
  override name = 'ValidationError';
  readonly status = 400;
}

/** What the application's dependencies do; each framework's routes call the same wrapped operations. */
function operations(healer: TestSystem['healer']) {
  const failedOnce = new Set<string>();
  return {
    quote: healer.withSelfHealing(
      'frameworks.quote',
      async (symbol: string) => {
        if (!failedOnce.has(symbol)) {
          failedOnce.add(symbol);
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }
        return { symbol, price: 42 };
      },
      { allowedStrategies: ['RETRY_WITH_BACKOFF'], critical: true },
    ),
    order: healer.withSelfHealing(
      'frameworks.order',
      async (quantity: number) => {
        if (quantity < 1) throw new ValidationError('quantity must be at least 1');
        return { quantity };
      },
      { critical: true },
    ),
    busy: healer.withSelfHealing(
      'frameworks.busy',
      async () => {
        throw Object.assign(new Error('Too Many Requests'), { status: 429, headers: { 'retry-after': '7' } });
      },
      { allowedStrategies: ['RATE_LIMIT_BACKOFF'], critical: true, waitForHealingMs: 300 },
    ),
    queued: healer.withSelfHealing(
      'frameworks.queued',
      async () => {
        throw Object.assign(new Error('SMTP 503 service unavailable'), { status: 503 });
      },
      { allowedStrategies: ['QUEUE_FOR_LATER'], queueForLater: true, critical: true, timing: { queueDelayMs: 60_000 } },
    ),
  };
}

type Operations = ReturnType<typeof operations>;
let ops: Operations;

beforeAll(() => {
  ops = operations(system.healer);
});

afterAll(async () => {
  for await (const run of system.client.workflow.list({
    query: 'HealingOperation="frameworks.queued" AND ExecutionStatus="Running"',
  })) {
    await system.client.workflow
      .getHandle(run.workflowId)
      .terminate('test over')
      .catch(() => undefined);
  }
});

/** A running app: its base URL, the errors its error path saw, and how to stop it. */
interface RunningApp {
  url: string;
  errors: unknown[];
  close(): Promise<void>;
}

async function listening(server: Server): Promise<string> {
  if (!server.listening) await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function startExpress(): Promise<RunningApp> {
  const healer = system.healer;
  const app = express();
  const errors: unknown[] = [];
  app.get(
    '/quotes/:symbol',
    expressRoute<{ symbol: string }>(healer, async (req, res) => void res.json(await ops.quote(req.params.symbol))),
  );
  app.post(
    '/orders/:quantity',
    expressRoute<{ quantity: string }>(
      healer,
      async (req, res) => void res.json(await ops.order(Number(req.params.quantity))),
    ),
  );
  app.get(
    '/busy',
    expressRoute(healer, async (_req, res) => void res.json(await ops.busy())),
  );
  app.get(
    '/queued',
    expressRoute(healer, async (_req, res) => void res.json(await ops.queued())),
  );
  app.get(
    '/bug',
    expressRoute(healer, () => (undefined as unknown as () => void)()),
  );
  // Records what reaches the error path, then leaves the answer to Express's default handler.
  app.use((error: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
    errors.push(error);
    next(error);
  });
  const server = app.listen(0, '127.0.0.1');
  return { url: await listening(server), errors, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function startFastify(): Promise<RunningApp> {
  const healer = system.healer;
  const app = Fastify({ requestIdHeader: 'x-request-id' }); // Fastify's own request ids, taken from the header
  const errors: unknown[] = [];
  app.addHook('onError', async (_request, _reply, error) => void errors.push(error));
  app.get<{ Params: { symbol: string } }>(
    '/quotes/:symbol',
    fastifyRoute(healer, (request) => ops.quote(request.params.symbol)),
  );
  app.post<{ Params: { quantity: string } }>(
    '/orders/:quantity',
    fastifyRoute(healer, (request) => ops.order(Number(request.params.quantity))),
  );
  app.get(
    '/busy',
    fastifyRoute(healer, () => ops.busy()),
  );
  app.get(
    '/queued',
    fastifyRoute(healer, () => ops.queued()),
  );
  app.get(
    '/bug',
    fastifyRoute(healer, () => (undefined as unknown as () => void)()),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: await listening(app.server), errors, close: () => app.close() };
}

async function startHono(): Promise<RunningApp> {
  const healer = system.healer;
  const app = new Hono();
  const errors: unknown[] = [];
  app.use(async (c, next) => {
    await next();
    if (c.error) errors.push(c.error);
  });
  app.get(
    '/quotes/:symbol',
    honoRoute<Env, '/quotes/:symbol'>(healer, async (c) => c.json(await ops.quote(c.req.param('symbol')))),
  );
  app.post(
    '/orders/:quantity',
    honoRoute<Env, '/orders/:quantity'>(healer, async (c) => c.json(await ops.order(Number(c.req.param('quantity'))))),
  );
  app.get(
    '/busy',
    honoRoute(healer, async (c) => c.json(await ops.busy())),
  );
  app.get(
    '/queued',
    honoRoute(healer, async (c) => c.json(await ops.queued())),
  );
  app.get(
    '/bug',
    honoRoute(healer, () => (undefined as unknown as () => Response)()),
  );
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  return { url: await listening(server), errors, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The error the framework's error path carried: a HealingHttpError, for Hono as HTTPException's cause. */
function healingErrorOf(error: unknown): HealingHttpError {
  const found = error instanceof HealingHttpError ? error : (error as { cause?: unknown }).cause;
  expect(found).toBeInstanceOf(HealingHttpError);
  return found as HealingHttpError;
}

describe.each([
  ['Express', startExpress],
  ['Fastify', startFastify],
  ['Hono', startHono],
])('%s', (framework, start) => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await start();
  });
  afterAll(() => app?.close());

  it('heals a dependency that fails transiently within the request', async () => {
    const response = await fetch(`${app.url}/quotes/${framework}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ symbol: framework, price: 42 });
  });

  it('answers a client error with its 4xx, carrying the same error with the request id and route', async () => {
    const response = await fetch(`${app.url}/orders/0`, {
      method: 'POST',
      headers: { 'x-request-id': `req-${framework}` },
    });
    expect(response.status).toBe(400);
    const failure = healingErrorOf(app.errors.at(-1));
    expect(failure.cause).toBeInstanceOf(ValidationError);
    expect(failure.cause).toMatchObject({
      message: 'quantity must be at least 1',
      healingWorkflowId: expect.any(String),
    });
    expect(failure.context).toEqual({ requestId: `req-${framework}`, method: 'POST', route: '/orders/:quantity' });
  });

  it('answers 503 with Retry-After while the dependency is rate limited', async () => {
    const response = await fetch(`${app.url}/busy`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('7');
  });

  it('answers 503 with Retry-After when the call was queued for later', async () => {
    const response = await fetch(`${app.url}/queued`);
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(55);
  });

  it('answers a bug with 500 and reports it with the request id and route', async () => {
    const response = await fetch(`${app.url}/bug`, { headers: { 'x-request-id': `bug-${framework}` } });
    expect(response.status).toBe(500);
    await expect
      .poll(() => reportedContext('GET /bug', `bug-${framework}`), { timeout: 15_000 })
      .toEqual({
        requestId: `bug-${framework}`,
        method: 'GET',
        route: '/bug',
      });
  });
});

async function reportedContext(operation: string, requestId: string): Promise<unknown> {
  const { rows } = await getHealingEvents(system.database.db, { operation, limit: 50 });
  return rows.map((row) => row.context).find((context) => context?.requestId === requestId);
}

describe('Next.js', () => {
  const healer = () => system.healer;
  const quoteRoute = () =>
    healingRouteHandler(
      healer(),
      '/api/quotes/[symbol]',
      async (_request: Request, { params }: { params: Promise<{ symbol: string }> }) =>
        Response.json(await ops.quote((await params).symbol)),
    );

  it('route handler: heals within the request, answers client errors and "later" with their status', async () => {
    const GET = quoteRoute();
    const healed = await GET(new Request('http://app.test/api/quotes/NEXT'), {
      params: Promise.resolve({ symbol: 'NEXT' }),
    });
    expect(healed.status).toBe(200);
    expect(await healed.json()).toEqual({ symbol: 'NEXT', price: 42 });

    const POST = healingRouteHandler(healer(), '/api/orders', async (request: Request) => {
      const { quantity } = (await request.json()) as { quantity: number };
      return Response.json(await ops.order(quantity));
    });
    const invalid = await POST(
      new Request('http://app.test/api/orders', {
        method: 'POST',
        body: JSON.stringify({ quantity: 0 }),
        headers: { 'x-request-id': 'next-1' },
      }),
      undefined,
    );
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({
      error: 'quantity must be at least 1',
      requestId: 'next-1',
      healingWorkflowId: expect.any(String),
    });

    const busy = await healingRouteHandler(healer(), '/api/busy', async () => Response.json(await ops.busy()))(
      new Request('http://app.test/api/busy'),
      undefined,
    );
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('7');
  });

  it('server action: the value, or an expected failure as a value; a bug is rethrown as it came', async () => {
    const placeOrder = healingAction(healer(), 'placeOrder', (quantity: number) => ops.order(quantity));
    await expect(placeOrder(2)).resolves.toEqual({ ok: true, data: { quantity: 2 } });
    await expect(placeOrder(0)).resolves.toMatchObject({
      ok: false,
      status: 400,
      error: 'quantity must be at least 1',
    });
    await expect(healingAction(healer(), 'queueIt', () => ops.queued())()).resolves.toMatchObject({
      ok: false,
      status: 503,
      retryAfterSeconds: expect.any(Number),
    });
    const bug = new TypeError('x is not a function');
    await expect(healingAction(healer(), 'broken', async () => Promise.reject(bug))()).rejects.toBe(bug);
  });
});
