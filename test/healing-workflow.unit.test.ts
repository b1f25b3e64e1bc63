// healingWorkflow on its own: the real workflow code on the time-skipping test server, every
// activity a stub that records its input (the samples-typescript pattern). No database, no dev
// server: what is checked is the run's outcome and which activities it called with what, not the
// order or number of its record writes.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CancelledFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { RecurringFault } from '../activities/analysis.js';
import type { SelfHealingActivities } from '../activities/index.js';
import {
  callerOutcomeUpdate,
  HEALING_WORKFLOW_TYPE,
  healingStateQuery,
  type AppActivities,
  type HealingInput,
  type RunOperationInput,
} from '../common/healing-contract.js';
import { defaultOperationPolicy, type OperationPolicy } from '../common/strategies/index.js';
import type { Diagnosis } from '../common/types.js';
import type { healingWorkflow } from '../workflows/healing.js';
import { networkDiagnosis } from './support/diagnoses.js';
import { startTimeSkippingEnv } from './support/temporal.js';

const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const CENTRAL_QUEUE = 'healing-unit-central';
const APP_QUEUE = 'healing-unit-app';

type ActivityName = keyof SelfHealingActivities | keyof AppActivities;

/** Every activity call of the current test, in the order the stubs saw them. */
let calls: Array<{ name: ActivityName; input: any }>;
/** What the analysis stub answers in the current test. */
let diagnosis: Diagnosis;
let recurrence: RecurringFault | undefined;
/** The application's operation in the current test. */
let runOperation: (input: RunOperationInput) => Promise<{ sealedValue: string }>;

function record<I, O>(name: ActivityName, answer: (input: I) => O | Promise<O>) {
  return async (input: I): Promise<O> => {
    calls.push({ name, input });
    return answer(input);
  };
}

const centralActivities = {
  recordOccurrence: record('recordOccurrence', () => undefined),
  recordDiagnosis: record('recordDiagnosis', () => undefined),
  recordAttempt: record('recordAttempt', () => undefined),
  completeHealing: record('completeHealing', () => undefined),
  recordOutcome: record('recordOutcome', () => ({ recoveryMayBeDue: false })),
  analyseError: record('analyseError', () => ({ diagnosis, learned: [], ...(recurrence ? { recurrence } : {}) })),
  notifyAdmins: record('notifyAdmins', () => ({ notified: true })),
  notifyRecoveryIfAlerted: record('notifyRecoveryIfAlerted', () => ({ notified: false, reason: 'no alert' })),
};

const appActivities: AppActivities = {
  runOperation: record('runOperation', (input: RunOperationInput) => runOperation(input)),
  readCachedResult: record('readCachedResult', () => null),
  runOperationHook: record('runOperationHook', () => undefined),
};

let env: TestWorkflowEnvironment;
let stopWorkers: AbortController;
let workers: Promise<unknown>;

beforeAll(async () => {
  try {
    // Failed operations are the point of these tests: the worker need not log each one.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
  } catch {
    // installed by another module of this test process
  }
  env = await startTimeSkippingEnv();
  const central = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: CENTRAL_QUEUE,
    workflowsPath: WORKFLOWS_PATH,
    activities: centralActivities,
  });
  const app = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: APP_QUEUE,
    activities: appActivities,
  });
  stopWorkers = new AbortController();
  const until = new Promise<void>((resolve) => stopWorkers.signal.addEventListener('abort', () => resolve()));
  workers = Promise.all([central.runUntil(until), app.runUntil(until)]);
});

afterAll(async () => {
  stopWorkers?.abort();
  await workers;
  await env?.teardown();
});

beforeEach(() => {
  calls = [];
  diagnosis = networkDiagnosis({ severity: 'medium' });
  recurrence = undefined;
  runOperation = async () => ({ sealedValue: 'sealed-result' });
});

let runs = 0;

function start(
  policy: Partial<OperationPolicy>,
  input: Partial<HealingInput> = {},
): Promise<WorkflowHandle<typeof healingWorkflow>> {
  const workflowId = `heal-unit-${++runs}`;
  const healingInput: HealingInput = {
    workflowId,
    operation: 'orders.sync',
    error: { name: 'Error', message: 'read ECONNRESET', code: 'ECONNRESET' },
    signature: `sig-${workflowId}`,
    policy: defaultOperationPolicy('orders.sync', policy),
    appTaskQueue: APP_QUEUE,
    sealedArgs: 'sealed-args',
    detectedAt: new Date().toISOString(),
    timing: { maximumAttempts: 3 },
    ...input,
  };
  return env.client.workflow.start<typeof healingWorkflow>(HEALING_WORKFLOW_TYPE, {
    taskQueue: CENTRAL_QUEUE,
    workflowId,
    args: [healingInput],
  });
}

