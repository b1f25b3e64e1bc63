// The healing workflow: one run per error occurrence. It reads like the runbook:
// analyse → plan → (record, before a wait) → try strategies in order of promise → record and
// learn → answer → notify. A fault the caller's client knows (HealingInput.known: what a previous run of it
// told it) is planned at once: a simple heal is then two workflow tasks, the re-run scheduled by
// the first, and the outcome recorded and learned (one local activity, which also records the
// occurrence), the caller answered and the run closed by the second.
import {
  condition,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  CancellationScope,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import {
  approvalSignal,
  DEFAULT_HEALING_TIMING,
  healingStateQuery,
  isKnownFault,
  type AttemptRecord,
  type CallerOutcome,
  type HealingInput,
  type HealingState,
  type HealingSummary,
  type HealingTiming,
  type KnownFault,
} from '../common/healing-contract.js';
import { faultFacts } from '../common/rules.js';
import * as attributes from '../common/search-attributes.js';
import { needsApproval, STRATEGY_MODULES, type StrategyOutcome } from '../common/strategies/index.js';
import { planStrategies, type StrategyPlan } from '../common/strategies/planner.js';
import type { Diagnosis, Strategy } from '../common/types.js';
import type { SelfHealingActivities } from '../activities/index.js';
import type { AnalysisResult, RecurringFault } from '../activities/analysis.js';
import { CallerAnswer } from './caller-answer.js';
import { HealingRecords } from './healing-records.js';
import { showDetails } from './run-details.js';
import { executeStrategy } from './strategy-execution.js';

// The analysis of a fault the client did not know: a short call on this worker (a local activity).
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
// A recovery notice is due only after an alert of the fault: a short local activity, then.
const notices = proxyLocalActivities<SelfHealingActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});

