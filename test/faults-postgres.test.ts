// Fault: PostgreSQL unreachable during healing runs. The central worker reaches the real test
// database through a TCP proxy on 127.0.0.1 that the test cuts (every connection reset, new
// ones refused) and restores. The activities keep retrying while it is cut; once it is back,
// every event, attempt, outcome and learned pattern is written, exactly once. A caller whose run
// waits on the database is answered at its deadline with its original error (docs/architecture.md:
// "during a database outage a run waits and loses nothing; its caller gets the original error at its deadline").
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import pg from 'pg';
import { SelfHealing } from '../client/self-healing.js';
import type { HealingSummary } from '../common/healing-contract.js';
import { getHealingEvents, getHealingPatterns, openDatabase, type DatabaseHandle } from '../db/index.js';
import { createCentralWorker } from '../workers/worker.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { connectNative, workflowBundle } from './support/system.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { connectToDevServer } from './support/temporal.js';

let client: Client;
let native: NativeConnection;
let testDb: TestDatabase;
/** Direct connections for the test's own counts. */
let direct: pg.Pool;
let proxy: TcpProxy;
/** The central worker's database: through the proxy. */
let proxied: DatabaseHandle;
let healer: SelfHealing;
const workers: Worker[] = [];
const running: Array<Promise<void>> = [];

beforeAll(async () => {
  const dev = await connectToDevServer();
  client = dev.client;
  native = await connectNative(dev.address);
  testDb = await createTestDatabase('postgres'); // migrated, reached directly: the test's own view
  direct = new pg.Pool({ connectionString: testDb.url, max: 2 });
  const target = new URL(testDb.url!);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  proxied = await openDatabase({ databaseUrl: proxy.via(testDb.url!), poolMax: 5 });
  const taskQueue = `faults-pg-${randomUUID().slice(0, 8)}`;
  healer = new SelfHealing(client, { taskQueue, appTaskQueue: `${taskQueue}-app`, workerConnection: native });
  workers.push(
    await createCentralWorker({
      connection: native,
      namespace: client.options.namespace,
      taskQueue,
      workflowBundle: await workflowBundle(),
      db: proxied.db,
      database: proxied,
    }),
  );
});

afterAll(async () => {
  proxy?.restore(); // a failed test must not leave the workers retrying forever
  for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  await Promise.all(running);
  await proxied?.close();
  await direct?.end();
  await proxy?.close();
  await testDb?.drop();
  await native?.close();
});

/** Starts the workers once the operations are registered (the app worker serves what is registered then). */
async function startWorkers(): Promise<void> {
  if (running.length > 0) return;
  workers.push(await healer.createWorker());
  for (const worker of workers) running.push(worker.run());
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (;;) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (workers.some((worker) => worker.getState() === 'FAILED'))
      throw new Error(`a worker failed while waiting for ${what}`);
  }
}

/** The events of an operation once every run of it has closed (read directly, not through the proxy). */
async function settledEvents(operation: string, expected: number) {
  let rows: Awaited<ReturnType<typeof getHealingEvents>>['rows'] = [];
  await until(async () => {
    rows = (await getHealingEvents(testDb.handle.db, { operation })).rows;
    return rows.length >= expected;
  }, `${expected} events of ${operation}`);
  const summaries = await Promise.all(
    rows.map((row) => client.workflow.getHandle(row.workflowId!).result() as Promise<HealingSummary>),
  );
  return { rows: (await getHealingEvents(testDb.handle.db, { operation })).rows, summaries };
}

async function countRows(sql: string, params: unknown[]): Promise<number> {
  const { rows } = await direct.query<{ n: string }>(sql, params);
  return Number(rows[0]!.n);
}

function expectCompleteRecord(row: Awaited<ReturnType<typeof settledEvents>>['rows'][number]) {
  expect(row.result).toBe('healed');
  expect(row.strategy).toBe('RETRY_WITH_BACKOFF');
  expect(row.category).not.toBeNull();
  expect(row.diagnosisSource).not.toBeNull();
  expect(row.attemptLog).toHaveLength(1);
  expect(row.attemptLog[0]).toMatchObject({ strategy: 'RETRY_WITH_BACKOFF', result: 'healed' });
  expect(row.healingDurationMs).not.toBeNull();
  expect(row.resolvedAt).not.toBeNull();
}

