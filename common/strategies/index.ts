// The strategy catalogue: one module per strategy (this folder), and what the policy lets run.
// Imported by workflow code: pure.
import { STRATEGIES, type Strategy } from '../types.js';
import { clearCacheAndRetry } from './clear-cache-and-retry.js';
import { fallbackToCache } from './fallback-to-cache.js';
import type { OperationPolicy } from './policy.js';
import { queueForLater } from './queue-for-later.js';
import { rateLimitBackoff } from './rate-limit-backoff.js';
import { resetConnection } from './reset-connection.js';
import { retryWithBackoff } from './retry-with-backoff.js';
import { rollbackTransaction } from './rollback-transaction.js';
import { skipOperation } from './skip-operation.js';
import type { FaultFacts, HealingStrategy } from './strategy.js';
import { switchApiEndpoint } from './switch-api-endpoint.js';
import { useDefaultValue } from './use-default-value.js';

export { defaultOperationPolicy, needsApproval, type OperationPolicy } from './policy.js';
export type { FaultFacts, HealingStrategy, StrategyContext, StrategyOutcome } from './strategy.js';

/** Every strategy, by name; the listing order breaks ties between equally ranked strategies. */
export const STRATEGY_MODULES: Readonly<Record<Strategy, HealingStrategy>> = Object.freeze({
  RETRY_WITH_BACKOFF: retryWithBackoff,
  RATE_LIMIT_BACKOFF: rateLimitBackoff,
  SWITCH_API_ENDPOINT: switchApiEndpoint,
  RESET_CONNECTION: resetConnection,
  CLEAR_CACHE_AND_RETRY: clearCacheAndRetry,
  ROLLBACK_TRANSACTION: rollbackTransaction,
  FALLBACK_TO_CACHE: fallbackToCache,
  USE_DEFAULT_VALUE: useDefaultValue,
  QUEUE_FOR_LATER: queueForLater,
  SKIP_OPERATION: skipOperation,
});

const STRATEGY_SET: ReadonlySet<string> = new Set(STRATEGIES);

export function isStrategy(value: unknown): value is Strategy {
  return typeof value === 'string' && STRATEGY_SET.has(value);
}

/** Why the policy does not let `strategy` run, whatever the fault (empty when it does). */
export function unmetRequirements(strategy: Strategy, policy: OperationPolicy): string[] {
  const reasons: string[] = [];
  if (policy.allowedStrategies && !policy.allowedStrategies.includes(strategy))
    reasons.push('not in the allowed strategies');
  const unmet = STRATEGY_MODULES[strategy].unmet(policy);
  if (unmet) reasons.push(unmet);
  return reasons;
}

/**
 * True when `strategy` may be tried for this fault: the policy allows it and, for a permanent
 * error, it neither re-runs the operation nor gives a degraded answer — a permanent error
 * reaches the caller as itself.
 */
export function isStrategyApplicable(
  strategy: Strategy,
  policy: OperationPolicy,
  fault: Pick<FaultFacts, 'transient'>,
): boolean {
  const module = STRATEGY_MODULES[strategy];
  if (!fault.transient && (module.rerunsOperation || module.degraded)) return false;
  return unmetRequirements(strategy, policy).length === 0;
}

/** The applicable strategies that fit the fault, best first (degraded answers last). */
export function fittingStrategies(fault: FaultFacts, policy: OperationPolicy): Strategy[] {
  const ranked = CATALOGUE_ORDER.flatMap((name) => {
    const rank = STRATEGY_MODULES[name].rank(fault);
    return rank !== undefined && isStrategyApplicable(name, policy, fault) ? [{ name, rank }] : [];
  });
  return ranked.sort((a, b) => a.rank - b.rank).map((entry) => entry.name); // a stable sort keeps ties in order
}

/** The strategies in the catalogue's order. */
export const CATALOGUE_ORDER = Object.keys(STRATEGY_MODULES) as Strategy[];
