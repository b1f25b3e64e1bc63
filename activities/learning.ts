// Learning: every attempt's outcome is counted per (signature, strategy), so the next
// occurrence of the same fault starts with what has worked best. A heal is then watched: if the
// fault comes back soon after, it did not hold (db/heal-watches.ts, checked by the analysis).
import type { Diagnosis, Strategy } from '../common/types.js';
import { upsertHealingPattern, watchHeal, type Database } from '../db/index.js';
import type { AnalysisCaches } from './analysis-cache.js';

export interface LearnOutcomeInput {
  /** Idempotency: the attempt id, so a retried activity does not count twice. */
  attemptId: string;
  signature: string;
  strategy: Strategy;
  success: boolean;
  healingMs: number;
  diagnosis: Diagnosis;
}

export function createLearningActivities(db: Database, analysisCaches: AnalysisCaches) {
  return {
    async learnOutcome(input: LearnOutcomeInput): Promise<void> {
      await upsertHealingPattern(db, {
        outcomeId: input.attemptId,
        signature: input.signature,
        strategy: input.strategy,
        category: input.diagnosis.category,
        success: input.success,
        healingMs: input.healingMs,
        diagnosis: input.diagnosis,
      });
      if (input.success)
        await watchHeal(db, { signature: input.signature, strategy: input.strategy, healAttempt: input.attemptId });
      analysisCaches.patterns.forget(input.signature); // the next occurrence should see what was just learned
    },
  };
}
