// The application's operations, registered by withSelfHealing so that its worker can re-run them.
import type { HealingTiming, OperationHook } from '../common/healing-contract.js';
import type { Strategy } from '../common/types.js';
import { argumentsKey } from './sealed-values.js';

export interface OperationOptions<R> {
  /** Strategies healing may use for this operation; all applicable ones when absent. */
  allowedStrategies?: Strategy[];
  /** Strategies that wait for an operator's approval (signal) before they run. */
  requiresApproval?: Strategy[];
  /** Enables USE_DEFAULT_VALUE. */
  defaultValue?: R;
  /** Keep the last good result per arguments in memory, for FALLBACK_TO_CACHE. */
  cacheResults?: boolean;
  /** Critical operations are never skipped and always alert. */
  critical?: boolean;
  /** Enables SWITCH_API_ENDPOINT; the operation reads its endpoint with currentEndpoint(). */
  alternateEndpoints?: string[];
  hooks?: Partial<Record<OperationHook, () => unknown>>;
  /** How long the caller waits for healing before the original error is rethrown. */
  waitForHealingMs?: number;
  timing?: Partial<HealingTiming>;
}

export interface RegisteredOperation {
  name: string;
  fn: (...args: any[]) => unknown;
  options: OperationOptions<unknown>;
  /** Last good result per arguments key (bounded), when options.cacheResults. */
  cache?: Map<string, unknown>;
}

const MAX_CACHED_RESULTS_PER_OPERATION = 1_000;

export function rememberResult(operation: RegisteredOperation, args: readonly unknown[], result: unknown): void {
  const cache = operation.cache;
  if (!cache) return;
  let key: string;
  try {
    key = argumentsKey(args);
  } catch {
    return; // arguments that cannot be serialised cannot be looked up later either
  }
  cache.delete(key); // re-insert at the end: the Map's order is the eviction order
  cache.set(key, result);
  if (cache.size > MAX_CACHED_RESULTS_PER_OPERATION) cache.delete(cache.keys().next().value!);
}

export function cachedResult(operation: RegisteredOperation, args: readonly unknown[]): { value: unknown } | undefined {
  const key = argumentsKey(args);
  return operation.cache?.has(key) ? { value: operation.cache.get(key) } : undefined;
}
