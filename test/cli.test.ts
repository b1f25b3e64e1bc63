// The `heal` CLI driven as an operator would: spawned processes against the suite's dev server
// and a fresh PostgreSQL database, acting on healing runs that this file produces.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { readStartedRun } from '../cli/operator/control.js';
import type { RunSummary } from '../cli/operator/runs.js';
import { ensureHealthCheckSchedule, healthScheduleId } from '../workers/health-schedule.js';
import { OperationQueuedError } from '../client/self-healing.js';
import type { HealingSummary } from '../common/healing-contract.js';
import * as attributes from '../common/search-attributes.js';
import { createHealthCheck, getHealingEvent, getHealingEvents, type HealingEventRow } from '../db/index.js';
import { getNotifications } from '../db/notifications.js';
import { failsOnce, networkError } from './support/faults.js';
import { heal, healJson, type HealEnv } from './support/heal-cli.js';
import { startOperatorTestSystem, type OperatorTestSystem } from './support/operator-system.js';
import { connectNative } from './support/system.js';
import { connectToDevServer } from './support/temporal.js';
import { waitFor } from './support/wait-for.js';

let system: OperatorTestSystem;
let client: Client;
let connection: NativeConnection;
let address: string;
let scratch: string;
const suffix = randomBytes(3).toString('hex');
/** Workflow ids of finished runs, by scenario: the replay test replays them. */
const produced: Record<string, string> = {};

beforeAll(async () => {
  const dev = await connectToDevServer();
  client = dev.client;
  address = dev.address;
  connection = await connectNative(dev.address);
  system = await startOperatorTestSystem({ client, connection });
  scratch = await mkdtemp(path.join(os.tmpdir(), 'heal-cli-'));
});

