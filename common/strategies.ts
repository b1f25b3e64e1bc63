// The healing strategy catalogue, what each one needs from an operation's policy, and the
// planner that orders the strategies to try. Imported by workflow code: pure and
// deterministic (randomness comes in as a parameter).
import { STRATEGIES, type Diagnosis, type Strategy } from './types.js';

export type StrategyHook = 'clearCache' | 'resetConnection' | 'rollback';

/** What the application declared about one operation (wrapped with self-healing). */
export interface OperationPolicy {
  operation: string;
  /** undefined = every applicable strategy. */
  allowedStrategies?: Strategy[];
  /** A previous result may be served (FALLBACK_TO_CACHE). */
  cacheable: boolean;
  /** The caller supplied a default value (USE_DEFAULT_VALUE). */
  hasDefaultValue: boolean;
  /** The operation must not be skipped (no SKIP_OPERATION). */
  critical: boolean;
  /** Other endpoints the operation can be run against (SWITCH_API_ENDPOINT). */
  alternateEndpoints: string[];
  /** Hooks the application registered (CLEAR_CACHE_AND_RETRY, RESET_CONNECTION, ROLLBACK_TRANSACTION). */
  hooks: Array<StrategyHook>;
  /** Strategies that need a human's approval (signal) before they run. */
  requiresApproval?: Strategy[];
}

export interface StrategyRequirements {
  /** policy.cacheable */
  cacheable?: true;
  /** policy.alternateEndpoints.length > 0 */
  alternateEndpoints?: true;
  /** policy.hooks includes it */
  hook?: StrategyHook;
  /** policy.hasDefaultValue */
  hasDefaultValue?: true;
  /** !policy.critical */
  notCritical?: true;
}

/** Temporal RetryPolicy-compatible defaults; durations in milliseconds. */
export interface StrategyRetrySettings {
  initialInterval: number;
  backoffCoefficient: number;
  maximumAttempts: number;
  maximumInterval: number;
}

export interface StrategyDefinition {
  strategy: Strategy;
  description: string;
  /** Runs the failed operation again (now, against another endpoint, after a hook, or later). */
  rerunsOperation: boolean;
  /** Always false: a permanent (non-transient) error is never re-run. */
  retriesOnPermanentError: false;
  requires: StrategyRequirements;
  /** For re-running strategies: how the re-runs are retried. Others: a single try (maximumAttempts 1). */
  retry: StrategyRetrySettings;
}

const SINGLE_TRY: StrategyRetrySettings = { initialInterval: 1_000, backoffCoefficient: 1, maximumAttempts: 1, maximumInterval: 1_000 };

