// Audit trail activities: every occurrence, attempt and outcome lands in healing_events.
// Each is idempotent on the workflow id (and attempt id), so an activity retry writes nothing twice.
import type { AttemptRecord, HealingInput } from '../common/healing-contract.js';
import type { Diagnosis, HealingResult, Strategy } from '../common/types.js';
import { createHealingEvent, updateHealingEvent, type Database } from '../db/index.js';

export interface CompleteHealingInput {
  workflowId: string;
  result: HealingResult;
  strategy?: Strategy;
  healingDurationMs: number;
}

export function createAuditActivities(db: Database) {
  return {
    async recordOccurrence(input: HealingInput & { runId: string }): Promise<void> {
      await createHealingEvent(db, {
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
      const { diagnosis } = input;
      await updateHealingEvent(db, input.workflowId, {
        diagnosis,
        diagnosisSource: diagnosis.source,
        category: diagnosis.category,
        severity: diagnosis.severity,
      });
    },

    async recordAttempt(input: { workflowId: string; attempt: AttemptRecord }): Promise<void> {
      await updateHealingEvent(db, input.workflowId, { strategy: input.attempt.strategy, appendAttempt: input.attempt });
    },

    async completeHealing(input: CompleteHealingInput): Promise<void> {
      await updateHealingEvent(db, input.workflowId, {
        result: input.result,
        strategy: input.strategy,
        healingDurationMs: input.healingDurationMs,
      });
    },
  };
}
