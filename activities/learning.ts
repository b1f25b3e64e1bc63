// Learning: every attempt's outcome is counted per (signature, strategy), so the next
// occurrence of the same fault starts with what has worked best. A heal is then watched: if the
// fault comes back soon after, it did not hold (db/heal-watches.ts, checked by the analysis).
import type { Diagnosis, Strategy } from '../common/types.js';
import { upsertHealingPattern, watchHeal, type Database } from '../db/index.js';

export interface LearnOutcomeInput {
  /** Idempotency: the attempt id, so a retried activity does not count twice. */
  attemptId: string;
  signature: string;
  strategy: Strategy;
  success: boolean;
  healingMs: number;
  diagnosis: Diagnosis;
}

/**
 * Counts the outcome (once per attempt id) and watches a heal: one statement each, side by side
 * (different tables, each idempotent). The caller then forgets the signature's cached patterns.
 */
export async function learnOutcome(db: Database, input: LearnOutcomeInput): Promise<void> {
  const counted = upsertHealingPattern(db, {
    outcomeId: input.attemptId,
    signature: input.signature,
    strategy: input.strategy,
    category: input.diagnosis.category,
    success: input.success,
    healingMs: input.healingMs,
    diagnosis: input.diagnosis,
  });
  const watched =
    input.success &&
    watchHeal(db, { signature: input.signature, strategy: input.strategy, healAttempt: input.attemptId });
  await Promise.all([counted, watched]);
}
