// A healing run's audit trail (activities/audit.ts), as the workflow writes it. For a known fault
// the occurrence is not written on its own: the run's first record carries it (and the diagnosis),
// so a simple run writes once, after it knows its outcome, in the workflow task that answers its
// caller and completes the run. An unknown fault's occurrence is recorded while it is analysed.
// Records are never cancelled, and every one is awaited where it happens (local activities racing
// the main flow would make the order of commands depend on timing).
import { CancellationScope, proxyActivities, proxyLocalActivities, TemporalFailure } from '@temporalio/workflow';
import type { AttemptRecord, HealingInput } from '../common/healing-contract.js';
import type { Diagnosis, HealingResult, Strategy } from '../common/types.js';
import type { SelfHealingActivities } from '../activities/index.js';
import type { OccurrenceRecord, RecordOutcomeInput, RecordOutcomeResult } from '../activities/audit.js';
import type { LearnOutcomeInput } from '../activities/learning.js';

// Before the caller's answer: local activities that retry until the database answers (the caller
// waits for them, as it would for the strategy they precede).
const waited = proxyLocalActivities<SelfHealingActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});
// With the caller's answer: a workflow task that runs local activities completes (and with it the
// update that answers the caller) only once they have finished, so these get one short try. If the
// database does not answer in time, the answer leaves and the same record goes on as a regular
// activity that retries until it does (visible in the UI; the writes are idempotent).
const quick = proxyLocalActivities<SelfHealingActivities>({
  scheduleToCloseTimeout: '2s',
  retry: { maximumAttempts: 1 },
});
const durable = proxyActivities<SelfHealingActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
  summary: 'record outcome (the database did not answer at once)',
});

/** A record that has not been written yet is written by whoever comes next. */
export class HealingRecords {
  /** The occurrence, until a record carries it. */
  private occurrence: OccurrenceRecord | undefined;
  private diagnosisRecorded = false;

  constructor(
    private readonly input: HealingInput,
    runId: string,
  ) {
    const { workflowId, operation, error, signature, context, detectedAt } = input;
    this.occurrence = { workflowId, operation, error, signature, context, detectedAt, runId };
  }

  /**
   * While an unknown fault is analysed (which may take an LLM's time), the occurrence is recorded
   * beside it: both are issued in this activation and both are awaited, whatever happens to the
   * analysis, before anything else is issued.
   */
  async occurrenceWhile<T>(analysis: () => Promise<T>): Promise<T> {
    const occurrence = this.takeOccurrence(undefined);
    const recorded = occurrence && keep(() => waited.recordOccurrence(occurrence));
    const analysed = analysis();
    try {
      return await analysed;
    } finally {
      await recorded; // also when the analysis failed or was cancelled: the record comes first
    }
  }

  /** Before a strategy that may wait (an operator, Retry-After, the queue): occurrence and diagnosis now. */
  async occurrenceNow(diagnosis: Diagnosis): Promise<void> {
    const occurrence = this.takeOccurrence(diagnosis);
    const unrecorded = this.unrecordedDiagnosis(diagnosis);
    if (occurrence) await keep(() => waited.recordOccurrence(occurrence));
    else if (unrecorded)
      await keep(() => waited.recordDiagnosis({ workflowId: this.input.workflowId, diagnosis: unrecorded }));
  }

  /** A failed attempt, before the next strategy: recorded and learned together. */
  async failedAttempt(attempt: AttemptRecord, diagnosis: Diagnosis, learn: boolean): Promise<void> {
    const occurrence = this.takeOccurrence(diagnosis);
    const learning = learn ? this.learning(attempt, false, diagnosis) : undefined;
    const recorded = {
      workflowId: this.input.workflowId,
      attempt,
      occurrence,
      learning,
      diagnosis: this.unrecordedDiagnosis(diagnosis),
    };
    await keep(() => waited.recordAttempt(recorded));
  }

  /**
   * The outcome of the run with its deciding attempt, learned when `success` is known. Resolves
   * with the record's answer once written, or undefined when the database did not answer at once;
   * `written` then resolves when the durable retry has written it.
   */
  async outcome(
    outcome: { result: HealingResult; strategy?: Strategy; healingDurationMs: number; recoveryCheck: boolean },
    diagnosis: Diagnosis | undefined,
    decisive?: { attempt: AttemptRecord; success: boolean; learn: boolean },
  ): Promise<{ now?: RecordOutcomeResult; written: Promise<RecordOutcomeResult> }> {
    const record: RecordOutcomeInput = {
      workflowId: this.input.workflowId,
      result: outcome.result,
      strategy: outcome.strategy,
      healingDurationMs: outcome.healingDurationMs,
      attempt: decisive?.attempt,
      recoveryCheck: outcome.recoveryCheck ? { signature: this.input.signature } : undefined,
      diagnosis,
      occurrence: this.takeOccurrence(diagnosis),
      learning: decisive?.learn && diagnosis ? this.learning(decisive.attempt, decisive.success, diagnosis) : undefined,
    };
    return quickThenDurable(
      () => quick.recordOutcome(record),
      () => durable.recordOutcome(record),
    );
  }

  /** A queued call (QUEUE_FOR_LATER), once its caller was told. */
  async queued(healingDurationMs: number): Promise<void> {
    const record = {
      workflowId: this.input.workflowId,
      result: 'queued' as const,
      strategy: 'QUEUE_FOR_LATER' as const,
      healingDurationMs,
    };
    const { written } = await quickThenDurable(
      () => quick.completeHealing(record),
      () => durable.completeHealing(record),
    );
    await written;
  }

  private takeOccurrence(diagnosis: Diagnosis | undefined): (OccurrenceRecord & { diagnosis?: Diagnosis }) | undefined {
    const occurrence = this.occurrence;
    this.occurrence = undefined;
    if (occurrence && diagnosis) this.diagnosisRecorded = true;
    return occurrence && { ...occurrence, diagnosis };
  }

  /** The diagnosis, the first time a record carries it. */
  private unrecordedDiagnosis(diagnosis: Diagnosis): Diagnosis | undefined {
    if (this.diagnosisRecorded) return undefined;
    this.diagnosisRecorded = true;
    return diagnosis;
  }

  private learning(attempt: AttemptRecord, success: boolean, diagnosis: Diagnosis): LearnOutcomeInput {
    return {
      attemptId: attempt.id,
      signature: this.input.signature,
      strategy: attempt.strategy,
      success,
      healingMs: attempt.durationMs,
      diagnosis,
    };
  }
}

/** One short try (see `quick`); if it fails, the durable write starts and `written` waits for it. */
function quickThenDurable<T>(
  quickWrite: () => Promise<T>,
  durableWrite: () => Promise<T>,
): Promise<{ now?: T; written: Promise<T> }> {
  return keep(async () => {
    try {
      const now = await quickWrite();
      return { now, written: Promise.resolve(now) };
    } catch (error) {
      // A failed local activity throws its failure (an ApplicationFailure, a TimeoutFailure…);
      // anything else is a bug of this code, which fails the workflow task.
      if (!(error instanceof TemporalFailure)) throw error;
      return { written: keep(durableWrite) };
    }
  });
}

/** Cancellation does not stop a record. */
function keep<T>(write: () => Promise<T>): Promise<T> {
  return CancellationScope.nonCancellable(write);
}
