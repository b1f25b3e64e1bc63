// Records real histories of the healing workflow into test/histories/*.json for the replay test
// (test/replay.unit.test.ts). Run it after a deliberate, compatible change to the workflow, or to add
// a scenario:   npx tsx test/support/record-histories.ts [scenario…]
// It starts its own headless dev server and an in-memory database, runs each scenario through
// the real client, workers and operator actions, and exports each run with the CLI's exporter.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { decideApproval } from '../../cli/operator/approval.js';
import { controlBreaker } from '../../cli/operator/breakers.js';
import { cancelRun } from '../../cli/operator/control.js';
import { CircuitOpenError } from '../../client/circuit-breaker.js';
import { breakerViewQuery, breakerWorkflowId } from '../../common/circuit-breaker/contract.js';
import { exportHistory } from '../../cli/operator/replay.js';
import { OperationQueuedError } from '../../client/self-healing.js';
import { healingStateQuery } from '../../common/healing-contract.js';
import { startDevServer } from '../../lib/dev-server.js';
import { healthCheckWorkflow, type HealthCheckSummary } from '../../workflows/health-check.js';
import { occurrenceLogWorkflow } from '../../workflows/occurrence-log.js';
import { retentionWorkflow } from '../../workflows/retention.js';
import type { JoinedOccurrence } from '../../common/occurrence-log-contract.js';
import { sendToOccurrenceLog } from './occurrence-log.js';
import { occurrenceLogWorkflowId } from '../../client/workflow-ids.js';
import { freePort } from '../../lib/free-port.js';
import { PROJECT_ROOT } from './heal-cli.js';
// Type only: system.ts installs the SDK runtime's logger on import, which the replay test sets itself.
import type { TestSystem } from './system.js';

export const HISTORIES_DIR = path.join(PROJECT_ROOT, 'test', 'histories');

type Scenario = (system: TestSystem, client: Client) => Promise<string>;

/** The health checks' target: `/up` answers 200, `/down` 503. */
let serviceUrl = '';

async function runHealthChecks(
  system: TestSystem,
  client: Client,
  label: string,
  checks: string[],
  heal: boolean,
): Promise<HealthCheckSummary> {
  return client.workflow.execute(healthCheckWorkflow, {
    taskQueue: system.taskQueue,
    workflowId: `health-check-${label}`,
    args: [{ checks, heal, healingTiming: { maximumAttempts: 1 } }],
  });
}

function networkError(message = 'read ECONNRESET'): Error {
  return Object.assign(new Error(message), { code: 'ECONNRESET' });
}

function deadlock(): Error {
  return Object.assign(new Error('deadlock detected while saving the order'), { code: '40P01' });
}

async function finished(client: Client, workflowId: string): Promise<string> {
  await client.workflow
    .getHandle(workflowId)
    .result()
    .catch(() => undefined);
  return workflowId;
}