describe('PostgreSQL unreachable', () => {
  it('when failures happen: the analysis and records retry until it is back, then every event is written once', async () => {
    const failedOnce = new Set<number>();
    const lookup = healer.withSelfHealing(
      'faults.pg.down-before',
      async (id: number) => {
        if (!failedOnce.has(id)) {
          failedOnce.add(id);
          throw Object.assign(new Error(`read ECONNRESET 10.0.3.${id}:443`), { code: 'ECONNRESET' });
        }
        return `value ${id}`;
      },
      { allowedStrategies: ['RETRY_WITH_BACKOFF'] },
    );
    await startWorkers();

    proxy.cut();
    const mark = proxy.refused;
    const ids = [1, 2, 3, 4, 5];
    const calls = ids.map((id) => lookup(id));
    // The worker keeps trying the database while it is unreachable: each refusal is one attempt, and
    // the first attempts of the 5 runs' analysis and occurrence record are 10, so 15 means retries.
    await until(() => proxy.refused - mark >= 15, 'the activities to retry against the cut database');
    expect(
      await countRows(`select count(*) as n from healing_events where operation = $1`, ['faults.pg.down-before']),
    ).toBe(0);
    proxy.restore();

    await expect(Promise.all(calls)).resolves.toEqual(ids.map((id) => `value ${id}`));
    const { rows, summaries } = await settledEvents('faults.pg.down-before', ids.length);
    expect(rows).toHaveLength(ids.length);
    expect(summaries.every((summary) => summary.result === 'healed')).toBe(true);
    rows.forEach(expectCompleteRecord);
    // Exactly once: one row per run, one counted outcome per attempt, however often the writes were retried.
    const signature = rows[0]!.signature;
    expect(new Set(rows.map((row) => row.signature))).toEqual(new Set([signature]));
    const [pattern] = await getHealingPatterns(testDb.handle.db, { signature });
    expect(pattern).toMatchObject({ strategy: 'RETRY_WITH_BACKOFF', successCount: ids.length, failureCount: 0 });
    expect(
      await countRows(
        `select count(*) as n from learned_outcomes where outcome_id like 'heal-faults.pg.down-before%'`,
        [],
      ),
    ).toBe(ids.length);
  });

  /** An operation that fails once, and whose successful re-run cuts the database (right after the diagnosis was recorded). */
  function cutsDatabaseOnRerun(operation: string, waitForHealingMs?: number) {
    let calls = 0;
    const wrapped = healer.withSelfHealing(
      operation,
      async (orderId: number) => {
        calls++;
        if (calls === 1)
          throw Object.assign(new Error(`socket hang up charging order ${orderId}`), { code: 'ECONNRESET' });
        proxy.cut();
        return `charged ${orderId}`;
      },
      { allowedStrategies: ['RETRY_WITH_BACKOFF'], waitForHealingMs },
    );
    return { wrapped, reruns: () => calls - 1 };
  }

  it('in the middle of a run: once the database is back, every event of the run is written once', async () => {
    const { wrapped, reruns } = cutsDatabaseOnRerun('faults.pg.down-during');
    await startWorkers();
    const mark = proxy.refused;
    const result = wrapped(42);
    await until(() => reruns() >= 1 && proxy.refused - mark >= 3, 'the records to retry against the cut database');
    proxy.restore();
    await expect(result).resolves.toBe('charged 42');

    const { rows, summaries } = await settledEvents('faults.pg.down-during', 1);
    expect(rows).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ result: 'healed', strategy: 'RETRY_WITH_BACKOFF' });
    expectCompleteRecord(rows[0]!);
    const [pattern] = await getHealingPatterns(testDb.handle.db, { signature: rows[0]!.signature });
    expect(pattern).toMatchObject({ successCount: 1, failureCount: 0 });
  });

  it('in the middle of a run: the caller gets the healed value at once, and the run finishes once the database is back', async () => {
    // workflows/healing.ts answers the caller before the outcome's records (local activities,
    // awaited in order in the next workflow task): a database cut after the re-run delays the
    // audit trail, not the caller's value.
    const { wrapped, reruns } = cutsDatabaseOnRerun('faults.pg.caller-deadline', 3_000);
    await startWorkers();
    const mark = proxy.refused;
    const started = Date.now();
    await expect(wrapped(7)).resolves.toBe('charged 7');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(reruns()).toBeGreaterThanOrEqual(1);
    expect(proxy.isCut).toBe(true);
    await until(() => proxy.refused - mark >= 2, 'the outcome records to retry against the cut database');
    expect(
      await countRows(`select count(*) as n from healing_events where operation = $1 and resolved_at is not null`, [
        'faults.pg.caller-deadline',
      ]),
    ).toBe(0);
    proxy.restore();
    const { rows } = await settledEvents('faults.pg.caller-deadline', 1);
    expect(rows[0]!.result).toBe('healed');
    expectCompleteRecord(rows[0]!);
  });
});
