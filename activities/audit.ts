// Audit trail activities: every occurrence, attempt and outcome lands in healing_events, and what
// an attempt taught is learned (learning.ts) by the same call. Each is idempotent on the workflow
// id (and attempt id), so an activity retry writes nothing twice. A run's first record also
// carries its occurrence (inserted unless it exists), so that a simple run writes once, as it
// answers its caller: one local activity, whose statements (the run's row, the pattern, the heal
// watch: one each) run side by side, since the caller waits for them.
import type { AttemptRecord, HealingInput, KnownFault } from '../common/healing-contract.js';
import type { Diagnosis, HealingResult, Strategy } from '../common/types.js';
import {
  recordHealingEvent,
  recordHealingOutcome,
  updateHealingEvent,
  type Database,
  type NewHealingEvent,
} from '../db/index.js';
import { learnOutcome, type LearnOutcomeInput } from './learning.js';

/** What the audit trail keeps of a healing run's input (not its sealed arguments, policy or timing). */
export type OccurrenceRecord = Pick<
  HealingInput,
  'workflowId' | 'operation' | 'error' | 'signature' | 'context' | 'detectedAt'
> & {
  runId: string;
};

/** The occurrence and its diagnosis, carried by a run's first record. */
export type FirstRecord = OccurrenceRecord & { diagnosis?: Diagnosis };

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
  /** The occurrence, when this is the run's first record. */
  occurrence?: OccurrenceRecord;
  /** The attempt's outcome to learn (absent for degraded answers, which teach nothing). */
  learning?: LearnOutcomeInput;
}

export interface RecordOutcomeInput extends CompleteHealingInput {
  /** The attempt that decided the outcome (appended once, by its id); absent when none ran. */
  attempt?: AttemptRecord;
  /** Set when the run healed and may owe a recovery notice for this signature. */
  recoveryCheck?: { signature: string };
  /** The run's diagnosis, when no earlier record carried it. */
  diagnosis?: Diagnosis;
  /** The occurrence, when this is the run's first record. */
  occurrence?: OccurrenceRecord;
  /** The deciding attempt's outcome to learn; the result then carries the signature's known fault. */
  learning?: LearnOutcomeInput;
}

export interface RecordOutcomeResult {
  /** False: no alert of this signature can be recovered, notifyRecoveryIfAlerted has nothing to do. */
  recoveryMayBeDue: boolean;
  /** After learning: what the next run of this signature may plan from at once (CallerOutcome.known). */
  known?: KnownFault;
}

/** What the records need of the analysis (built in activities/index.ts). */
export interface AuditDependencies {
  /** Called once what a signature learned has committed: its cached patterns are stale. */
  learned(signature: string): void;
  knownFault(signature: string): Promise<KnownFault | undefined>;
}

export function createAuditActivities(db: Database, deps: AuditDependencies) {
  async function insertOccurrence(input: FirstRecord): Promise<void> {
    await recordHealingEvent(db, occurrenceRow(input));
  }

  /** Learns, then forgets what was cached of the signature: the next read sees what was learned. */
  async function learn(learning: LearnOutcomeInput | undefined): Promise<void> {
    if (!learning) return;
    await learnOutcome(db, learning);
    deps.learned(learning.signature);
  }

  return {
    /** The occurrence (with its diagnosis, when known): before a first strategy that may wait. */
    async recordOccurrence(input: FirstRecord): Promise<void> {
      await insertOccurrence(input);
    },

    async recordDiagnosis(input: { workflowId: string; diagnosis: Diagnosis }): Promise<void> {
      await updateHealingEvent(db, input.workflowId, diagnosisColumns(input.diagnosis));
    },

    async recordAttempt(input: RecordAttemptInput): Promise<void> {
      const attempt = async () => {
        if (input.occurrence) await insertOccurrence(input.occurrence);
        await updateHealingEvent(db, input.workflowId, {
          ...diagnosisColumns(input.diagnosis),
          strategy: input.attempt.strategy,
          appendAttempt: input.attempt,
        });
      };
      await Promise.all([attempt(), learn(input.learning)]); // different tables: side by side
    },

    async completeHealing(input: CompleteHealingInput): Promise<void> {
      await updateHealingEvent(db, input.workflowId, {
        result: input.result,
        strategy: input.strategy,
        healingDurationMs: input.healingDurationMs,
      });
    },

    /**
     * The outcome of a run: its deciding attempt and its result in one statement (recordAttempt +
     * completeHealing), which inserts the occurrence when no earlier record carried it; the attempt
     * learned beside it, and then what the next run of its signature may plan from.
     */
    async recordOutcome(input: RecordOutcomeInput): Promise<RecordOutcomeResult> {
      const outcome = recordHealingOutcome(
        db,
        input.workflowId,
        {
          result: input.result,
          strategy: input.strategy,
          healingDurationMs: input.healingDurationMs,
          attempt: input.attempt,
          recoveryOf: input.recoveryCheck && { signature: input.recoveryCheck.signature, workflowId: input.workflowId },
          ...diagnosisColumns(input.diagnosis),
        },
        input.occurrence && occurrenceRow(input.occurrence),
      );
      const learning = async () => {
        await learn(input.learning);
        return input.learning && deps.knownFault(input.learning.signature);
      };
      const [{ recoveryMayBeDue }, known] = await Promise.all([outcome, learning()]);
      return known ? { recoveryMayBeDue, known } : { recoveryMayBeDue };
    },
  };
}

/** The healing_events row of an occurrence (with its diagnosis, when known). */
function occurrenceRow(input: FirstRecord): NewHealingEvent {
  return {
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
    ...diagnosisColumns(input.diagnosis),
  };
}

function diagnosisColumns(diagnosis: Diagnosis | undefined) {
  if (!diagnosis) return {};
  return { diagnosis, diagnosisSource: diagnosis.source, category: diagnosis.category, severity: diagnosis.severity };
}