async function waitForPhase(client: Client, workflowId: string, phase: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await client.workflow
      .getHandle(workflowId)
      .query(healingStateQuery)
      .catch(() => undefined);
    if (state?.phase === phase) return;
    if (Date.now() > deadline) throw new Error(`${workflowId} never reached phase ${phase}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function approvalOperation(system: TestSystem, name: string, approvalTimeoutMs?: number): void {
  let rolledBack = false;
  system.healer.withSelfHealing(
    name,
    async () => {
      if (!rolledBack) throw deadlock();
      return 'saved';
    },
    {
      allowedStrategies: ['ROLLBACK_TRANSACTION', 'SKIP_OPERATION'],
      critical: false,
      requiresApproval: ['ROLLBACK_TRANSACTION'],
      hooks: { rollback: () => (rolledBack = true) },
      ...(approvalTimeoutMs ? { timing: { approvalTimeoutMs } } : {}),
    },
  );
}

/** Each returns the workflow id of the run to record, once that run has closed. */
export const SCENARIOS: Record<string, Scenario> = {
  'healing-retry-healed': async (system, client) => {
    let calls = 0;
    const getUser = system.healer.withSelfHealing(
      'users.get',
      async (id: string) => {
        if (++calls <= 2) throw networkError();
        return { id };
      },
      { allowedStrategies: ['RETRY_WITH_BACKOFF'] },
    );
    await getUser('u-1');
    return finished(client, await onlyRun(system, 'users.get'));
  },

  'healing-recurring-alerted': async (system, client) => {
    let failNext = true;
    const quote = system.healer.withSelfHealing(
      'quotes.get',
      async () => {
        if (!failNext) return 'quote';
        failNext = false;
        throw networkError();
      },
      { allowedStrategies: ['RETRY_WITH_BACKOFF'] },
    );
    await quote();
    const healed = await finished(client, await onlyRun(system, 'quotes.get'));
    failNext = true; // back within the window: the retry's heal did not hold, this run alerts
    await quote();
    const { getHealingEvents } = await import('../../db/index.js');
    const { rows } = await getHealingEvents(system.database.db, { operation: 'quotes.get' });
    return finished(client, rows.find((row) => row.workflowId !== healed)!.workflowId!);
  },

  // A fault the client knows (what earlier runs of it told it): planned at once, one record after the outcome.
  'healing-known-fault-healed': async (system, client) => {
    let failNext = false;
    const runs: string[] = [];
    system.healer.onCallOutcome((event) => event.operation === 'prices.get' && runs.push(event.healingWorkflowId!));
    const getPrice = system.healer.withSelfHealing(
      'prices.get',
      async (sku: string) => {
        if (failNext) {
          failNext = false;
          throw networkError(`read ECONNRESET 10.0.0.${sku.length}:443`);
        }
        return { sku, price: 10 };
      },
      // Heals checked for 1 ms only: each call's fault is outside its predecessor's watch window.
      { allowedStrategies: ['RETRY_WITH_BACKOFF'], recurrenceWindowMs: 1 },
    );
    // Learned confidently after two heals (2 of 3): the third call's run plans from what it was told.
    for (const sku of ['a', 'bb', 'ccc']) {
      failNext = true;
      await getPrice(sku);
      await finished(client, runs.at(-1)!);
    }
    return runs.at(-1)!;
  },

  'healing-rate-limit-healed': async (system, client) => {
    let calls = 0;
    const search = system.healer.withSelfHealing(
      'search.query',
      async () => {
        if (++calls === 1)
          throw Object.assign(new Error('Too Many Requests'), { status: 429, headers: { 'retry-after': '1' } });
        return ['hit'];
      },
      { allowedStrategies: ['RATE_LIMIT_BACKOFF'] },
    );
    await search();
    return finished(client, await onlyRun(system, 'search.query'));
  },

  'healing-escalated-to-default': async (system, client) => {
    const recommend = system.healer.withSelfHealing(
      'recommendations.list',
      async () => {
        throw networkError();
      },
      {
        allowedStrategies: ['RETRY_WITH_BACKOFF', 'USE_DEFAULT_VALUE'],
        defaultValue: ['bestsellers'],
        timing: { maximumAttempts: 2 },
      },
    );
    await recommend();
    return finished(client, await onlyRun(system, 'recommendations.list'));
  },

  'healing-queued-then-healed': async (system, client) => {
    let calls = 0;
    const send = system.healer.withSelfHealing(
      'email.send',
      async () => {
        if (++calls === 1) throw Object.assign(new Error('SMTP 503 service unavailable'), { status: 503 });
        return 'sent';
      },
      { allowedStrategies: ['QUEUE_FOR_LATER'], queueForLater: true, timing: { queueDelayMs: 500 } },
    );
    const queued = (await send().catch((error: unknown) => error)) as OperationQueuedError;
    if (!(queued instanceof OperationQueuedError)) throw new Error('email.send was not queued');
    return finished(client, queued.healingWorkflowId);
  },

  'healing-cancelled-while-queued': async (system, client) => {
    const send = system.healer.withSelfHealing(
      'sms.send',
      async () => {
        throw Object.assign(new Error('SMS gateway 503'), { status: 503 });
      },
      { allowedStrategies: ['QUEUE_FOR_LATER'], queueForLater: true, timing: { queueDelayMs: 60 * 60_000 } },
    );
    const queued = (await send().catch((error: unknown) => error)) as OperationQueuedError;
    if (!(queued instanceof OperationQueuedError)) throw new Error('sms.send was not queued');
    await cancelRun(client, undefined, queued.healingWorkflowId);
    return finished(client, queued.healingWorkflowId);
  },

  'healing-permanent-failure': async (system, client) => {
    const save = system.healer.withSelfHealing(
      'profile.save',
      async () => {
        throw Object.assign(new Error('email is not valid'), { name: 'ValidationError', status: 422 });
      },
      { critical: true },
    );
    await save().catch(() => undefined);
    return finished(client, await onlyRun(system, 'profile.save'));
  },

  'healing-reported-only': async (system, client) => {
    const workflowId = system.healer.captureError(
      new TypeError("Cannot read properties of undefined (reading 'total')"),
      {
        operation: 'cart.render',
      },
    );
    if (!workflowId) throw new Error('captureError started nothing');
    await waitForStart(client, workflowId);
    return finished(client, workflowId);
  },

  'healing-approval-approved': async (system, client) => {
    approvalOperation(system, 'orders.save');
    const handle = await system.healer.startHealing('orders.save', ['order-1'], deadlock());
    await waitForPhase(client, handle.workflowId, 'awaiting-approval');
    await decideApproval(client, handle.workflowId, { approved: true, by: 'recorder', reason: 'recorded scenario' });
    return finished(client, handle.workflowId);
  },

  'healing-approval-rejected': async (system, client) => {
    approvalOperation(system, 'orders.refund');
    const handle = await system.healer.startHealing('orders.refund', ['order-2'], deadlock());
    await waitForPhase(client, handle.workflowId, 'awaiting-approval');
    await decideApproval(client, handle.workflowId, { approved: false, by: 'recorder', reason: 'recorded scenario' });
    return finished(client, handle.workflowId);
  },

  'healing-approval-timed-out': async (system, client) => {
    approvalOperation(system, 'orders.cancel', 1_000);
    const handle = await system.healer.startHealing('orders.cancel', ['order-3'], deadlock());
    return finished(client, handle.workflowId);
  },

  'health-check-healthy': async (system, client) => {
    const summary = await runHealthChecks(system, client, 'healthy', ['http:up'], true);
    if (summary.overall !== 'healthy') throw new Error(`expected a healthy cycle, got ${summary.overall}`);
    return summary.workflowId;
  },

  'health-check-unhealthy-alerted': async (system, client) => {
    const summary = await runHealthChecks(system, client, 'unhealthy', ['http:down'], true);
    if (summary.overall !== 'unhealthy' || summary.healingWorkflowIds.length !== 1 || summary.alerts.length !== 1) {
      throw new Error(`expected an unhealthy cycle with one healing run and one alert: ${JSON.stringify(summary)}`);
    }
    await finished(client, summary.healingWorkflowIds[0]!);
    return summary.workflowId;
  },

  'occurrence-log-recorded': async (system, client) => {
    const operation = 'payments.charge';
    const signature = 'a1b2c3d4e5f6storm';
    const workflowId = occurrenceLogWorkflowId(operation, signature);
    const occurrence = (n: number): JoinedOccurrence => ({
      eventKey: `heal-payments.charge-a1b2c3d4-${n}`,
      result: 'joined',
      healingWorkflowId: 'heal-payments.charge-a1b2c3d4-0',
      error: { name: 'Error', message: 'connect ECONNREFUSED 10.0.0.7:443', code: 'ECONNREFUSED' },
      detectedAt: new Date().toISOString(),
    });
    const send = (batch: JoinedOccurrence[]) =>
      sendToOccurrenceLog(client, system.taskQueue, { operation, signature, idleMs: 2_000 }, batch);
    await send([occurrence(1), occurrence(2)]);
    await send([occurrence(3)]);
    const { recorded } = await client.workflow.getHandle<typeof occurrenceLogWorkflow>(workflowId).result();
    if (recorded !== 3) throw new Error(`the occurrence log recorded ${recorded} occurrences, expected 3`);
    return workflowId;
  },

  'retention-pruned': async (system, client) => {
    const { createHealthCheck, recordHealingEvent } = await import('../../db/index.js');
    const longAgo = new Date(Date.now() - 400 * 86_400_000);
    for (const n of [1, 2, 3]) {
      await recordHealingEvent(system.database.db, {
        eventKey: `retention-old-${n}`,
        operation: 'orders.load',
        errorClass: 'Error',
        errorMessage: 'read ECONNRESET',
        signature: 'sig-retention',
        detectedAt: longAgo,
      });
    }
    await createHealthCheck(system.database.db, { checkName: 'database', status: 'healthy', checkedAt: longAgo });
    const workflowId = 'retention-recorded';
    const summary = await client.workflow.execute(retentionWorkflow, {
      taskQueue: system.taskQueue,
      workflowId,
      args: [{ keepMs: { healing_events: 90 * 86_400_000, system_health_checks: 30 * 86_400_000 }, batchSize: 2 }],
    });
    if (summary.healing_events?.deleted !== 3 || summary.system_health_checks?.deleted !== 1) {
      throw new Error(`expected 3 events and 1 health row pruned: ${JSON.stringify(summary)}`);
    }
    return workflowId;
  },

  'circuit-breaker-opened-probed-closed': async (system, client) => {
    // One instance (quorum 1): it opens on failures, a probe fails while the dependency is down,
    // the next one closes it; then an operator holds it open and closes it by hand.
    let up = false;
    const quote = system.healer.withSelfHealing(
      'quotes.recorded',
      async () => {
        if (!up) throw Object.assign(new Error('quote service answered HTTP 503'), { status: 503 });
        return 42;
      },
      {
        allowedStrategies: [],
        waitForHealingMs: 1_000,
        circuitBreaker: { minimumCalls: 3, quorum: 1, windowMs: 5_000, openMs: 1_000 },
      },
    );
    const workflowId = breakerWorkflowId('quotes.recorded');
    const view = () => client.workflow.getHandle(workflowId).query(breakerViewQuery);
    const deadline = Date.now() + 60_000;
    while (
      !(await quote().then(
        () => false,
        (error: unknown) => error instanceof CircuitOpenError,
      ))
    ) {
      if (Date.now() > deadline) throw new Error('the breaker did not open');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (;;) {
      const current = await view();
      if (current.failedProbes >= 1 && current.state === 'open') break;
      if (Date.now() > deadline) throw new Error('no failed probe');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    up = true;
    while ((await view()).state !== 'closed') {
      if (Date.now() > deadline) throw new Error('the breaker did not close');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const control = (action: 'open' | 'close') =>
      controlBreaker(client, { operation: 'quotes.recorded', action, reason: 'recorded', taskQueue: system.taskQueue });
    await control('open');
    await control('close');
    return workflowId;
  },

  'healing-started-by-health-check': async (system, client) => {
    const summary = await runHealthChecks(system, client, 'proactive', ['http:down'], true);
    const [healingWorkflowId] = summary.healingWorkflowIds;
    if (!healingWorkflowId) throw new Error(`the unhealthy check started no healing run: ${JSON.stringify(summary)}`);
    return finished(client, healingWorkflowId);
  },
};

async function startService(): Promise<Server> {
  const server = createServer((request, response) => {
    response.writeHead(request.url === '/up' ? 200 : 503, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ ok: request.url === '/up' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serviceUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return server;
}

async function onlyRun(system: TestSystem, operation: string): Promise<string> {
  const { getHealingEvents } = await import('../../db/index.js');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { rows } = await getHealingEvents(system.database.db, { operation });
    if (rows.length === 1 && rows[0]!.workflowId) return rows[0]!.workflowId;
    if (rows.length > 1) throw new Error(`${operation} has ${rows.length} runs, expected one`);
    if (Date.now() > deadline) throw new Error(`no healing run of ${operation}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function waitForStart(client: Client, workflowId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const started = await client.workflow
      .getHandle(workflowId)
      .describe()
      .then(() => true)
      .catch(() => false);
    if (started) return;
    if (Date.now() > deadline) throw new Error(`${workflowId} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function main(wanted: string[]): Promise<void> {
  const unknown = wanted.filter((name) => !(name in SCENARIOS));
  if (unknown.length)
    throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  const names = wanted.length ? wanted : Object.keys(SCENARIOS);
  // Before any connection: importing system.ts installs the SDK runtime's logger.
  const { startTestSystem } = await import('./system.js');
  const server = await startDevServer({ port: await freePort() });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const native = await NativeConnection.connect({ address: server.address });
  const service = await startService();
  const system = await startTestSystem({
    client,
    connection: native,
    database: 'pglite',
    activities: {
      health: {
        timeoutMs: 3_000,
        alertAfterFailures: 1,
        http: [
          { name: 'up', url: `${serviceUrl}/up` },
          { name: 'down', url: `${serviceUrl}/down` },
        ],
        sendAlert: async () => ({ sent: true, detail: 'recorded' }),
      },
    },
  });
  try {
    mkdirSync(HISTORIES_DIR, { recursive: true });
    for (const name of names) {
      const workflowId = await SCENARIOS[name]!(system, client);
      const file = path.join(HISTORIES_DIR, `${name}.json`);
      writeFileSync(file, `${await exportHistory(client, workflowId)}\n`);
      console.log(`recorded ${name} (${workflowId}) → ${path.relative(PROJECT_ROOT, file)}`);
    }
  } finally {
    await system.stop();
    await native.close();
    await connection.close();
    await server.stop();
    await new Promise((resolve) => service.close(resolve));
  }
}

// Run as a script (not when the replay test reads the scenario names).
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main(process.argv.slice(2));
}
