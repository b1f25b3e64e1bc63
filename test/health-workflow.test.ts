// The health-check workflow on the suite's Temporal dev server with the central worker and a
// real PostgreSQL: one cycle records every check, a hung service is bounded by its timeout, a
// failing check starts a child healing workflow, and admins get exactly one alert after N
// consecutive failures, then one recovery notice.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { HealthAlert } from '../common/health-contract.js';
import { getSystemHealthStatus } from '../cli/operator/system-health.js';
import type { HealingSummary } from '../common/healing-contract.js';
import { OPERATION } from '../common/search-attributes.js';
import { getHealingEvents, getHealthChecks } from '../db/index.js';
import { createCentralWorker } from '../workers/worker.js';
import {
  healthCheckWorkflow,
  type HealthCheckSummary,
  type HealthCheckWorkflowInput,
} from '../workflows/health-check.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startFakeHttpServer, type FakeHttpServer } from './support/fake-http.js';
import { workflowBundle } from './support/system.js';
import { connectToDevServer } from './support/temporal.js';

const ALERT_AFTER = 2;
const taskQueue = `health-wf-${randomUUID().slice(0, 8)}`;

let client: Client;
let native: NativeConnection;
let testDb: TestDatabase;
let worker: Worker;
let running: Promise<void>;
let files: FakeHttpServer;
let hanging: FakeHttpServer;
let incident: FakeHttpServer;
let incidentDown = false;
let blip: FakeHttpServer;
const alerts: HealthAlert[] = [];

beforeAll(async () => {
  const dev = await connectToDevServer();
  client = dev.client;
  native = await NativeConnection.connect({ address: dev.address });
  testDb = await createTestDatabase('postgres');
  files = await startFakeHttpServer(() => ({ kind: 'json', body: { ok: true } }));
  hanging = await startFakeHttpServer(() => ({ kind: 'hang' }));
  incident = await startFakeHttpServer(() =>
    incidentDown ? { kind: 'json', status: 503, body: { error: 'maintenance' } } : { kind: 'json', body: { ok: true } },
  );
  blip = await startFakeHttpServer(() => ({ kind: 'json', body: { ok: true } }));
  worker = await createCentralWorker({
    connection: native,
    taskQueue,
    workflowBundle: await workflowBundle(),
    db: testDb.handle.db,
    database: testDb.handle,
    health: {
      timeoutMs: 3_000,
      alertAfterFailures: ALERT_AFTER,
      fileService: { url: `${files.url}/health` },
      http: [
        { name: 'hangs', url: `${hanging.url}/health`, timeoutMs: 300 },
        { name: 'incident', url: `${incident.url}/health` },
        { name: 'blip', url: `${blip.url}/health` },
      ],
      sendAlert: async (alert) => {
        alerts.push(alert);
        return { sent: true, detail: 'recorded by the test' };
      },
    },
  });
  running = worker.run();
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await native?.close();
  await Promise.all([files, hanging, incident, blip].map((server) => server?.close()));
  await testDb?.drop();
});

function runChecks(input: HealthCheckWorkflowInput, label: string): Promise<HealthCheckSummary> {
  return client.workflow.execute(healthCheckWorkflow, {
    taskQueue,
    workflowId: `health-check-${label}-${randomUUID().slice(0, 8)}`,
    args: [input],
  });
}

async function rowsOfRun(runId: string) {
  const rows = await getHealthChecks(testDb.handle.db, { limit: 1_000 });
  return rows.filter((row) => row.details?.healthRunId === runId);
}

