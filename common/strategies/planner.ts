// The plan of a healing run: which strategies to try, in which order. Pure and deterministic
// (the workflow passes its own Math.random()).
import type { Diagnosis, Strategy } from '../types.js';
import { fittingStrategies, isStrategyApplicable, STRATEGY_MODULES } from './index.js';
import { needsApproval, type OperationPolicy } from './policy.js';
import type { FaultFacts } from './strategy.js';

/** What was learned about one strategy for one signature (healing_patterns). */
export interface LearnedStrategyStats {
  strategy: Strategy;
  confidence: number;
  successCount: number;
  failureCount: number;
  /** Failures since its last success. */
  consecutiveFailures: number;
  /** Mean time to heal over its successes; null before the first. */
  avgHealingMs: number | null;
  /** Heals that did not hold (the fault recurred soon after); absent in runs recorded before heals were checked. */
  recurrences?: number;
}

/**
 * The successes a strategy is credited with: a plain re-run's heal that the fault outlived hid
 * it, and is not learned as its cure; a strategy that addresses the cause keeps the credit (the
 * database's confidence follows the same rule: confidenceOf in db/healing-patterns.ts).
 */
function creditedHeals(entry: LearnedStrategyStats): number {
  if (STRATEGY_MODULES[entry.strategy].addressesCause) return entry.successCount;
  return Math.max(0, entry.successCount - (entry.recurrences ?? 0));
}

/** A learned strategy at least this confident, with a success and no failure since, goes first. */
export const LEARNED_CONFIDENCE_THRESHOLD = 0.5;
/** The best strategy's success ratio at or above which nothing else is explored. */
export const RELIABLE_SUCCESS_RATIO = 0.9;
/** A strategy slower than this many times the best one's mean is never explored on a caller. */
const SLOW_FACTOR = 2;
export const DEFAULT_EXPLORATION_RATE = 0.1;

export interface PlanInput {
  diagnosis: Pick<Diagnosis, 'recommendedStrategy' | 'fallbackStrategies'>;
  fault: FaultFacts;
  policy: OperationPolicy;
  learned: LearnedStrategyStats[];
  /** In [0, 1): the workflow's deterministic Math.random(). */
  random: number;
  /** Probability of exploring, when exploring is allowed at all. */
  explorationRate?: number;
  /** A caller waits for this run: strategies that may wait (timers, operators) are not explored. */
  callerWaits: boolean;
  /** The fault keeps coming back after its heals: strategies that address its cause go first, nothing is explored. */
  recurring?: boolean;
}

export interface StrategyPlan {
  strategies: Strategy[];
  /** Set when exploration put this strategy first. */
  explored?: Strategy;
  /** The learned strategy that goes first because of its record. */
  learnedBest?: Strategy;
}

/**
 * Orders every applicable strategy, each once:
 *  1. learned strategies that work (a success, none failed since, confident enough), best first;
 *  2. the diagnosis' recommendation, then its fallbacks;
 *  3. the other strategies that fit the fault, by their rank (registered capabilities first);
 *  4. strategies that never healed this signature (failed 3 times or more);
 *  5. degraded answers the operation opted into (cache, default, queue, skip), always last.
 * For a recurring fault, the strategies of 1-3 that address its cause go before the others.
 * Exploration (probability `explorationRate`) puts a less tried strategy first, only once a working
 * strategy is known and while the best one is not reliable, and never a strategy known to fail or
 * to be slow, nor one that may wait on a waiting caller.
 */
export function planStrategies(input: PlanInput): StrategyPlan {
  const { fault, policy } = input;
  const applicable = (strategy: Strategy) => isStrategyApplicable(strategy, policy, fault);
  const learned = input.learned.filter(
    (entry) => applicable(entry.strategy) && !STRATEGY_MODULES[entry.strategy].degraded,
  );
  const working = learned
    .filter(
      (entry) =>
        creditedHeals(entry) > 0 && entry.consecutiveFailures === 0 && entry.confidence >= LEARNED_CONFIDENCE_THRESHOLD,
    )
    .sort(
      (a, b) =>
        b.confidence - a.confidence || b.successCount - a.successCount || (a.avgHealingMs ?? 0) - (b.avgHealingMs ?? 0),
    );
  const neverHealed = new Set(
    learned.filter((entry) => entry.successCount === 0 && entry.failureCount >= 3).map((entry) => entry.strategy),
  );

  const candidates = [
    ...working.map((entry) => entry.strategy),
    input.diagnosis.recommendedStrategy,
    ...input.diagnosis.fallbackStrategies,
    ...fittingStrategies(fault, policy),
  ].filter((strategy) => applicable(strategy) && !neverHealed.has(strategy));
  const ordered = [...new Set(candidates)];
  const promising = ordered.filter((s) => !STRATEGY_MODULES[s].degraded);
  const real = [...(input.recurring ? causeFirst(promising) : promising), ...neverHealed];
  const degraded = ordered.filter((s) => STRATEGY_MODULES[s].degraded);
  const strategies = [...real, ...degraded];

  const best = working[0];
  const plan: StrategyPlan = {
    strategies,
    ...(best && strategies[0] === best.strategy ? { learnedBest: best.strategy } : {}),
  };
  const explored = best && !input.recurring && explorationCandidate(input, best, real, learned);
  if (!explored) return plan;
  return { strategies: [explored, ...strategies.filter((s) => s !== explored)], explored };
}

/** Strategies that address the cause first, each group in its order. */
function causeFirst(strategies: Strategy[]): Strategy[] {
  const addressing = strategies.filter((s) => STRATEGY_MODULES[s].addressesCause);
  return [...addressing, ...strategies.filter((s) => !STRATEGY_MODULES[s].addressesCause)];
}

/** The strategy to explore on this run, if exploring is allowed and the dice say so. */
function explorationCandidate(
  input: PlanInput,
  best: LearnedStrategyStats,
  real: Strategy[],
  learned: LearnedStrategyStats[],
): Strategy | undefined {
  const rate = input.explorationRate ?? DEFAULT_EXPLORATION_RATE;
  const bestRatio = creditedHeals(best) / (best.successCount + best.failureCount);
  if (input.random >= rate || bestRatio >= RELIABLE_SUCCESS_RATIO) return undefined;
  const stats = new Map(learned.map((entry) => [entry.strategy, entry]));
  const tries = (s: Strategy) => (stats.get(s)?.successCount ?? 0) + (stats.get(s)?.failureCount ?? 0);
  const explorable = real.filter((strategy) => {
    const known = stats.get(strategy);
    // Known bad: it failed the last time it was tried (or never healed this signature).
    if (strategy === best.strategy || (known && known.consecutiveFailures > 0)) return false;
    if (known?.avgHealingMs && best.avgHealingMs && known.avgHealingMs > SLOW_FACTOR * best.avgHealingMs) return false;
    return !(input.callerWaits && (STRATEGY_MODULES[strategy].mayWait || needsApproval(strategy, input.policy)));
  });
  if (explorable.length === 0) return undefined;
  const fewest = Math.min(...explorable.map(tries));
  const leastTried = explorable.filter((s) => tries(s) === fewest);
  return leastTried[Math.min(leastTried.length - 1, Math.floor((input.random / rate) * leastTried.length))];
}
