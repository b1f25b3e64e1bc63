// Storm control on the application side, on the dev server: beyond its admission limits a
// failure waits for a run of its fault until its caller's deadline, then is recorded by the
// occurrence log (one workflow per signature) without a run of its own. Nothing is lost.
import { describe, expect, it } from 'vitest';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { SelfHealing, type HealingAnnotations } from '../client/self-healing.js';
import { occurrenceLogWorkflowId } from '../client/workflow-ids.js';
import { countHealingEvents, getHealingEvents } from '../db/index.js';
import { useTestSystem } from './support/use-test-system.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { sendToOccurrenceLog } from './support/occurrence-log.js';

const system = useTestSystem({ healer: { admission: { perSignature: 3 }, waitForHealingMs: 1_500 } });

/**
 * An operation whose first call for each argument fails with `error`; re-runs (by healing) of the
 * arguments `held` picks wait at the gate until the test opens it, so their runs stay in flight.
 */
function failsOnceThenHeld(error: () => Error, held: (n: number) => boolean = () => true) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let arrived = 0;
  const seen = new Set<number>();
  const operation = async (n: number): Promise<string> => {
    if (!seen.has(n)) {
      seen.add(n);
      throw error();
    }
    if (held(n)) {
      arrived++;
      await opened;
    }
    return `done ${n}`;
  };
  return { operation, open, arrivals: () => arrived };
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a storm beyond the admission limits', () => {
  it('runs at most perSignature healings of one fault; the others are recorded by the occurrence log', async () => {
    const reruns = failsOnceThenHeld(() =>
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:443'), { code: 'ECONNREFUSED' }),
    );
    const charge = system.healer.withSelfHealing('storm.charge', reruns.operation, {
      allowedStrategies: ['RETRY_WITH_BACKOFF'],
    });

    const calls = Array.from({ length: 10 }, (_, order) =>
      charge(order).then(
        (value) => ({ value }),
        (error: unknown) => ({ error: error as Error & HealingAnnotations }),
      ),
    );
    // Three runs reach their re-run and hold there; nobody else gets a run before the deadline,
    // when each run answers its caller with its error and starts no try after it.
    await until(() => reruns.arrivals() === 3, 'three re-runs');
    const outcomes = await Promise.all(calls);
    reruns.open();

    const byOutcome = (status: string) =>
      outcomes.filter((outcome) => 'error' in outcome && outcome.error.healingOutcome === status);
    expect(byOutcome('failed')).toHaveLength(3);
    const joined = byOutcome('joined');
    expect(joined).toHaveLength(7);
    const runIds = byOutcome('failed').map((outcome) =>
      'error' in outcome ? outcome.error.healingWorkflowId : undefined,
    );
    for (const outcome of joined) expect(runIds).toContain('error' in outcome && outcome.error.healingWorkflowId);
    // The joined callers still got their own error, not a wrapper.
    expect(
      joined.every((outcome) => 'error' in outcome && outcome.error.message === 'connect ECONNREFUSED 10.0.0.7:443'),
    ).toBe(true);

    // All ten occurrences are in the audit trail: three failed at their callers' deadline, seven joined to them.
    let events: Awaited<ReturnType<typeof getHealingEvents>>['rows'] = [];
    await until(async () => {
      events = (await getHealingEvents(system.database.db, { operation: 'storm.charge', limit: 50 })).rows;
      return events.length === 10 && events.every((event) => event.result !== 'pending');
    }, 'ten settled events');
    const results = events.map((event) => event.result).sort();
    expect(results).toEqual([...Array(3).fill('failed'), ...Array(7).fill('joined')].sort());
    expect(new Set(events.map((event) => event.signature)).size).toBe(1);
    for (const event of events.filter((row) => row.result === 'joined')) {
      expect(runIds).toContain(event.workflowId);
      expect(event.errorMessage).toBe('connect ECONNREFUSED 10.0.0.7:443');
      expect(event.resolvedAt).toBeInstanceOf(Date);
    }

    // One occurrence log for the signature, findable in the UI by its search attributes.
    const logId = occurrenceLogWorkflowId('storm.charge', events[0]!.signature);
    const description = await system.client.workflow.getHandle(logId).describe();
    expect(description.type).toBe('occurrenceLogWorkflow');
    expect(description.typedSearchAttributes.get({ name: 'HealingOperation', type: 'KEYWORD' } as never)).toBe(
      'storm.charge',
    );
    await system.client.workflow.getHandle(logId).terminate('test done');
  });

  it('gives the freed room to the next waiting failure of the fault (first come, first served)', async () => {
    const reruns = failsOnceThenHeld(
      () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      (n) => n < 3,
    );
    const fetchRate = system.healer.withSelfHealing('storm.rates', reruns.operation, {
      allowedStrategies: ['RETRY_WITH_BACKOFF'],
      waitForHealingMs: 20_000,
    });
    const first = [0, 1, 2].map((n) => fetchRate(n));
    await until(() => reruns.arrivals() === 3, 'three held re-runs');
    const waiting = fetchRate(3);
    reruns.open();
    await expect(Promise.all([...first, waiting])).resolves.toEqual(['done 0', 'done 1', 'done 2', 'done 3']);
  });

  it('heals the calls beyond the limits with the remedy their fault’s run found, and records them healed', async () => {
    const reruns = failsOnceThenHeld(
      () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      (n) => n < 3,
    );
    const quote = system.healer.withSelfHealing('storm.quote', reruns.operation, {
      allowedStrategies: ['RETRY_WITH_BACKOFF'],
      waitForHealingMs: 20_000,
    });
    const calls = Array.from({ length: 10 }, (_, n) => quote(n));
    await until(() => reruns.arrivals() === 3, 'three held re-runs');
    reruns.open();
    await expect(Promise.all(calls)).resolves.toEqual(Array.from({ length: 10 }, (_, n) => `done ${n}`));

    let events: Awaited<ReturnType<typeof getHealingEvents>>['rows'] = [];
    await until(async () => {
      events = (await getHealingEvents(system.database.db, { operation: 'storm.quote', limit: 50 })).rows;
      return events.length === 10 && events.every((event) => event.result === 'healed');
    }, 'ten healed events');
    expect(events.every((event) => event.strategy === 'RETRY_WITH_BACKOFF')).toBe(true);
    expect(events.filter((event) => event.context?.joinedRun)).toHaveLength(7);
  });

  it(
    'records a failure whose run could not be started (Temporal unreachable) once the server is back',
    { timeout: 120_000 },
    async () => {
      const [host, port] = system.address.split(':');
      const proxy = await startTcpProxy({ host: host!, port: Number(port) });
      // The application's own connection to Temporal, through the proxy; few gRPC retries keep the test short.
      const appConnection = await Connection.connect({
        address: `127.0.0.1:${proxy.port}`,
        interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 2 }))],
      });
      const app = new SelfHealing(new Client({ connection: appConnection }), {
        taskQueue: system.taskQueue,
        appTaskQueue: `${system.taskQueue}-cut-off`,
      });
      try {
        const send = app.withSelfHealing('storm.unreachable', async () => {
          throw Object.assign(new Error('SMTP 421 too many connections'), { code: 'ESMTP' });
        });
        proxy.cut();
        const error = (await send().catch((thrown: unknown) => thrown)) as Error & HealingAnnotations;
        expect(error.message).toBe('SMTP 421 too many connections');
        expect(error.healingOutcome).toBe('not-started');
        // The occurrence log's batch is refused too while the server is unreachable, and kept.
        const mark = proxy.refused;
        await until(() => proxy.refused >= mark + 2, 'the occurrence batch to be refused');
        proxy.restore();
        let rows: Awaited<ReturnType<typeof getHealingEvents>>['rows'] = [];
        await until(
          async () => {
            rows = (await getHealingEvents(system.database.db, { operation: 'storm.unreachable' })).rows;
            return rows.length === 1;
          },
          'the occurrence to be recorded after the server came back',
          90_000,
        );
        expect(rows[0]).toMatchObject({
          result: 'not-started',
          workflowId: error.healingWorkflowId,
          errorMessage: 'SMTP 421 too many connections',
        });
        await system.client.workflow
          .getHandle(occurrenceLogWorkflowId('storm.unreachable', rows[0]!.signature))
          .terminate('test done');
      } finally {
        await app.close();
        await proxy.close();
      }
    },
  );

  it(
    'the occurrence log records a storm too big for one history: it continues as new, carrying what is pending',
    { timeout: 180_000 },
    async () => {
      const operation = 'storm.big';
      const signature = `sig-big-${Date.now()}`;
      const workflowId = occurrenceLogWorkflowId(operation, signature);
      const stack = `Error: connect ECONNREFUSED\n${'    at charge (/srv/app/payments.ts:42:11)\n'.repeat(40)}`.slice(
        0,
        2_000,
      );
      const batches = Array.from({ length: 24 }, (_, b) =>
        Array.from({ length: 100 }, (_, n) => ({
          eventKey: `${workflowId}-${b}-${n}`,
          result: 'joined' as const,
          error: {
            name: 'Error',
            message: `connect ECONNREFUSED 10.0.0.7:443 (order ${b * 100 + n}) ${'x'.repeat(400)}`,
            stack,
            code: 'ECONNREFUSED',
          },
          detectedAt: new Date().toISOString(),
        })),
      );
      // ~6 MB of signals at once, as from a storm in several processes: batches pile up in the log.
      await Promise.all(
        batches.map((batch) =>
          sendToOccurrenceLog(system.client, system.taskQueue, { operation, signature, idleMs: 1_000 }, batch),
        ),
      );
      const recorded = () => countHealingEvents(system.database.db, { operation });
      await until(async () => (await recorded()) === 2_400, 'all 2,400 occurrences recorded', 150_000);
      const runs: string[] = [];
      for await (const run of system.client.workflow.list({ query: `WorkflowId = "${workflowId}"` }))
        runs.push(run.runId);
      expect(runs.length).toBeGreaterThan(1); // it continued as new at least once
    },
  );
});
