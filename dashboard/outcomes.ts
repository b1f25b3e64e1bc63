// One classification of healing results, used by the API and, through /api/meta, by every tile,
// chart and badge of the page: a cancelled run is never "not healed" in one place and uncounted in
// another. `healed` plus `not-healed` are the results with a verdict, which the success rate divides by.
import type { HealingResult } from '../common/types.js';

export const OUTCOMES = {
  /** The operation succeeded after healing. */
  healed: ['healed'],
  /** Healing ended without the operation succeeding: it failed, or SKIP_OPERATION skipped it. */
  'not-healed': ['failed', 'skipped'],
  /** Still healing, or queued for a later try. */
  open: ['pending', 'queued'],
  /** Ended with no verdict: cancelled by an operator, joined another run, not started, or failed fast (breaker open). */
  'no-verdict': ['cancelled', 'joined', 'not-started', 'breaker-open'],
} as const satisfies Record<string, readonly HealingResult[]>;

export type Outcome = keyof typeof OUTCOMES;

export function countByOutcome(byResult: Record<HealingResult, number>): Record<Outcome, number> {
  const sum = (results: readonly HealingResult[]) => results.reduce((total, result) => total + byResult[result], 0);
  return {
    healed: sum(OUTCOMES.healed),
    'not-healed': sum(OUTCOMES['not-healed']),
    open: sum(OUTCOMES.open),
    'no-verdict': sum(OUTCOMES['no-verdict']),
  };
}

/** A group of events (a category, a strategy) split the same way; open and no-verdict share `unresolved`. */
export function groupOutcomes(group: { count: number; healed: number; resolved: number }) {
  return { healed: group.healed, notHealed: group.resolved - group.healed, unresolved: group.count - group.resolved };
}
