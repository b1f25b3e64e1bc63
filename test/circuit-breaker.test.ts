// The shared circuit breaker with three application processes wrapping the same operations, on the
// dev server, the central worker as its own process (SIGKILLed and started again), a fake HTTP
// dependency and a fake Resend: a dependency down for all opens it for all, calls fail fast, the
// system probes once per half-open and it closes everywhere; one partitioned instance does not
// open it for the others; instance and worker restarts keep its state.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Client } from '@temporalio/client';
import { and, count, eq } from 'drizzle-orm';
import { breakerViewQuery, breakerWorkflowId, type BreakerView } from '../common/circuit-breaker/contract.js';
import { healingEvents } from '../db/schema.js';
import { startAppProcess, type AppProcess, type AppProcessOptions } from './support/app-process.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startFakeHttpServer, type FakeHttpServer } from './support/fake-http.js';
import { startFakeResend, type FakeResend } from './support/fake-resend.js';
import { heal, healJson, type HealEnv } from './support/heal-cli.js';
import { connectToDevServer } from './support/temporal.js';
import { startWorkerProcess, writeWorkflowBundle, type WorkerProcess } from './support/worker-process.js';

const WINDOW_MS = 10_000;
const OPEN_MS = 2_000;
const BREAKER = {
  failureRate: 0.5,
  windowMs: WINDOW_MS,
  minimumCalls: 6,
  quorum: 2,
  openMs: OPEN_MS,
  maxOpenMs: 4_000,
};
const OPERATIONS = ['quote.all', 'quote.partition', 'quote.restart'];

let client: Client;
let address: string;
let database: TestDatabase;
let resend: FakeResend;
let dependency: FakeHttpServer;
let dependencyUp = true;
let bundle: { path: string; remove(): void };
let central: WorkerProcess;
let appOptions: AppProcessOptions;
const apps: AppProcess[] = [];
let healEnv: HealEnv;

function startCentral(): Promise<void> {
  central = startWorkerProcess({
    bundlePath: bundle.path,
    env: {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: appOptions.taskQueue,
      DATABASE_URL: database.url!,
      RESEND_API_KEY: 're_breaker',
      RESEND_BASE_URL: resend.url,
      ADMIN_EMAILS: 'ops@example.com',
    },
  });
  return central.ready;
}

beforeAll(async () => {
  const dev = await connectToDevServer();
  client = dev.client;
  address = dev.address;
  database = await createTestDatabase('postgres');
  resend = await startFakeResend();
  dependency = await startFakeHttpServer(() =>
    dependencyUp ? { kind: 'json', body: { price: 42 } } : { kind: 'json', status: 503, body: { error: 'down' } },
  );
  bundle = await writeWorkflowBundle();
  const taskQueue = `breaker-${randomUUID().slice(0, 8)}`;
  appOptions = {
    temporalAddress: address,
    taskQueue,
    appTaskQueue: `${taskQueue}-app`,
    dependencyUrl: dependency.url,
    operations: OPERATIONS,
    breaker: BREAKER,
  };
  healEnv = { TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: taskQueue };
  await startCentral();
  apps.push(...(await Promise.all([0, 1, 2].map(() => startAppProcess(appOptions)))));
}, 240_000);

afterAll(async () => {
  await Promise.all(apps.map((app) => app.stop()));
  for (const operation of OPERATIONS)
    await client?.workflow
      .getHandle(breakerWorkflowId(operation))
      .terminate('test done')
      .catch(() => undefined);
  await central?.stop();
  await dependency?.close();
  await resend?.close();
  await database?.drop();
  bundle?.remove();
});

const view = (operation: string): Promise<BreakerView> =>
  client.workflow.getHandle(breakerWorkflowId(operation)).query(breakerViewQuery);

async function until<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Requests the dependency got for `operation`: direct calls, or re-runs and probes (from an activity). */
function requests(operation: string, via: 'call' | 'activity'): number {
  return dependency.requests.filter((request) => request.path === `/${operation}` && request.query.get('via') === via)
    .length;
}