describe('health-check workflow', () => {
  it('one cycle runs and records every check, skipped ones included', async () => {
    const summary = await runChecks({ heal: false }, 'cycle');
    const statuses = Object.fromEntries(summary.checks.map((check) => [check.name, check.status]));
    expect(statuses).toEqual({
      llm_api: 'skipped',
      database: 'healthy',
      email: 'skipped',
      sms: 'skipped',
      error_rate: 'healthy',
      memory: 'healthy',
      file_service: 'healthy',
      'http:hangs': 'unhealthy',
      'http:incident': 'healthy',
      'http:blip': 'healthy',
    });
    expect(summary.overall).toBe('unhealthy');
    expect(summary.healingWorkflowIds).toEqual([]);

    const rows = await rowsOfRun(summary.runId);
    expect(Object.fromEntries(rows.map((row) => [row.checkName, row.status]))).toEqual(statuses);
    expect(rows.every((row) => row.details?.healthWorkflowId === summary.workflowId)).toBe(true);
    expect(summary.checks.every((check) => typeof check.recordId === 'number')).toBe(true);

    const status = await getSystemHealthStatus(testDb.handle.db);
    expect(status.overall).toBe('unhealthy');
    expect(status.checks.find((check) => check.name === 'database')).toMatchObject({ status: 'healthy', stale: false });
  });

  it('a check against a service that hangs is bounded by its timeout', async () => {
    const summary = await runChecks({ checks: ['http:hangs'], heal: false }, 'hang');
    expect(summary.checks).toHaveLength(1);
    expect(summary.checks[0]).toMatchObject({
      name: 'http:hangs',
      status: 'unhealthy',
      error: 'timed out after 300 ms',
    });
    const [row] = await rowsOfRun(summary.runId);
    expect(row).toMatchObject({ checkName: 'http:hangs', status: 'unhealthy', error: 'timed out after 300 ms' });
    expect(row!.details).toMatchObject({ code: 'ETIMEDOUT', timeoutMs: 300 });
  });

  it('a failing check starts a child healing workflow that re-runs the check and heals', async () => {
    blip.enqueue({ kind: 'json', status: 503, body: { error: 'warming up' } });
    const summary = await runChecks({ checks: ['http:blip'], healingTiming: { maximumAttempts: 2 } }, 'blip');
    const [check] = summary.checks;
    expect(check).toMatchObject({ name: 'http:blip', status: 'unhealthy', consecutiveFailures: 1 });
    expect(check!.healing).toEqual({ workflowId: expect.stringMatching(/^heal-health-http-blip-[0-9a-f]{8}$/) });
    const childId = (check!.healing as { workflowId: string }).workflowId;
    expect(summary.healingWorkflowIds).toEqual([childId]);

    const child = client.workflow.getHandle<() => Promise<HealingSummary>>(childId);
    const healed = await child.result();
    expect(healed).toMatchObject({ result: 'healed', strategy: 'RETRY_WITH_BACKOFF' });
    const description = await child.describe();
    expect(description.raw.workflowExecutionInfo?.parentExecution?.workflowId).toBe(summary.workflowId);
    expect(description.typedSearchAttributes.get(OPERATION)).toBe('health:http:blip');

    const { rows: events } = await getHealingEvents(testDb.handle.db, { operation: 'health:http:blip' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ workflowId: childId, result: 'healed', strategy: 'RETRY_WITH_BACKOFF' });
    // The fake saw the check and the healing re-run.
    expect(blip.requests.length).toBeGreaterThanOrEqual(2);
  });

  it(`alerts exactly once after ${ALERT_AFTER} consecutive failures, heals meanwhile, then sends one recovery notice`, async () => {
    const input: HealthCheckWorkflowInput = { checks: ['http:incident'], healingTiming: { maximumAttempts: 1 } };
    const incidentAlerts = () => alerts.filter((alert) => alert.check === 'http:incident');
    incidentDown = true;
    const failing: HealthCheckSummary[] = [];
    for (let run = 1; run <= 4; run++) failing.push(await runChecks(input, `incident-${run}`));
    // The children outlive their parent (ABANDON) and end unhealed: the service is still down.
    for (const id of failing.flatMap((summary) => summary.healingWorkflowIds)) {
      const result = await client.workflow.getHandle<() => Promise<HealingSummary>>(id).result();
      expect(result.result).toBe('failed');
    }
    incidentDown = false;
    const recovered = [await runChecks(input, 'incident-5'), await runChecks(input, 'incident-6')];

    expect(failing.map((summary) => summary.checks[0]!.consecutiveFailures)).toEqual([1, 2, 3, 4]);
    expect([...failing, ...recovered].map((summary) => summary.checks[0]!.notice?.kind)).toEqual([
      undefined,
      'alert',
      undefined,
      undefined,
      'recovery',
      undefined,
    ]);
    expect(incidentAlerts().map((alert) => [alert.kind, alert.consecutiveFailures])).toEqual([
      ['alert', 2],
      ['recovery', 4],
    ]);
    const [alert] = incidentAlerts();
    expect(alert).toMatchObject({
      status: 'unhealthy',
      error: 'HTTP 503 (expected 2xx)',
      healthWorkflowId: failing[1]!.workflowId,
      healingWorkflowId: failing[1]!.healingWorkflowIds[0],
      diagnosis: { category: 'external_service', transient: true },
    });

    // Healing was tried for each of the first N failures, then backs off (next at 2N).
    expect(failing.map((summary) => summary.healingWorkflowIds.length)).toEqual([1, 1, 0, 1]);
    expect(failing[2]!.checks[0]!.healing).toEqual({ notStarted: expect.stringContaining('next at failure 4') });
    expect(recovered.map((summary) => summary.overall)).toEqual(['healthy', 'healthy']);

    // Deterministic: the run that alerted and started a child replays from its recorded history.
    const history = await client.workflow.getHandle(failing[1]!.workflowId).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, failing[1]!.workflowId);
  });
});