export async function healingWorkflow(input: HealingInput): Promise<HealingSummary> {
  const startedAt = Date.now();
  const timing: HealingTiming = { ...DEFAULT_HEALING_TIMING, ...input.timing };
  const state: HealingState = { phase: 'analysing', plan: [], attempts: [], result: 'pending' };
  const caller = new CallerAnswer(input.callerWaitMs);
  const records = new HealingRecords(input, workflowInfo().runId);
  const known = isKnownFault(input.known) && !mustBeChecked(input, input.known) ? input.known : undefined;
  let approval: { approved: boolean } | undefined;
  let approvalTimedOut = false;
  /** The attempt that ended the run, with the answer it gives: recorded and learned with the outcome. */
  let decisive: { attempt: AttemptRecord; answer: CallerOutcome } | undefined;
  /** Search attributes not upserted yet: they go with the next upsert (one history event for several). */
  let unsaid: SearchAttributeUpdatePair[] = [];

  setHandler(healingStateQuery, () => state);
  setHandler(approvalSignal, (decision) => void (approval = decision));

  try {
    // Analyse: a fault the client knows is planned from what it was told, with no activity before
    // its first strategy; an unknown one is analysed (and its occurrence recorded meanwhile).
    const analyse = () => analysis.analyseError(analysisInput());
    const { diagnosis, learned, recurrence }: AnalysisResult = known ?? (await records.occurrenceWhile(analyse));
    state.diagnosis = diagnosis;
    const plan = planFor(diagnosis, learned, recurrence);
    await beforeFirstStrategy(diagnosis);
    if (input.appTaskQueue) await tryStrategiesInOrder(diagnosis, plan);
    else state.result = 'skipped'; // reported only: nothing of the application's to re-run
    // A queued run that did not work later on is a failure too; the caller already knows it was queued.
    if (state.result === 'pending' || state.result === 'queued') state.result = 'failed';
    await finish(diagnosis, recurrence); // record and learn, answer the caller, notify
    return summary();
  } catch (error) {
    if (!isCancellation(error)) throw error;
    state.result = 'cancelled';
    caller.tell({ status: 'cancelled' });
    await CancellationScope.nonCancellable(() => finish(state.diagnosis));
    throw error;
  }

  function planFor(diagnosis: Diagnosis, learned: KnownFault['learned'], recurrence?: RecurringFault): StrategyPlan {
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
    return plan;
  }

  /**
   * Before a first strategy that may wait (an operator, Retry-After, the queue) the run is made
   * findable and its occurrence recorded now; otherwise both go with the outcome. A known fault's
   * category and severity were set at the start by the client.
   */
  async function beforeFirstStrategy(diagnosis: Diagnosis): Promise<void> {
    if (!known) {
      say(
        { key: attributes.ERROR_CATEGORY, value: diagnosis.category },
        { key: attributes.ERROR_SEVERITY, value: diagnosis.severity },
      );
    }
    if (state.plan[0]) say({ key: attributes.HEALING_STRATEGY, value: state.plan[0] });
    if (firstStrategyMayWait() || !known) sayNow();
    if (firstStrategyMayWait()) await records.occurrenceNow(diagnosis);
  }

  function analysisInput() {
    const { workflowId, operation, signature, detectedAt, error, policy, context } = input;
    return { workflowId, operation, signature, detectedAt, error, policy, context };
  }

  async function tryStrategiesInOrder(diagnosis: Diagnosis, plan: StrategyPlan): Promise<void> {
    for (const [index, strategy] of plan.strategies.entries()) {
      // Past the caller's deadline nothing re-runs the operation on its behalf: only the degraded
      // answers it opted into are left (they answer at once, or queue the call as it allowed).
      if (caller.remainingMs() <= 0 && !STRATEGY_MODULES[strategy].degraded) continue;
      state.phase = 'healing';
      state.currentStrategy = strategy;
      showDetails(state);
      if (index > 0) {
        say({ key: attributes.HEALING_STRATEGY, value: strategy });
        sayNow();
      }
      const explored = plan.explored === strategy && index === 0;
      const outcome =
        needsApproval(strategy, input.policy) && !(await approved())
          ? ({ ok: false, reason: 'not approved by an operator' } as const)
          : await executeStrategy(strategy, input, timing, {
              remainingMs: () => caller.remainingMs(),
              tellQueued,
              explored,
            });
      const attempt = attemptOf(strategy, outcome, explored);
      if (outcome.ok) {
        state.result = resultOf(outcome.outcome);
        const answer = outcome.outcome;
        decisive = {
          attempt,
          answer: answer.status === 'healed' ? { ...answer, attempts: state.attempts.length } : answer,
        };
        return;
      }
      await records.failedAttempt(attempt, diagnosis, !STRATEGY_MODULES[strategy].degraded);
    }
  }

  async function tellQueued(runAt: string): Promise<void> {
    state.phase = 'queued';
    state.result = 'queued';
    state.nextRunAt = runAt;
    showDetails(state);
    caller.tell({ status: 'queued', strategy: 'QUEUE_FOR_LATER', runAt });
    await records.queued(Date.now() - startedAt);
  }

  /** Whether the first strategy waits before its outcome for more than the operation itself. */
  function firstStrategyMayWait(): boolean {
    const first = state.plan[0];
    return first !== undefined && (STRATEGY_MODULES[first].mayWait || needsApproval(first, input.policy));
  }

  /**
   * The outcome with its deciding attempt, learned, in one record (with the occurrence if no record
   * carried it yet); then the caller's answer, with what the run leaves known of its fault for the
   * next run of it; then the admins' notice if one is due.
   */
  async function finish(diagnosis: Diagnosis | undefined, recurrence?: RecurringFault): Promise<void> {
    state.phase = 'notifying';
    // The health-check workflow alerts for its own faults, after N consecutive failures.
    const notify = input.notifyAdmins !== false;
    const alert = notify && needsNotification(diagnosis);
    // A recurring fault alerts once per episode: the run given the episode's alert id does, whatever it did.
    const recurring = notify && recurrence?.alertId !== undefined;
    const recovery = notify && !alert && !recurring && state.result === 'healed';
    const learn = decisive !== undefined && !STRATEGY_MODULES[decisive.attempt.strategy].degraded;
    const last = decisive && { attempt: decisive.attempt, success: true, learn };
    const healingDurationMs = Date.now() - startedAt;
    const outcome = {
      result: state.result,
      strategy: state.currentStrategy,
      healingDurationMs,
      recoveryCheck: recovery,
    };
    const { now, written } = await records.outcome(outcome, diagnosis, last);
    const knownNow = now?.known ? { known: now.known } : {};
    const failed = { status: 'failed', reason: failureSummary(), attempts: state.attempts.length } as const;
    caller.tell({ ...(decisive?.answer ?? failed), ...knownNow });
    say({ key: attributes.HEALING_OUTCOME, value: state.result });
    sayNow();
    showDetails(state);
    const { recoveryMayBeDue } = await written;
    if (alert || recurring) await alertAdmins(diagnosis, recurring ? recurrence : undefined);
    else if (recovery && recoveryMayBeDue) await announceRecovery();
    state.phase = 'done';
    showDetails(state);
  }

  /** An operator's decision, waited for at most until the approval timeout or the caller's deadline. */
  async function approved(): Promise<boolean> {
    state.phase = 'awaiting-approval';
    showDetails(state);
    approval = undefined;
    const decided = await condition(
      () => approval !== undefined,
      Math.min(timing.approvalTimeoutMs, caller.remainingMs()),
    );
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

  /** Adds search attributes to the next upsert (a later value of the same key wins). */
  function say(...pairs: SearchAttributeUpdatePair[]): void {
    unsaid = [...unsaid.filter((said) => !pairs.some((pair) => pair.key.name === said.key.name)), ...pairs];
  }

  /** Upserts what is unsaid (one history event). */
  function sayNow(): void {
    if (unsaid.length) upsertSearchAttributes(unsaid);
    unsaid = [];
  }

  /** An alert for a critical or unhealed error, or for a recurring one (once per episode: its alert id). */
  async function alertAdmins(diagnosis: Diagnosis | undefined, recurrence?: RecurringFault): Promise<void> {
    await CancellationScope.nonCancellable(() =>
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
    await CancellationScope.nonCancellable(() =>
      notices.notifyRecoveryIfAlerted({
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
    return {
      result: state.result,
      strategy: state.currentStrategy,
      attempts: state.attempts,
      diagnosis: state.diagnosis,
    };
  }
}

/** A strategy that worked either healed the call or (SKIP_OPERATION) skipped it. */
function resultOf(outcome: CallerOutcome): 'healed' | 'skipped' {
  return outcome.status === 'skipped' ? 'skipped' : 'healed';
}

/**
 * An occurrence inside the window of its fault's latest heal must be checked against it (the
 * analysis does: db/heal-watches.ts), so the run does not plan from what its client knew.
 */
function mustBeChecked(input: HealingInput, known: KnownFault): boolean {
  if (!known.watch) return false;
  const detectedAt = Date.parse(input.detectedAt);
  const healedAt = Date.parse(known.watch.healedAt);
  const windowMs = (input.policy.recurrenceWindowMs ?? 0) > 0 ? input.policy.recurrenceWindowMs! : known.watch.windowMs;
  return detectedAt > healedAt && detectedAt <= healedAt + windowMs;
}
