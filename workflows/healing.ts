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
  DEFAULT_HEALING_TIMING,
  healingStateQuery,
  type AttemptRecord,
  type CallerOutcome,
  type HealingInput,
  type HealingState,
  type HealingSummary,
  type HealingTiming,
} from '../common/healing-contract.js';
import { faultFacts } from '../common/rules.js';
import * as attributes from '../common/search-attributes.js';
import { needsApproval, STRATEGY_MODULES, type StrategyOutcome } from '../common/strategies/index.js';
import { planStrategies, type StrategyPlan } from '../common/strategies/planner.js';
import type { Diagnosis, Strategy } from '../common/types.js';
import type { SelfHealingActivities } from '../activities/index.js';
import type { AnalysisResult, RecurringFault } from '../activities/analysis.js';
import type { OccurrenceRecord } from '../activities/audit.js';
import { CallerAnswer } from './caller-answer.js';
import { executeStrategy } from './strategy-execution.js';

// Records and analysis are short calls on this worker: local activities spare the server a round
// trip per step (they are what makes error-to-healed fast). Records retry until the database
// answers, so nothing is lost in an outage. A workflow task that runs local activities completes
// (and with it the update that answers the caller) only once they have all finished: so the run
// has as few of them as it can before the caller's answer, and none between that answer and the
// end of its workflow task (see CallerAnswer.flush).
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
  const caller = new CallerAnswer(input.callerWaitMs);
  let approval: { approved: boolean } | undefined;
  let approvalTimedOut = false;
  /** The attempt that ended the run: recorded (and learned) with the outcome, after the caller's answer. */
  let decisive: { attempt: AttemptRecord; success: boolean } | undefined;
  /** A diagnosis that the next record carries (see firstStrategyMayWait). */
  let unrecordedDiagnosis: Diagnosis | undefined;
  /** The diagnosis for the record about to be written, once. */
  const diagnosisToRecord = () => {
    const diagnosis = unrecordedDiagnosis;
    unrecordedDiagnosis = undefined;
    return diagnosis;
  };

  setHandler(healingStateQuery, () => state);
  setHandler(approvalSignal, (decision) => void (approval = decision));

  // Every record is awaited where it happens: records running beside the main flow would make
  // the order of commands depend on when local activities finish, which replay cannot reproduce.
  // Cancellation does not stop a record.
  const record = <T>(write: () => Promise<T>): Promise<T> => CancellationScope.nonCancellable(write);

  try {
    const { diagnosis, learned, recurrence } = await recordAndAnalyse();
    state.diagnosis = diagnosis;
    const plan: StrategyPlan = input.appTaskQueue
      ? planStrategies({
          diagnosis,
          fault: faultFacts(diagnosis, input.error, input.operation),
          policy: input.policy,
          learned,
          random: Math.random(),
          callerWaits: input.callerWaitMs !== undefined,
          recurring: recurrence?.escalated,
        })
      : { strategies: [] };
    state.plan = plan.strategies;
    state.explored = plan.explored;
    // One upsert for what is known now, the first strategy included (it starts in this workflow task).
    upsertSearchAttributes([
      { key: attributes.ERROR_CATEGORY, value: diagnosis.category },
      { key: attributes.ERROR_SEVERITY, value: diagnosis.severity },
      ...(state.plan[0] ? [{ key: attributes.HEALING_STRATEGY, value: state.plan[0] }] : []),
    ]);
    // Before a first strategy that may wait (an operator, Retry-After, the queue), the diagnosis is
    // recorded now; otherwise it goes with the next record, that of the first attempt or of the
    // outcome (one local activity less before the caller's answer).
    if (firstStrategyMayWait()) await record(() => records.recordDiagnosis({ workflowId: input.workflowId, diagnosis }));
    else unrecordedDiagnosis = diagnosis;

    if (input.appTaskQueue) {
      await tryStrategiesInOrder(diagnosis, plan);
    } else {
      state.result = 'skipped'; // reported only: nothing of the application's to re-run
    }
    // A queued run that did not work later on is a failure too; the caller already knows it was queued.
    if (state.result === 'pending' || state.result === 'queued') state.result = 'failed';
    caller.tell({ status: 'failed', reason: failureSummary(), attempts: state.attempts.length });
    await finish(diagnosis, decisive, recurrence);
    return summary();
  } catch (error) {
    if (!isCancellation(error)) throw error;
    state.result = 'cancelled';
    caller.tell({ status: 'cancelled' });
    await CancellationScope.nonCancellable(() => finish(state.diagnosis));
    throw error;
  }

  /**
   * The occurrence is recorded while the error is analysed (a slow LLM never delays the record):
   * both are issued in this activation and both are awaited, whatever happens to the analysis,
   * before anything else is issued.
   */
  async function recordAndAnalyse(): Promise<AnalysisResult> {
    const occurrence: OccurrenceRecord = {
      workflowId: input.workflowId,
      operation: input.operation,
      error: input.error,
      signature: input.signature,
      context: input.context,
      detectedAt: input.detectedAt,
      runId: workflowInfo().runId,
    };
    const recorded = record(() => records.recordOccurrence(occurrence));
    state.phase = 'analysing';
    const analysed = analysis.analyseError({
      workflowId: input.workflowId,
      operation: input.operation,
      signature: input.signature,
      detectedAt: input.detectedAt,
      error: input.error,
      policy: input.policy,
      context: input.context,
    });
    try {
      return await analysed;
    } finally {
      await recorded; // also when the analysis failed or was cancelled: the record comes first
    }
  }

  async function tryStrategiesInOrder(diagnosis: Diagnosis, plan: StrategyPlan): Promise<void> {
    state.phase = 'healing';
    for (const [index, strategy] of plan.strategies.entries()) {
      // Past the caller's deadline nothing re-runs the operation on its behalf: only the degraded
      // answers it opted into are left (they answer at once, or queue the call as it allowed).
      if (caller.remainingMs() <= 0 && !STRATEGY_MODULES[strategy].degraded) continue;
      state.currentStrategy = strategy;
      if (index > 0) upsertSearchAttributes([{ key: attributes.HEALING_STRATEGY, value: strategy }]);
      const explored = plan.explored === strategy && index === 0;
      const outcome = needsApproval(strategy, input.policy) && !(await approved())
        ? ({ ok: false, reason: 'not approved by an operator' } as const)
        : await executeStrategy(strategy, input, timing, { remainingMs: () => caller.remainingMs(), tellQueued, explored });
      const attempt = attemptOf(strategy, outcome, explored);
      if (outcome.ok) {
        state.result = resultOf(outcome.outcome);
        caller.tell(outcome.outcome.status === 'healed' ? { ...outcome.outcome, attempts: state.attempts.length } : outcome.outcome);
        decisive = { attempt, success: true };
        return;
      }
      await logAttempt(attempt, diagnosis);
    }
  }

  async function tellQueued(runAt: string): Promise<void> {
    state.phase = 'queued';
    state.result = 'queued';
    state.nextRunAt = runAt;
    caller.tell({ status: 'queued', strategy: 'QUEUE_FOR_LATER', runAt });
    await caller.flush();
    await record(() =>
      records.completeHealing({ workflowId: input.workflowId, result: 'queued', strategy: 'QUEUE_FOR_LATER', healingDurationMs: Date.now() - startedAt }),
    );
  }

  /** Whether the first strategy waits before its outcome for more than the operation itself. */
  function firstStrategyMayWait(): boolean {
    const first = state.plan[0];
    return first !== undefined && (STRATEGY_MODULES[first].mayWait || needsApproval(first, input.policy));
  }

  /** An operator's decision, waited for at most until the approval timeout or the caller's deadline. */
  async function approved(): Promise<boolean> {
    state.phase = 'awaiting-approval';
    approval = undefined;
    const decided = await condition(() => approval !== undefined, Math.min(timing.approvalTimeoutMs, caller.remainingMs()));
    state.phase = 'healing';
    if (!decided) approvalTimedOut = true; // admins hear of it: a safer strategy was used instead
    return decided && approval!.approved;
  }

  function attemptOf(strategy: Strategy, outcome: StrategyOutcome, explored: boolean): AttemptRecord {
    const previous = state.attempts.at(-1);
    const attemptStarted = previous ? Date.parse(previous.at) : startedAt;
    const attempt: AttemptRecord = {
      id: `${input.workflowId}:${state.attempts.length + 1}`,
      strategy,
      result: outcome.ok ? resultOf(outcome.outcome) : 'failed',
      durationMs: Date.now() - attemptStarted,
      error: outcome.ok ? undefined : outcome.reason,
      at: new Date().toISOString(),
      ...(explored ? { explored } : {}),
    };
    state.attempts.push(attempt);
    return attempt;
  }

  /** A failed attempt, before the next strategy: recorded and learned at the same time. */
  async function logAttempt(attempt: AttemptRecord, diagnosis: Diagnosis): Promise<void> {
    const recorded = { workflowId: input.workflowId, attempt, diagnosis: diagnosisToRecord() };
    const writes = [record(() => records.recordAttempt(recorded))];
    if (!STRATEGY_MODULES[attempt.strategy].degraded) writes.push(record(() => learn(attempt, false, diagnosis)));
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

  /**
   * After the caller's answer: the outcome (with the deciding attempt) in one record, the deciding
   * attempt learned beside it, then the admins' notice if one is due.
   */
  async function finish(
    diagnosis: Diagnosis | undefined,
    last?: { attempt: AttemptRecord; success: boolean },
    recurrence?: RecurringFault,
  ): Promise<void> {
    state.phase = 'notifying';
    const healingDurationMs = Date.now() - startedAt;
    upsertSearchAttributes([{ key: attributes.HEALING_OUTCOME, value: state.result }]);
    await caller.flush();
    // The health-check workflow alerts for its own faults, after N consecutive failures.
    const notify = input.notifyAdmins !== false;
    const alert = notify && needsNotification(diagnosis);
    // A recurring fault alerts once per episode: the run given the episode's alert id does, whatever it did.
    const recurring = notify && recurrence?.alertId !== undefined;
    const recovery = notify && !alert && !recurring && state.result === 'healed';
    const recorded = {
      workflowId: input.workflowId,
      result: state.result,
      strategy: state.currentStrategy,
      healingDurationMs,
      attempt: last?.attempt,
      recoveryCheck: recovery ? { signature: input.signature } : undefined,
      diagnosis: diagnosisToRecord(),
    };
    const outcome = record(() => records.recordOutcome(recorded));
    const learning =
      last && diagnosis && !STRATEGY_MODULES[last.attempt.strategy].degraded && record(() => learn(last.attempt, last.success, diagnosis));
    const [{ recoveryMayBeDue }] = await Promise.all([outcome, learning]);
    if (alert || recurring) await alertAdmins(diagnosis, recurring ? recurrence : undefined);
    else if (recovery && recoveryMayBeDue) await announceRecovery();
    state.phase = 'done';
  }

  /** An alert for a critical or unhealed error, or for a recurring one (once per episode: its alert id). */
  async function alertAdmins(diagnosis: Diagnosis | undefined, recurrence?: RecurringFault): Promise<void> {
    await record(() =>
      alerts.notifyAdmins({
        notificationId: recurrence?.alertId ?? `${input.workflowId}:${state.result}`,
        workflowId: input.workflowId,
        operation: input.operation,
        signature: input.signature,
        errorMessage: input.error.message,
        diagnosis,
        strategiesTried: state.attempts.map((attempt) => attempt.strategy),
        result: state.result,
        reason: failureSummary(),
        ...(recurrence ? { recurrence } : {}),
      }),
    );
  }

  /** A recovery notice when a fault that alerted healed (recordOutcome said one may be due): a local activity. */
  async function announceRecovery(): Promise<void> {
    await record(() =>
      records.notifyRecoveryIfAlerted({
        signature: input.signature,
        workflowId: input.workflowId,
        operation: input.operation,
        strategy: state.currentStrategy,
      }),
    );
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
