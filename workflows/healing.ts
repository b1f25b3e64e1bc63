// The healing workflow: one run per error occurrence. It reads like the process:
// record → analyse → try strategies in order of promise → learn → notify → close the record.
import {
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  approvalSignal,
  callerOutcomeUpdate,
  DEFAULT_HEALING_TIMING,
  healingStateQuery,
  type AttemptRecord,
  type CallerOutcome,
  type HealingInput,
  type HealingState,
  type HealingSummary,
  type HealingTiming,
} from '../common/healing-contract.js';
import * as attributes from '../common/search-attributes.js';
import { DEGRADED_STRATEGIES, planStrategies } from '../common/strategies.js';
import type { Diagnosis, HealingResult, Strategy } from '../common/types.js';
import type { SelfHealingActivities } from '../activities/index.js';
import { executeStrategy, type StrategyOutcome } from './strategy-execution.js';

// Records and analysis are short calls on this worker: local activities spare the server a round
// trip per step (they are what makes error-to-healed fast). Records retry until the database
// answers, so nothing is lost in an outage.
const records = proxyLocalActivities<SelfHealingActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});
const analysis = proxyLocalActivities<SelfHealingActivities>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
  summary: 'analyse error (pattern → LLM → rules)',
});
// Sending alerts calls providers: a regular activity, visible in the UI, idempotent per decision.
const alerts = proxyActivities<SelfHealingActivities>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '2s', maximumInterval: '1m' },
  summary: 'notify admins',
});