export const STRATEGY_CATALOG: Readonly<Record<Strategy, StrategyDefinition>> = Object.freeze({
  RETRY_WITH_BACKOFF: {
    strategy: 'RETRY_WITH_BACKOFF',
    description: 'Run the operation again with exponential backoff.',
    rerunsOperation: true,
    retriesOnPermanentError: false,
    requires: {},
    retry: { initialInterval: 1_000, backoffCoefficient: 2, maximumAttempts: 3, maximumInterval: 30_000 },
  },
  RATE_LIMIT_BACKOFF: {
    strategy: 'RATE_LIMIT_BACKOFF',
    description: "Wait as long as the server asked (Retry-After) or back off generously, then run the operation again.",
    rerunsOperation: true,
    retriesOnPermanentError: false,
    requires: {},
    retry: { initialInterval: 5_000, backoffCoefficient: 2, maximumAttempts: 4, maximumInterval: 120_000 },
  },
  FALLBACK_TO_CACHE: {
    strategy: 'FALLBACK_TO_CACHE',
    description: 'Serve the last successful result cached for the same arguments.',
    rerunsOperation: false,
    retriesOnPermanentError: false,
    requires: { cacheable: true },
    retry: SINGLE_TRY,
  },
  SWITCH_API_ENDPOINT: {
    strategy: 'SWITCH_API_ENDPOINT',
    description: 'Run the operation against each alternate endpoint in turn.',
    rerunsOperation: true,
    retriesOnPermanentError: false,
    requires: { alternateEndpoints: true },
    retry: { initialInterval: 500, backoffCoefficient: 2, maximumAttempts: 2, maximumInterval: 5_000 },
  },
  CLEAR_CACHE_AND_RETRY: {
    strategy: 'CLEAR_CACHE_AND_RETRY',
    description: "Run the application's clearCache hook, then run the operation again.",
    rerunsOperation: true,
    retriesOnPermanentError: false,
    requires: { hook: 'clearCache' },
    retry: { initialInterval: 500, backoffCoefficient: 2, maximumAttempts: 2, maximumInterval: 5_000 },
  },
  RESET_CONNECTION: {
    strategy: 'RESET_CONNECTION',
    description: "Run the application's resetConnection hook (new pool/client), then run the operation again.",
    rerunsOperation: true,
    retriesOnPermanentError: false,
    requires: { hook: 'resetConnection' },
    retry: { initialInterval: 1_000, backoffCoefficient: 2, maximumAttempts: 3, maximumInterval: 15_000 },
  },
  ROLLBACK_TRANSACTION: {
    strategy: 'ROLLBACK_TRANSACTION',
    description: "Run the application's rollback hook, then run the operation (its transaction) again.",
    rerunsOperation: true,
    retriesOnPermanentError: false,
    requires: { hook: 'rollback' },
    retry: { initialInterval: 200, backoffCoefficient: 2, maximumAttempts: 3, maximumInterval: 5_000 },
  },
  USE_DEFAULT_VALUE: {
    strategy: 'USE_DEFAULT_VALUE',
    description: 'Give the caller the default value it supplied.',
    rerunsOperation: false,
    retriesOnPermanentError: false,
    requires: { hasDefaultValue: true },
    retry: SINGLE_TRY,
  },
  SKIP_OPERATION: {
    strategy: 'SKIP_OPERATION',
    description: 'Give up on this call without a result (never for critical operations).',
    rerunsOperation: false,
    retriesOnPermanentError: false,
    requires: { notCritical: true },
    retry: SINGLE_TRY,
  },
  QUEUE_FOR_LATER: {
    strategy: 'QUEUE_FOR_LATER',
    description: 'Tell the caller the call is queued, wait durably, then run the operation again.',
    rerunsOperation: true,
    retriesOnPermanentError: false,
    requires: {},
    retry: { initialInterval: 60_000, backoffCoefficient: 2, maximumAttempts: 5, maximumInterval: 3_600_000 },
  },
});

/** Same object as STRATEGY_CATALOG (British spelling). */
export const STRATEGY_CATALOGUE = STRATEGY_CATALOG;

/**
 * Default preference when nothing else decides: get the real result first (least invasive
 * first), then degraded results, then deferral, and skipping last.
 */
/** Strategies whose success is a degraded answer (not the operation's real result): never learned or explored. */
export const DEGRADED_STRATEGIES: readonly Strategy[] = Object.freeze(['USE_DEFAULT_VALUE', 'SKIP_OPERATION', 'QUEUE_FOR_LATER']);

export const SAFETY_ORDER: readonly Strategy[] = Object.freeze([
  'RETRY_WITH_BACKOFF',
  'RATE_LIMIT_BACKOFF',
  'SWITCH_API_ENDPOINT',
  'RESET_CONNECTION',
  'CLEAR_CACHE_AND_RETRY',
  'ROLLBACK_TRANSACTION',
  'FALLBACK_TO_CACHE',
  'QUEUE_FOR_LATER',
  'USE_DEFAULT_VALUE',
  'SKIP_OPERATION',
]);

const STRATEGY_SET: ReadonlySet<string> = new Set(STRATEGIES);

export function isStrategy(value: unknown): value is Strategy {
  return typeof value === 'string' && STRATEGY_SET.has(value);
}