function callsOf(name: ActivityName): any[] {
  return calls.filter((call) => call.name === name).map((call) => call.input);
}

/** What the run learned: the `learning` its attempt and outcome records carry. */
function learnedOutcomes(): any[] {
  return [...callsOf('recordAttempt'), ...callsOf('recordOutcome')].flatMap((call) =>
    call.learning ? [call.learning] : [],
  );
}

/** The outcome as recorded: one recordOutcome call with the run's result. */
function recordedOutcome() {
  const outcomes = callsOf('recordOutcome');
  expect(outcomes).toHaveLength(1);
  return outcomes[0];
}

async function waitForPhase(run: WorkflowHandle, phase: string): Promise<void> {
  while ((await run.query(healingStateQuery)).phase !== phase) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('healingWorkflow with stubbed activities', () => {
  it('heals a transient fault with the first re-run: healed, recorded, learned, nobody alerted', async () => {
    const run = await start({ allowedStrategies: ['RETRY_WITH_BACKOFF'] }, { callerWaitMs: 30_000 });
    const [answer, summary] = await Promise.all([run.executeUpdate(callerOutcomeUpdate), run.result()]);

    expect(answer).toMatchObject({ status: 'healed', strategy: 'RETRY_WITH_BACKOFF', sealedValue: 'sealed-result' });
    expect(summary).toMatchObject({ result: 'healed', strategy: 'RETRY_WITH_BACKOFF', diagnosis });
    expect(summary.attempts.map((attempt) => [attempt.strategy, attempt.result])).toEqual([
      ['RETRY_WITH_BACKOFF', 'healed'],
    ]);
    expect(callsOf('recordOccurrence')).toEqual([
      expect.objectContaining({ workflowId: run.workflowId, operation: 'orders.sync' }),
    ]);
    expect(callsOf('analyseError')).toEqual([
      expect.objectContaining({ operation: 'orders.sync', signature: `sig-${run.workflowId}` }),
    ]);
    expect(callsOf('runOperation')).toEqual([{ operation: 'orders.sync', sealedArgs: 'sealed-args' }]);
    expect(recordedOutcome()).toMatchObject({
      workflowId: run.workflowId,
      result: 'healed',
      strategy: 'RETRY_WITH_BACKOFF',
    });
    expect(learnedOutcomes()).toEqual([
      expect.objectContaining({ signature: `sig-${run.workflowId}`, strategy: 'RETRY_WITH_BACKOFF', success: true }),
    ]);
    expect(callsOf('notifyAdmins')).toEqual([]);
  });

  it('re-runs nothing for a permanent error: an empty plan, failed, admins alerted once', async () => {
    diagnosis = networkDiagnosis({ category: 'validation', transient: false, severity: 'low' });
    const error = { name: 'ValidationError', message: 'email is invalid', status: 422 };
    const run = await start({}, { error, callerWaitMs: 30_000 });
    const [answer, summary] = await Promise.all([run.executeUpdate(callerOutcomeUpdate), run.result()]);

    expect(answer).toMatchObject({ status: 'failed', reason: 'no applicable strategy' });
    expect(summary).toMatchObject({ result: 'failed', attempts: [] });
    expect((await run.query(healingStateQuery)).plan).toEqual([]);
    expect(callsOf('runOperation')).toEqual([]);
    expect(learnedOutcomes()).toEqual([]);
    expect(recordedOutcome()).toMatchObject({ result: 'failed' });
    expect(callsOf('notifyAdmins')).toEqual([
      expect.objectContaining({
        workflowId: run.workflowId,
        result: 'failed',
        strategiesTried: [],
        reason: 'no applicable strategy',
      }),
    ]);
  });

  it('fails once the retries are exhausted: every attempt made, the failure learned, one alert', async () => {
    runOperation = async () => {
      throw ApplicationFailure.create({ type: 'Error', message: 'read ECONNRESET' });
    };
    const run = await start({ allowedStrategies: ['RETRY_WITH_BACKOFF'] }, { callerWaitMs: 30_000 });
    const [answer, summary] = await Promise.all([run.executeUpdate(callerOutcomeUpdate), run.result()]);

    expect(answer).toMatchObject({ status: 'failed', attempts: 1 });
    expect(summary).toMatchObject({
      result: 'failed',
      attempts: [{ strategy: 'RETRY_WITH_BACKOFF', result: 'failed' }],
    });
    expect(callsOf('runOperation')).toHaveLength(3); // timing.maximumAttempts
    expect(recordedOutcome()).toMatchObject({ result: 'failed' });
    expect(learnedOutcomes()).toEqual([expect.objectContaining({ strategy: 'RETRY_WITH_BACKOFF', success: false })]);
    const alerts = callsOf('notifyAdmins');
    expect(alerts).toEqual([expect.objectContaining({ result: 'failed', strategiesTried: ['RETRY_WITH_BACKOFF'] })]);
    expect(alerts[0].reason).toContain('read ECONNRESET');
  });

  it('uses the next strategy when the approval times out, and tells the admins', async () => {
    const run = await start(
      {
        allowedStrategies: ['RETRY_WITH_BACKOFF', 'SWITCH_API_ENDPOINT'],
        requiresApproval: ['RETRY_WITH_BACKOFF'],
        alternateEndpoints: ['https://backup.example'],
      },
      { timing: { approvalTimeoutMs: 10 * 60_000 } },
    );
    const summary = await run.result(); // the time-skipping server lets the ten minutes pass: nobody waits

    expect(summary).toMatchObject({ result: 'healed', strategy: 'SWITCH_API_ENDPOINT' });
    expect(summary.attempts.map((attempt) => [attempt.strategy, attempt.error])).toEqual([
      ['RETRY_WITH_BACKOFF', 'not approved by an operator'],
      ['SWITCH_API_ENDPOINT', undefined],
    ]);
    // The unapproved strategy never ran the operation: the only run is the one via the other endpoint.
    expect(callsOf('runOperation')).toEqual([expect.objectContaining({ endpoint: 'https://backup.example' })]);
    expect(recordedOutcome()).toMatchObject({ result: 'healed', strategy: 'SWITCH_API_ENDPOINT' });
    expect(callsOf('notifyAdmins')).toEqual([
      expect.objectContaining({ result: 'healed', reason: 'approval timed out; a safer strategy was used' }),
    ]);
  });

  it('addresses a recurring fault first, and alerts once for its episode: only the run given the alert id', async () => {
    const policy: Partial<OperationPolicy> = { hooks: ['resetConnection'] };
    const episode: RecurringFault = {
      healedBy: 'RETRY_WITH_BACKOFF',
      healedAt: new Date().toISOString(),
      healAttempt: 'heal-earlier:1',
      recurrences: 2,
      windowMs: 600_000,
      escalated: true,
      heals: 2,
      held: 0,
    };
    recurrence = { ...episode, alertId: 'sig-x:recurring:1' };
    const alerting = await start(policy);
    expect(await alerting.result()).toMatchObject({ result: 'healed', strategy: 'RESET_CONNECTION' });
    expect((await alerting.query(healingStateQuery)).plan.slice(0, 2)).toEqual([
      'RESET_CONNECTION',
      'RETRY_WITH_BACKOFF',
    ]);
    expect(callsOf('runOperationHook')).toEqual([{ operation: 'orders.sync', hook: 'resetConnection' }]);
    expect(callsOf('notifyAdmins')).toEqual([
      expect.objectContaining({ notificationId: 'sig-x:recurring:1', result: 'healed', recurrence }),
    ]);
    expect(callsOf('notifyRecoveryIfAlerted')).toEqual([]);

    calls = [];
    recurrence = episode; // the same episode, another run: its alert went out already
    const next = await start(policy);
    expect(await next.result()).toMatchObject({ result: 'healed', strategy: 'RESET_CONNECTION' });
    expect(callsOf('notifyAdmins')).toEqual([]);

    calls = [];
    recurrence = undefined; // not recurring: the diagnosis' retry goes first
    expect(await (await start(policy)).result()).toMatchObject({ strategy: 'RETRY_WITH_BACKOFF' });
  });

  it('stops a cancelled run: nothing re-run, recorded as cancelled, admins alerted once', async () => {
    const policy: Partial<OperationPolicy> = {
      allowedStrategies: ['RETRY_WITH_BACKOFF'],
      requiresApproval: ['RETRY_WITH_BACKOFF'],
    };
    const run = await start(policy);
    await waitForPhase(run, 'awaiting-approval');
    await run.cancel();

    const failure = await run.result().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(callsOf('runOperation')).toEqual([]);
    expect(learnedOutcomes()).toEqual([]);
    expect(recordedOutcome()).toMatchObject({ workflowId: run.workflowId, result: 'cancelled' });
    expect(callsOf('notifyAdmins')).toEqual([expect.objectContaining({ result: 'cancelled' })]);
  });
});