export async function healingWorkflow(input: HealingInput): Promise<HealingSummary> {
  const startedAt = Date.now();
  const timing: HealingTiming = { ...DEFAULT_HEALING_TIMING, ...input.timing };
  const state: HealingState = { phase: 'recording', plan: [], attempts: [], result: 'pending' };
  let callerOutcome: CallerOutcome | undefined;
  let approval: { approved: boolean } | undefined;
  let approvalTimedOut = false;
  const tellCaller = (outcome: CallerOutcome) => (callerOutcome ??= outcome);

  setHandler(callerOutcomeUpdate, async () => {
    await condition(() => callerOutcome !== undefined);
    return callerOutcome!;
  });
  setHandler(healingStateQuery, () => state);
  setHandler(approvalSignal, (decision) => void (approval = decision));

  // Every record is awaited where it happens: records running beside the main flow would make
  // the order of commands depend on when local activities finish, which replay cannot reproduce.
  // Cancellation does not stop a record.
  const record = (write: () => Promise<unknown>) => CancellationScope.nonCancellable(write);

  try {
    await record(() => records.recordOccurrence({ ...input, runId: workflowInfo().runId }));
    state.phase = 'analysing';
    const { diagnosis, learned } = await analysis.analyseError({
      operation: input.operation,
      signature: input.signature,
      error: input.error,
      policy: input.policy,
      context: input.context,
    });
    state.diagnosis = diagnosis;
    upsertSearchAttributes([
      { key: attributes.ERROR_CATEGORY, value: diagnosis.category },
      { key: attributes.ERROR_SEVERITY, value: diagnosis.severity },
    ]);
    await record(() => records.recordDiagnosis({ workflowId: input.workflowId, diagnosis }));

    if (input.appTaskQueue) {
      state.plan = planStrategies({ diagnosis, policy: input.policy, learned, random: Math.random() });
      await tryStrategiesInOrder(diagnosis);
    } else {
      state.result = 'skipped'; // reported only: nothing of the application's to re-run
    }
    // A queued run that did not work later on is a failure too; the caller already knows it was queued.
    if (state.result === 'pending' || state.result === 'queued') state.result = 'failed';
    tellCaller({ status: 'failed', reason: failureSummary() });
    await finish(diagnosis);
    return summary();
  } catch (error) {
    if (!isCancellation(error)) throw error;
    state.result = 'cancelled';
    tellCaller({ status: 'cancelled' });
    await CancellationScope.nonCancellable(() => finish(state.diagnosis));
    throw error;
  }

  async function tryStrategiesInOrder(diagnosis: Diagnosis): Promise<void> {
    state.phase = 'healing';
    for (const strategy of state.plan) {
      state.currentStrategy = strategy;
      upsertSearchAttributes([{ key: attributes.HEALING_STRATEGY, value: strategy }]);
      const outcome = (await approved(strategy))
        ? await executeStrategy(strategy, input, timing, onQueued)
        : ({ ok: false, reason: 'not approved by an operator' } as const);
      await logAttempt(strategy, outcome, diagnosis);
      if (outcome.ok) {
        state.result = resultOf(outcome.outcome);
        tellCaller(outcome.outcome);
        return;
      }
    }
  }

  async function onQueued(outcome: CallerOutcome): Promise<void> {
    state.phase = 'queued';
    state.result = 'queued';
    if (outcome.status === 'queued') state.nextRunAt = outcome.runAt;
    tellCaller(outcome);
    await record(() =>
      records.completeHealing({ workflowId: input.workflowId, result: 'queued', strategy: 'QUEUE_FOR_LATER', healingDurationMs: Date.now() - startedAt }),
    );
  }

  async function approved(strategy: Strategy): Promise<boolean> {
    if (!input.policy.requiresApproval?.includes(strategy)) return true;
    state.phase = 'awaiting-approval';
    approval = undefined;
    const decided = await condition(() => approval !== undefined, timing.approvalTimeoutMs);
    state.phase = 'healing';
    if (!decided) approvalTimedOut = true; // admins hear of it: a safer strategy was used instead
    return decided && approval!.approved;
  }

  async function logAttempt(strategy: Strategy, outcome: StrategyOutcome, diagnosis: Diagnosis): Promise<void> {
    const previous = state.attempts.at(-1);
    const attemptStarted = previous ? Date.parse(previous.at) : startedAt;
    const attempt: AttemptRecord = {
      id: `${input.workflowId}:${state.attempts.length + 1}`,
      strategy,
      result: outcome.ok ? resultOf(outcome.outcome) : 'failed',
      durationMs: Date.now() - attemptStarted,
      error: outcome.ok ? undefined : outcome.reason,
      at: new Date().toISOString(),
    };
    state.attempts.push(attempt);
    const writes = [record(() => records.recordAttempt({ workflowId: input.workflowId, attempt }))];
    if (!DEGRADED_STRATEGIES.includes(strategy)) writes.push(record(() => learn(attempt, outcome.ok, diagnosis)));
    await Promise.all(writes);
  }

  function learn(attempt: AttemptRecord, success: boolean, diagnosis: Diagnosis): Promise<void> {
    return records.learnOutcome({
        attemptId: attempt.id,
        signature: input.signature,
        strategy: attempt.strategy,
        success,
        healingMs: attempt.durationMs,
        diagnosis,
      });
  }

  async function finish(diagnosis: Diagnosis | undefined): Promise<void> {
    state.phase = 'notifying';
    upsertSearchAttributes([{ key: attributes.HEALING_OUTCOME, value: state.result }]);
    await record(() =>
      records.completeHealing({
        workflowId: input.workflowId,
        result: state.result,
        strategy: state.currentStrategy,
        healingDurationMs: Date.now() - startedAt,
      }),
    );
    // The health-check workflow alerts for its own faults, after N consecutive failures.
    if (input.notifyAdmins !== false) await alertAdmins(diagnosis);
    state.phase = 'done';
  }

  /** An alert for a critical or unhealed error; a recovery notice when a fault that alerted healed. */
  async function alertAdmins(diagnosis: Diagnosis | undefined): Promise<void> {
    if (needsNotification(diagnosis)) {
      await record(() =>
        alerts.notifyAdmins({
          notificationId: `${input.workflowId}:${state.result}`,
          workflowId: input.workflowId,
          operation: input.operation,
          signature: input.signature,
          errorMessage: input.error.message,
          diagnosis,
          strategiesTried: state.attempts.map((attempt) => attempt.strategy),
          result: state.result,
          reason: failureSummary(),
        }),
      );
    } else if (state.result === 'healed') {
      // Nearly always a single indexed lookup (this signature never alerted): a local activity.
      await record(() =>
        records.notifyRecoveryIfAlerted({
          signature: input.signature,
          workflowId: input.workflowId,
          operation: input.operation,
          strategy: state.currentStrategy,
        }),
      );
    }
  }

  function needsNotification(diagnosis: Diagnosis | undefined): boolean {
    const unhealed = state.result === 'failed' || state.result === 'cancelled';
    return unhealed || approvalTimedOut || diagnosis?.severity === 'critical';
  }

  function failureSummary(): string {
    if (approvalTimedOut && state.result !== 'failed') return 'approval timed out; a safer strategy was used';
    if (state.attempts.length === 0) return state.plan.length ? 'no strategy ran' : 'no applicable strategy';
    return state.attempts.map((attempt) => `${attempt.strategy}: ${attempt.error ?? attempt.result}`).join('; ');
  }

  function summary(): HealingSummary {
    return { result: state.result, strategy: state.currentStrategy, attempts: state.attempts, diagnosis: state.diagnosis };
  }
}

/** A strategy that worked either healed the call or (SKIP_OPERATION) skipped it. */
function resultOf(outcome: CallerOutcome): 'healed' | 'skipped' {
  return outcome.status === 'skipped' ? 'skipped' : 'healed';
}
