// Audit trail activities: every occurrence, attempt and outcome lands in healing_events.
// Each is idempotent on the workflow id (and attempt id), so an activity retry writes nothing twice.
// Each is one statement that reads nothing back: they run as local activities on every healing run.
import type { AttemptRecord, HealingInput } from '../common/healing-contract.js';
import type { Diagnosis, HealingResult, Strategy } from '../common/types.js';
import { updateHealingEvent, recordHealingEvent, recordHealingOutcome, type Database } from '../db/index.js';

/** What the audit trail keeps of a healing run's input (not its sealed arguments, policy or timing). */
export type OccurrenceRecord = Pick<HealingInput, 'workflowId' | 'operation' | 'error' | 'signature' | 'context' | 'detectedAt'> & {
  runId: string;
};

export interface CompleteHealingInput {
  workflowId: string;
  result: HealingResult;
  strategy?: Strategy;
  healingDurationMs: number;
}

export interface RecordAttemptInput {
  workflowId: string;
  attempt: AttemptRecord;
  /** The run's diagnosis, when it was not recorded before its first strategy (recordDiagnosis). */
  diagnosis?: Diagnosis;
}

export interface RecordOutcomeInput extends CompleteHealingInput {
  /** The attempt that decided the outcome (appended once, by its id); absent when none ran. */
  attempt?: AttemptRecord;
  /** Set when the run healed and may owe a recovery notice for this signature. */
  recoveryCheck?: { signature: string };
  /** The run's diagnosis, when no earlier record carried it. */
  diagnosis?: Diagnosis;
}

export interface RecordOutcomeResult {
  /** False: no alert of this signature can be recovered, notifyRecoveryIfAlerted has nothing to do. */
  recoveryMayBeDue: boolean;
}

export function createAuditActivities(db: Database) {
  return {
    async recordOccurrence(input: OccurrenceRecord): Promise<void> {
      await recordHealingEvent(db, {
        eventKey: input.workflowId,
        operation: input.operation,
        errorClass: input.error.name,
        errorMessage: input.error.message,
        errorStack: input.error.stack,
        errorCode: input.error.code,
        signature: input.signature,
        workflowId: input.workflowId,
        runId: input.runId,
        context: input.context,
        detectedAt: new Date(input.detectedAt),
      });
    },

    async recordDiagnosis(input: { workflowId: string; diagnosis: Diagnosis }): Promise<void> {
      await updateHealingEvent(db, input.workflowId, diagnosisColumns(input.diagnosis));
    },

    async recordAttempt(input: RecordAttemptInput): Promise<void> {
      await updateHealingEvent(db, input.workflowId, {
        ...diagnosisColumns(input.diagnosis),
        strategy: input.attempt.strategy,
        appendAttempt: input.attempt,
      });
    },

    async completeHealing(input: CompleteHealingInput): Promise<void> {
      await updateHealingEvent(db, input.workflowId, {
        result: input.result,
        strategy: input.strategy,
        healingDurationMs: input.healingDurationMs,
      });
    },

    /** The outcome of a run: its deciding attempt and its result in one statement (recordAttempt + completeHealing). */
    async recordOutcome(input: RecordOutcomeInput): Promise<RecordOutcomeResult> {
      const { recoveryMayBeDue } = await recordHealingOutcome(db, input.workflowId, {
        result: input.result,
        strategy: input.strategy,
        healingDurationMs: input.healingDurationMs,
        attempt: input.attempt,
        recoveryOf: input.recoveryCheck && { signature: input.recoveryCheck.signature, workflowId: input.workflowId },
        ...diagnosisColumns(input.diagnosis),
      });
      return { recoveryMayBeDue };
    },
  };
}

function diagnosisColumns(diagnosis: Diagnosis | undefined) {
  if (!diagnosis) return {};
  return { diagnosis, diagnosisSource: diagnosis.source, category: diagnosis.category, severity: diagnosis.severity };
}