/** Why `policy` does not let `strategy` run (empty when it does), for audit and explanations. */
export function unmetRequirements(strategy: Strategy, policy: OperationPolicy): string[] {
  if (!isStrategy(strategy)) return ['unknown strategy'];
  const reasons: string[] = [];
  const allowed = policy.allowedStrategies;
  if (Array.isArray(allowed) && !allowed.includes(strategy)) reasons.push('not in the allowed strategies');
  const requires = STRATEGY_CATALOG[strategy].requires;
  if (requires.cacheable && policy.cacheable !== true) reasons.push('operation is not cacheable');
  if (requires.alternateEndpoints && !(Array.isArray(policy.alternateEndpoints) && policy.alternateEndpoints.length > 0)) {
    reasons.push('no alternate endpoints');
  }
  if (requires.hook && !(Array.isArray(policy.hooks) && policy.hooks.includes(requires.hook))) {
    reasons.push(`no ${requires.hook} hook`);
  }
  if (requires.hasDefaultValue && policy.hasDefaultValue !== true) reasons.push('no default value');
  if (requires.notCritical && policy.critical !== false) reasons.push('operation is critical');
  return reasons;
}

/**
 * True when `strategy` may be tried: allowed by the policy, its requirements met, and it does
 * not re-run the operation after a permanent (non-transient) error.
 */
export function isStrategyApplicable(
  strategy: Strategy,
  policy: OperationPolicy,
  diagnosis: Pick<Diagnosis, 'transient'>,
): boolean {
  try {
    if (!isStrategy(strategy)) return false;
    if (STRATEGY_CATALOG[strategy].rerunsOperation && diagnosis?.transient !== true) return false;
    return unmetRequirements(strategy, policy).length === 0;
  } catch {
    return false;
  }
}

/** Every applicable strategy, in SAFETY_ORDER. */
export function applicableStrategies(policy: OperationPolicy, diagnosis: Pick<Diagnosis, 'transient'>): Strategy[] {
  return SAFETY_ORDER.filter((strategy) => isStrategyApplicable(strategy, policy, diagnosis));
}

/** True when the policy asks for a human's approval before `strategy` runs. */
export function needsApproval(strategy: Strategy, policy: OperationPolicy): boolean {
  return Array.isArray(policy.requiresApproval) && policy.requiresApproval.includes(strategy);
}