describe('a circuit breaker shared by three application processes', () => {
  it(
    'opens for all when the dependency is down for all, fails fast, probes once per half-open, closes everywhere',
    { timeout: 120_000 },
    async () => {
      const operation = 'quote.all';
      const warm = await Promise.all(apps.map((app) => app.calls(operation, 3)));
      expect(warm.flat().every((result) => result.ok)).toBe(true);

      dependencyUp = false;
      onTestFinished(() => void (dependencyUp = true));
      const downAt = Date.now();
      // Each instance calls until a call fails fast (a failing call waits for its healing run first).
      const reached = await Promise.all(apps.map((app) => app.until(operation, true, WINDOW_MS + 10_000)));
      expect(reached.every((outcome) => outcome.reached)).toBe(true);
      const opened = await view(operation);
      expect(opened.since - downAt).toBeLessThan(WINDOW_MS);
      expect(['open', 'half-open']).toContain(opened.state);
      expect(opened.openings).toBe(1);
      expect(opened.window.failingInstances).toBeGreaterThanOrEqual(2);

      // Open: every call fails fast, with the time of the next probe; the dependency only sees probes.
      const directBefore = requests(operation, 'call');
      const fastFailed = (await Promise.all(apps.map((app) => app.calls(operation, 10)))).flat();
      expect(fastFailed.every((result) => !result.ok && result.open)).toBe(true);
      expect(fastFailed.every((result) => !result.ok && result.open && result.retryAt !== undefined)).toBe(true);
      expect(Math.max(...fastFailed.map((result) => result.ms))).toBeLessThan(100);
      // Still down: a probe fails, it opens again for longer; one dependency request per probe.
      const probed = await until(
        async () => {
          const current = await view(operation);
          return current.failedProbes >= 1 && current.state === 'open' && current;
        },
        'a failed probe',
        20_000,
      );
      expect(probed.retryAt! - probed.lastProbe!.at).toBeGreaterThanOrEqual(2 * OPEN_MS - 500);
      expect(requests(operation, 'activity')).toBe(probed.probes);
      expect(requests(operation, 'call')).toBe(directBefore);

      // Back up: the next probe closes it, and every instance lets calls through within a second.
      dependencyUp = true;
      await until(async () => (await view(operation)).state === 'closed', 'closed after a good probe', 20_000);
      const closedSeenAt = Date.now();
      const reopened = await Promise.all(apps.map((app) => app.until(operation, false, 5_000)));
      for (const outcome of reopened) {
        expect(outcome.reached).toBe(true);
        expect(outcome.results.at(-1)).toMatchObject({ ok: true });
      }
      expect(Date.now() - closedSeenAt).toBeLessThan(1_500);
      const closed = await view(operation);
      expect(closed.lastProbe).toMatchObject({ ok: true });
      expect(requests(operation, 'activity')).toBe(closed.probes);
      expect(closed.rejected).toBeGreaterThanOrEqual(30);

      // One alert on open, one notice on close; the fast-failed calls are in the audit trail.
      await until(async () => {
        const texts = resend.delivered.map((email) => `${email.subject}\n${email.text ?? ''}`);
        return (
          texts.some((text) => text.includes(`circuit breaker breaker:${operation} opened`)) &&
          texts.some((text) => text.includes(`Recovered: ${operation}`))
        );
      }, 'the open alert and the close notice');
      await until(
        async () => {
          const [recorded] = await database.handle.db
            .select({ n: count() })
            .from(healingEvents)
            .where(and(eq(healingEvents.operation, operation), eq(healingEvents.result, 'breaker-open')));
          return recorded!.n >= 30;
        },
        'the fast-failed calls recorded',
        20_000,
      );
    },
  );

  it('does not open for the others when only one partitioned instance fails', { timeout: 120_000 }, async () => {
    const operation = 'quote.partition';
    // The healthy instances serve traffic all along (and report it every few seconds).
    const healthy = apps.slice(0, 2).map((app) => app.calls(operation, 15, 1_000));
    await until(
      async () => (await view(operation)).window.instances.length === 2,
      'two healthy instances in the window',
    );
    await apps[2]!.partition(true);
    try {
      // The cut-off instance fails more calls than the others make: the overall rate passes the threshold.
      const cutOff = await apps[2]!.calls(operation, 40, 0, true);
      expect(cutOff.every((result) => !result.ok && !result.open)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // its last report
      const current = await view(operation);
      expect(current.window.failureRate).toBeGreaterThanOrEqual(0.5);
      expect(current.window).toMatchObject({ failingInstances: 1, requiredQuorum: 2 });
      expect(current.window.instances).toHaveLength(3);
      expect(current.state).toBe('closed');
      expect((await Promise.all(healthy)).flat().every((result) => result.ok)).toBe(true);
    } finally {
      await apps[2]!.partition(false);
    }
  });

  it(
    'keeps its state across restarts of an instance and of the central worker; heal breakers opens and closes it',
    { timeout: 180_000 },
    async () => {
      const operation = 'quote.restart';
      const openedByHand = await healJson<BreakerView>(
        ['breakers', 'open', operation, '--reason', 'dependency maintenance'],
        healEnv,
      );
      expect(openedByHand).toMatchObject({ state: 'open', manual: { by: expect.any(String) } });
      expect(openedByHand.reason).toContain('dependency maintenance');
      // Instances that never saw it find it within their slow poll, then fail fast.
      const found = await Promise.all(apps.map((app) => app.until(operation, true, 8_000)));
      expect(found.every((outcome) => outcome.reached)).toBe(true);

      await central.kill();
      await apps[0]!.kill();
      // The worker is down: the state is still read (from the server) and calls still fail fast.
      const whileDown = (await Promise.all(apps.slice(1).map((app) => app.calls(operation, 3)))).flat();
      expect(whileDown.every((result) => !result.ok && result.open)).toBe(true);
      apps[0] = await startAppProcess(appOptions);
      await startCentral();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await apps[0]!.calls(operation, 1)).toEqual([expect.objectContaining({ ok: false, open: true })]);
      expect(await view(operation)).toMatchObject({ state: 'open', manual: expect.anything() });

      const listed = await healJson<{ operation: string; view?: BreakerView }[]>(['breakers'], healEnv);
      expect(listed.find((row) => row.operation === operation)?.view).toMatchObject({ state: 'open' });
      const table = await heal(['breakers'], healEnv);
      expect(table.stdout).toMatch(new RegExp(`${operation.replace('.', '\\.')}\\s+open`));

      const closedByHand = await healJson<BreakerView>(
        ['breakers', 'close', operation, '--reason', 'maintenance over'],
        healEnv,
      );
      const closedAt = Date.now();
      expect(closedByHand.state).toBe('closed');
      const through = await Promise.all(apps.map((app) => app.until(operation, false, 5_000)));
      expect(through.every((outcome) => outcome.reached && outcome.results.at(-1)?.ok)).toBe(true);
      expect(Date.now() - closedAt).toBeLessThan(1_500);
      const refused = await heal(['breakers', 'close', 'no.such.operation', '--reason', 'x'], healEnv);
      expect(refused.code).toBe(1);
    },
  );
});