afterAll(async () => {
  await system?.stop();
  await connection?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function env(extra: Partial<HealEnv> = {}): HealEnv {
  return {
    TEMPORAL_ADDRESS: address,
    DATABASE_URL: system.databaseUrl,
    TEMPORAL_TASK_QUEUE: system.taskQueue,
    ...extra,
  };
}

async function onlyEvent(operation: string): Promise<HealingEventRow> {
  const { rows } = await waitFor(`the audit row of ${operation}`, async () => {
    const found = await getHealingEvents(system.database.db, { operation });
    return found.rows.length ? found : undefined;
  });
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

/** Waits for the run to close; returns its result (or the failure). */
async function closed(workflowId: string): Promise<HealingSummary | unknown> {
  return client.workflow
    .getHandle(workflowId)
    .result()
    .catch((error: unknown) => error);
}

async function runsOf(operation: string, extra: string[] = []): Promise<RunSummary[]> {
  return healJson<RunSummary[]>(['list', '--operation', operation, ...extra], env());
}

/** An operation whose risky strategy (ROLLBACK_TRANSACTION) needs approval; SKIP_OPERATION is the safe fallback. */
function deadlock(): Error {
  return Object.assign(new Error('deadlock detected while saving the order'), { code: '40P01' });
}

function approvalOperation(name: string, approvalTimeoutMs?: number) {
  const hook = { runs: 0 };
  let rolledBack = false;
  system.healer.withSelfHealing(
    name,
    async (orderId: string) => {
      if (!rolledBack) throw deadlock();
      return `saved ${orderId}`;
    },
    {
      allowedStrategies: ['ROLLBACK_TRANSACTION', 'SKIP_OPERATION'],
      critical: false,
      requiresApproval: ['ROLLBACK_TRANSACTION'],
      hooks: { rollback: () => ((rolledBack = true), hook.runs++) },
      ...(approvalTimeoutMs ? { timing: { approvalTimeoutMs } } : {}),
    },
  );
  return hook;
}

/** An operation that always fails with a transient SMTP 503: its run queues it for an hour. */
function queuedForAnHour(operation: string) {
  return system.healer.withSelfHealing(
    operation,
    async () => {
      throw Object.assign(new Error('SMTP 503 service unavailable'), { status: 503 });
    },
    { allowedStrategies: ['QUEUE_FOR_LATER'], queueForLater: true, timing: { queueDelayMs: 60 * 60_000 } },
  );
}

async function awaitingApproval(operation: string): Promise<string> {
  const run = await waitFor(`${operation} to wait for approval`, async () =>
    (await runsOf(operation)).find((candidate) => candidate.phase === 'awaiting-approval'),
  );
  expect(run).toMatchObject({ status: 'RUNNING', strategy: 'ROLLBACK_TRANSACTION' });
  return run.workflowId;
}

// Every test spawns the CLI several times; on a busy two-core machine one spawn can take seconds.
describe('heal: the operator command-line tool', { timeout: 400_000 }, () => {
  it('has --help everywhere and clear exit codes for usage errors and unknown runs', async () => {
    const help = await heal(['--help'], env());
    expect(help.code).toBe(0);
    for (const command of [
      'list',
      'show',
      'cancel',
      'terminate',
      'rerun',
      'approve',
      'reject',
      'replay',
      'export',
      'schedule',
    ]) {
      expect(help.stdout).toContain(command);
    }
    for (const command of [['terminate'], ['replay'], ['schedule', 'pause']]) {
      const result = await heal([...command, '--help'], env());
      expect(result.code, command.join(' ')).toBe(0);
      expect(result.stdout).toContain(`Usage: heal ${command.join(' ')}`);
    }
    expect((await heal([], env())).code).toBe(2);
    const noReason = await heal(['terminate', 'some-run'], env());
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--reason');
    expect((await heal(['list', '--since', 'yesterday-ish'], env())).code).toBe(2);
    const unknown = await heal(['show', `no-such-run-${suffix}`], env());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no workflow run');
  });

  it('list and show: a healed run with its search attributes, state, attempts and audit row', async () => {
    const operation = `cli.retry-${suffix}`;
    const getUser = system.healer.withSelfHealing(operation, failsOnce(networkError), {
      allowedStrategies: ['RETRY_WITH_BACKOFF'],
    });
    await expect(getUser('u-1')).resolves.toEqual({ id: 'u-1' });
    const { workflowId } = await onlyEvent(operation);
    await closed(workflowId!);
    produced.healed = workflowId!;

    const [run] = await waitFor('the run in visibility', async () => {
      const runs = await runsOf(operation, ['--outcome', 'healed', '--category', 'network']);
      return runs.length ? runs : undefined;
    });
    expect(run).toMatchObject({
      workflowId,
      status: 'COMPLETED',
      operation,
      category: 'network',
      strategy: 'RETRY_WITH_BACKOFF',
      outcome: 'healed',
    });
    expect(await runsOf(operation, ['--category', 'rate_limit'])).toEqual([]);

    const table = await heal(['list', '--operation', operation], env());
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/WORKFLOW ID\s+STATUS\s+PHASE\s+OPERATION/);
    expect(table.stdout).toContain(workflowId);

    const shown = await healJson<{
      run: { state: { phase: string; result: string; attempts: unknown[] }; searchAttributes: Record<string, string> };
      event: HealingEventRow;
    }>(['show', workflowId!], env());
    expect(shown.run.state).toMatchObject({ phase: 'done', result: 'healed' });
    expect(shown.run.state.attempts).toHaveLength(1);
    expect(shown.run.searchAttributes).toMatchObject({
      HealingOperation: operation,
      ErrorCategory: 'network',
      HealingOutcome: 'healed',
    });
    expect(shown.event).toMatchObject({ result: 'healed', strategy: 'RETRY_WITH_BACKOFF', operation });
    const text = await heal(['show', workflowId!], env());
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Healing state');
    expect(text.stdout).toContain('Audit record (healing_events)');
  });

  it('cancel: the run records itself as cancelled (Temporal status, audit row, outcome attribute)', async () => {
    const operation = `cli.cancel-${suffix}`;
    const send = queuedForAnHour(operation);
    const queued = await send().catch((error: unknown) => error);
    expect(queued).toBeInstanceOf(OperationQueuedError);
    const workflowId = (queued as OperationQueuedError).healingWorkflowId;
    const [run] = await runsOf(operation);
    expect(run).toMatchObject({ workflowId, status: 'RUNNING', phase: 'queued' });

    const cancelled = await heal(['cancel', workflowId], env());
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain('Cancelled');
    const description = await client.workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('CANCELLED');
    expect(description.typedSearchAttributes.get(attributes.HEALING_OUTCOME)).toBe('cancelled');
    expect((await getHealingEvent(system.database.db, workflowId))?.result).toBe('cancelled');
    produced.cancelled = workflowId;

    const again = await heal(['cancel', workflowId], env());
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('not running');
  });

  it('terminate: needs a reason, ends the run at once and closes its audit row', async () => {
    const operation = `cli.terminate-${suffix}`;
    const send = queuedForAnHour(operation);
    const workflowId = ((await send().catch((error: unknown) => error)) as OperationQueuedError).healingWorkflowId;
    // The queued result is recorded off the caller's path: wait for it so terminate finds it open.
    await waitFor('the queued audit row', async () =>
      (await getHealingEvent(system.database.db, workflowId))?.result === 'queued' ? true : undefined,
    );
    const terminated = await heal(['terminate', workflowId, '--reason', 'stuck in a test'], env());
    expect(terminated.code, terminated.stderr).toBe(0);
    const description = await client.workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('TERMINATED');
    expect((await getHealingEvent(system.database.db, workflowId))?.result).toBe('cancelled');
  });

  it('rerun: a second run with the same input, which runs the operation again with the same arguments', async () => {
    const operation = `cli.rerun-${suffix}`;
    const seen: string[] = [];
    const lookup = system.healer.withSelfHealing(
      operation,
      async (id: string) => {
        seen.push(id);
        if (seen.length === 1) throw networkError();
        return id.toUpperCase();
      },
      { allowedStrategies: ['RETRY_WITH_BACKOFF'] },
    );
    await expect(lookup('order-77')).resolves.toBe('ORDER-77');
    const original = (await onlyEvent(operation)).workflowId!;
    await closed(original);

    const rerun = await healJson<{ workflowId: string; taskQueue: string }>(['rerun', original], env());
    expect(rerun.workflowId).toMatch(new RegExp(`^${original}-rerun-`));
    expect(await closed(rerun.workflowId)).toMatchObject({ result: 'healed', strategy: 'RETRY_WITH_BACKOFF' });
    expect(seen).toEqual(['order-77', 'order-77', 'order-77']);

    const [before, after] = await Promise.all([
      readStartedRun(client, original),
      readStartedRun(client, rerun.workflowId),
    ]);
    expect(after.workflowType).toBe(before.workflowType);
    expect(after.taskQueue).toBe(system.taskQueue);
    expect(rerun.taskQueue).toBe(system.taskQueue);
    const byName = (pairs: typeof before.searchAttributes) =>
      [...pairs].sort((a, b) => a.key.name.localeCompare(b.key.name));
    expect(byName(after.searchAttributes)).toEqual(byName(before.searchAttributes));
    expect(byName(after.searchAttributes).map((pair) => pair.key.name)).toEqual([
      'ErrorSignature',
      'HealingOperation',
      'HealingOutcome',
    ]);
    expect(after.staticSummary).toBe(before.staticSummary);
    const { workflowId: originalId, ...originalInput } = before.args[0] as { workflowId: string };
    const { workflowId: rerunId, ...rerunInput } = after.args[0] as { workflowId: string };
    expect(originalId).toBe(original);
    expect(rerunId).toBe(rerun.workflowId);
    expect(rerunInput).toEqual(originalInput);

    const events = await getHealingEvents(system.database.db, { operation });
    expect(events.rows.map((row) => row.workflowId).sort()).toEqual([original, rerun.workflowId].sort());
    expect(new Set(events.rows.map((row) => row.signature)).size).toBe(1);
  });

  it('approve: a run waits for approval (visible in list and show), then runs the approved strategy', async () => {
    const operation = `cli.approve-${suffix}`;
    const hook = approvalOperation(operation);
    await system.healer.startHealing(operation, ['order-1'], deadlock());
    const workflowId = await awaitingApproval(operation);
    const shown = await heal(['show', workflowId], env());
    expect(shown.stdout).toMatch(/Phase:\s+awaiting-approval/);
    expect(hook.runs).toBe(0);

    const approved = await heal(['approve', workflowId, '--by', 'alice', '--reason', 'rollback is safe'], env());
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain('Approved ROLLBACK_TRANSACTION');
    expect(await closed(workflowId)).toMatchObject({ result: 'healed', strategy: 'ROLLBACK_TRANSACTION' });
    expect(hook.runs).toBe(1);
    produced.approved = workflowId;

    const late = await heal(['approve', workflowId], env());
    expect(late.code).toBe(1);
  });

  it('reject: the run falls back to the next, safe strategy', async () => {
    const operation = `cli.reject-${suffix}`;
    const hook = approvalOperation(operation);
    await system.healer.startHealing(operation, ['order-2'], deadlock());
    const workflowId = await awaitingApproval(operation);
    const rejected = await heal(['reject', workflowId, '--reason', 'not during the sale'], env());
    expect(rejected.code, rejected.stderr).toBe(0);
    const summary = (await closed(workflowId)) as HealingSummary;
    expect(summary).toMatchObject({ result: 'skipped', strategy: 'SKIP_OPERATION' });
    expect(summary.attempts.map((attempt) => [attempt.strategy, attempt.error ?? attempt.result])).toEqual([
      ['ROLLBACK_TRANSACTION', 'not approved by an operator'],
      ['SKIP_OPERATION', 'skipped'],
    ]);
    expect(hook.runs).toBe(0);
    produced.rejected = workflowId;
  });

  it('approval timeout: without an operator the run falls back to the safe strategy, and admins are told', async () => {
    const operation = `cli.approval-timeout-${suffix}`;
    const hook = approvalOperation(operation, 1_000);
    const handle = await system.healer.startHealing(operation, ['order-3'], deadlock());
    const summary = (await closed(handle.workflowId)) as HealingSummary;
    expect(summary).toMatchObject({ result: 'skipped', strategy: 'SKIP_OPERATION' });
    expect(summary.attempts[0]).toMatchObject({
      strategy: 'ROLLBACK_TRANSACTION',
      result: 'failed',
      error: 'not approved by an operator',
    });
    expect(hook.runs).toBe(0);
    expect((await getHealingEvent(system.database.db, handle.workflowId))?.result).toBe('skipped');
    // Admins are told that a safer strategy was used for want of an operator.
    const notices = await getNotifications(system.database.db, { workflowId: handle.workflowId });
    expect(notices.some((notice) => `${notice.subject}\n${notice.body}`.includes('approval timed out'))).toBe(true);
  });

  it('replay and export: recorded histories replay cleanly; a changed workflow is reported as non-deterministic', async () => {
    const ids = [produced.healed, produced.cancelled, produced.approved, produced.rejected];
    expect(ids.every(Boolean), 'the earlier tests produced the runs to replay').toBe(true);
    const byId = await heal(['replay', ...(ids as string[])], env());
    expect(byId.code, byId.stdout + byId.stderr).toBe(0);
    expect(byId.stdout).toContain('4 replayed, 0 failed');

    const file = path.join(scratch, 'approved.json');
    const exported = await heal(['export', produced.approved!, '--out', file], env());
    expect(exported.code, exported.stderr).toBe(0);
    const history = JSON.parse(await readFile(file, 'utf8')) as { events: Array<{ eventType: unknown }> };
    expect(history.events.length).toBeGreaterThan(5);

    // A history file needs no server.
    const offline = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
    const fromFile = await heal(['replay', file], offline);
    expect(fromFile.code, fromFile.stdout + fromFile.stderr).toBe(0);
    expect(fromFile.stdout).toContain('1 replayed, 0 failed');

    const changed = await heal(['replay', file, '--workflows', 'test/fixtures/reordered-workflows.ts'], offline);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain('NONDETERMINISTIC');
    expect(changed.stdout).toContain('0 replayed, 1 failed');

    const query = `HealingOperation="cli.approve-${suffix}" OR HealingOperation="cli.reject-${suffix}"`;
    const all = await healJson<Array<{ ok: boolean; nondeterministic: boolean }>>(['replay', '--all', query], env());
    expect(all).toHaveLength(2);
    expect(all.every((outcome) => outcome.ok)).toBe(true);
    const allChanged = await heal(
      ['replay', '--all', query, '--workflows', 'test/fixtures/reordered-workflows.ts', '--json'],
      env(),
    );
    expect(allChanged.code).toBe(1);
    const outcomes = JSON.parse(allChanged.stdout) as Array<{ ok: boolean; nondeterministic: boolean }>;
    expect(outcomes.map((outcome) => outcome.nondeterministic)).toEqual([true, true]);

    const nothing = await heal(['replay', '--all', `HealingOperation="nothing-${suffix}"`], env());
    expect(nothing.code).toBe(1);
  });

  it('stats, patterns, health and list --source db read the database', async () => {
    const stats = await healJson<{ total: number; byResult: Record<string, number> }>(['stats'], env());
    expect(stats.total).toBeGreaterThanOrEqual(6);
    expect(stats.byResult.cancelled).toBeGreaterThanOrEqual(2);
    expect(stats.byResult.skipped).toBeGreaterThanOrEqual(2);

    const signature = (await onlyEvent(`cli.retry-${suffix}`)).signature;
    const patterns = await healJson<Array<{ signature: string; strategy: string; successCount: number }>>(
      ['patterns', '--signature', signature],
      env(),
    );
    expect(patterns).toEqual([expect.objectContaining({ signature, strategy: 'RETRY_WITH_BACKOFF', successCount: 1 })]);

    await createHealthCheck(system.database.db, { checkName: 'database', status: 'healthy', latencyMs: 2 });
    const health = await healJson<{ overall: string; checks: Array<{ name: string }> }>(['health'], env());
    expect(health).toMatchObject({ overall: 'healthy', checks: [{ name: 'database' }] });
    const healthTable = await heal(['health'], env());
    expect(healthTable.stdout).toMatch(/CHECK\s+STATUS/);

    const rows = await healJson<{ rows: HealingEventRow[] }>(
      ['list', '--source', 'db', '--operation', `cli.cancel-${suffix}`],
      env(),
    );
    expect(rows.rows.map((row) => row.result)).toEqual(['cancelled']);

    const withoutDatabase = await heal(['stats'], { TEMPORAL_ADDRESS: address, DATA_DIR: scratch });
    expect(withoutDatabase.code).toBe(1);
    expect(withoutDatabase.stderr).toContain('DATABASE_URL');
  });

  it('schedule: status, pause, resume and trigger the health-check schedule', async () => {
    // A task queue no worker polls: a triggered run is started but never executed here.
    const taskQueue = `${system.taskQueue}-schedule`;
    const scheduleEnv = env({ TEMPORAL_TASK_QUEUE: taskQueue });
    const { scheduleId } = await ensureHealthCheckSchedule(client, { taskQueue, interval: '1h' });
    expect(scheduleId).toBe(healthScheduleId(taskQueue));
    try {
      expect(await healJson(['schedule', 'status'], scheduleEnv)).toMatchObject({
        scheduleId,
        paused: false,
        intervalMs: 3_600_000,
      });
      expect((await heal(['schedule', 'pause', '--note', 'maintenance window'], scheduleEnv)).code).toBe(0);
      expect(await healJson(['schedule', 'status'], scheduleEnv)).toMatchObject({
        paused: true,
        note: 'maintenance window',
      });
      expect((await heal(['schedule', 'resume'], scheduleEnv)).code).toBe(0);
      expect(await healJson(['schedule', 'status'], scheduleEnv)).toMatchObject({ paused: false });

      expect((await heal(['schedule', 'trigger'], scheduleEnv)).code).toBe(0);
      const [run] = await waitFor('the triggered health-check run', async () => {
        const runs = await healJson<RunSummary[]>(
          ['list', '--type', 'healthCheckWorkflow', '--query', `TaskQueue="${taskQueue}"`],
          scheduleEnv,
        );
        return runs.length ? runs : undefined;
      });
      expect(run).toMatchObject({ type: 'healthCheckWorkflow', status: 'RUNNING', taskQueue });
      expect((await heal(['terminate', run!.workflowId, '--reason', 'test clean-up'], scheduleEnv)).code).toBe(0);

      const missing = await heal(['schedule', 'status', '--schedule-id', `missing-${suffix}`], scheduleEnv);
      expect(missing.code).toBe(1);
    } finally {
      await client.schedule.getHandle(scheduleId).delete();
    }
  });

  it('export without --out prints the history, ready for a file', async () => {
    expect(produced.healed).toBeDefined();
    const printed = await heal(['export', produced.healed!], env());
    expect(printed.code).toBe(0);
    const history = JSON.parse(printed.stdout) as { events: unknown[] };
    expect(history.events.length).toBeGreaterThan(3);
    expect(existsSync(path.join(scratch, 'approved.json'))).toBe(true);
  });
});