/** A policy with every optional capability off; `overrides` win. */
export function defaultOperationPolicy(operation: string, overrides: Partial<OperationPolicy> = {}): OperationPolicy {
  return {
    operation,
    cacheable: false,
    hasDefaultValue: false,
    critical: false,
    alternateEndpoints: [],
    hooks: [],
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// Planning

export interface LearnedStrategyStats {
  strategy: Strategy;
  confidence: number;
  successCount: number;
  failureCount: number;
}

/** A learned strategy at least this confident (and with a success) goes first. */
export const LEARNED_CONFIDENCE_THRESHOLD = 0.5;
/** A learned strategy that failed this often without ever healing goes last. */
const KNOWN_BAD_FAILURES = 3;
export const DEFAULT_EXPLORATION_RATE = 0.1;
export const DEFAULT_PLAN_BUDGET = 3;

export interface PlanStrategiesInput {
  diagnosis: Pick<Diagnosis, 'transient' | 'recommendedStrategy' | 'fallbackStrategies'>;
  policy: OperationPolicy;
  learned?: LearnedStrategyStats[];
  /** In [0, 1): the workflow's (deterministic) Math.random(). */
  random: number;
  /** Probability of trying an untried / least-tried strategy first. Default 0.1. */
  explorationRate?: number;
  /** Maximum number of strategies returned. Default 3. */
  budget?: number;
}

export interface StrategyPlan {
  strategies: Strategy[];
  /** Set when exploration put this strategy first. */
  explored?: Strategy;
  /** The learned strategy that was put first because of its track record. */
  learnedBest?: Strategy;
}

function finiteOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/**
 * Orders the strategies to try, at most `budget`, each applicable and listed once:
 *  1. learned strategies with confidence ≥ LEARNED_CONFIDENCE_THRESHOLD and a success, best first;
 *  2. the diagnosis' recommended strategy, then its fallbacks;
 *  3. every other applicable strategy in SAFETY_ORDER;
 *  4. learned strategies that only ever failed (≥ 3 times) come last.
 * With probability `explorationRate` (random < rate) an applicable strategy with the fewest
 * recorded tries (never SKIP_OPERATION, never a known-bad one) is moved first instead, so a
 * better strategy can be discovered. The choice among equally-tried ones also uses `random`.
 */
export function planStrategiesDetailed(input: PlanStrategiesInput): StrategyPlan {
  try {
    const { diagnosis, policy } = input;
    const budget = Math.max(0, Math.floor(finiteOr(input.budget, DEFAULT_PLAN_BUDGET)));
    const rate = Math.min(1, Math.max(0, finiteOr(input.explorationRate, DEFAULT_EXPLORATION_RATE)));
    const random = finiteOr(input.random, 1);
    const applicable = new Set(applicableStrategies(policy, diagnosis));
    const rank = (strategy: Strategy) => SAFETY_ORDER.indexOf(strategy);

    const learned = (Array.isArray(input.learned) ? input.learned : []).filter(
      (entry) => entry && isStrategy(entry.strategy) && applicable.has(entry.strategy),
    );
    const tries = new Map<Strategy, number>();
    for (const entry of learned) {
      const count = Math.max(0, finiteOr(entry.successCount, 0)) + Math.max(0, finiteOr(entry.failureCount, 0));
      tries.set(entry.strategy, (tries.get(entry.strategy) ?? 0) + count);
    }
    const good = learned
      .filter((entry) => finiteOr(entry.confidence, 0) >= LEARNED_CONFIDENCE_THRESHOLD && finiteOr(entry.successCount, 0) > 0)
      .sort(
        (a, b) =>
          finiteOr(b.confidence, 0) - finiteOr(a.confidence, 0) ||
          finiteOr(b.successCount, 0) - finiteOr(a.successCount, 0) ||
          finiteOr(a.failureCount, 0) - finiteOr(b.failureCount, 0) ||
          rank(a.strategy) - rank(b.strategy),
      )
      .map((entry) => entry.strategy);
    const knownBad = new Set(
      learned
        .filter((entry) => finiteOr(entry.successCount, 0) <= 0 && finiteOr(entry.failureCount, 0) >= KNOWN_BAD_FAILURES)
        .map((entry) => entry.strategy),
    );

    const candidates: Strategy[] = [
      ...good,
      diagnosis?.recommendedStrategy,
      ...(Array.isArray(diagnosis?.fallbackStrategies) ? diagnosis.fallbackStrategies : []),
      ...SAFETY_ORDER,
    ] as Strategy[];
    const ordered: Strategy[] = [];
    for (const strategy of candidates) {
      if (applicable.has(strategy) && !knownBad.has(strategy) && !ordered.includes(strategy)) ordered.push(strategy);
    }
    for (const strategy of SAFETY_ORDER) {
      if (knownBad.has(strategy) && !ordered.includes(strategy)) ordered.push(strategy);
    }

    const plan: StrategyPlan = { strategies: ordered };
    if (good[0] !== undefined && ordered[0] === good[0]) plan.learnedBest = good[0];

    if (rate > 0 && random >= 0 && random < rate) {
      // Only strategies that can produce the real result are worth exploring: a default value,
      // a skip or a queued call always "work" and teach nothing.
      const explorable = ordered.filter((s) => !DEGRADED_STRATEGIES.includes(s) && !knownBad.has(s) && s !== ordered[0]);
      if (explorable.length > 0) {
        const fewest = Math.min(...explorable.map((s) => tries.get(s) ?? 0));
        const leastTried = explorable.filter((s) => (tries.get(s) ?? 0) === fewest);
        const index = Math.min(leastTried.length - 1, Math.floor((random / rate) * leastTried.length));
        const chosen = leastTried[index]!;
        plan.strategies = [chosen, ...ordered.filter((s) => s !== chosen)];
        plan.explored = chosen;
        delete plan.learnedBest;
      }
    }
    plan.strategies = plan.strategies.slice(0, budget);
    if (plan.explored !== undefined && !plan.strategies.includes(plan.explored)) delete plan.explored;
    return plan;
  } catch {
    return { strategies: [] };
  }
}

/** The ordered strategies of `planStrategiesDetailed`. Never returns an inapplicable strategy. */
export function planStrategies(input: PlanStrategiesInput): Strategy[] {
  return planStrategiesDetailed(input).strategies;
}
