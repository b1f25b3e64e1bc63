// The application's operations, registered by withSelfHealing so that its worker can re-run them.
import type { CircuitBreakerSettings } from '../common/circuit-breaker/settings.js';
import type { HealingTiming, OperationHook } from '../common/healing-contract.js';
import type { Strategy } from '../common/types.js';
import { argumentsKey } from './sealed-values.js';

export interface OperationOptions<R> {
  /** Strategies healing may use for this operation; all applicable ones when absent. */
  allowedStrategies?: Strategy[];
  /** Strategies that wait for an operator's approval (signal) before they run. */
  requiresApproval?: Strategy[];
  /** Opts into USE_DEFAULT_VALUE: a transient fault that could not be healed answers this value. */
  defaultValue?: R;
  /** Keeps the last good result per arguments in memory and opts into FALLBACK_TO_CACHE. */
  cacheResults?: boolean;
  /**
   * true: never skipped, always alerts. false (declared non-critical): opts into SKIP_OPERATION,
   * a transient fault that could not be healed resolves the call with undefined.
   */
  critical?: boolean;
  /**
   * Opts into QUEUE_FOR_LATER: a transient fault that could not be healed rejects the call with
   * OperationQueuedError, and the operation runs later on its own (its side effects then too).
   */
  queueForLater?: boolean;
  /** Enables SWITCH_API_ENDPOINT; the operation reads its endpoint with currentEndpoint(). */
  alternateEndpoints?: string[];
  hooks?: Partial<Record<OperationHook, () => unknown>>;
  /** After a heal, the same fault within this long is a recurrence (the heal did not hold); default: the worker's. */
  recurrenceWindowMs?: number;
  /** How long the caller waits for healing before the original error is rethrown. */
  waitForHealingMs?: number;
  timing?: Partial<HealingTiming>;
  /**
   * Opts into a circuit breaker shared by every instance of the application (see
   * docs/circuit-breaker.md): `true` for the defaults, or the settings to change. While it is open,
   * calls fail fast with CircuitOpenError, or answer the last good result (cacheResults) or defaultValue.
   */
  circuitBreaker?: boolean | Partial<CircuitBreakerSettings>;
}

export interface RegisteredOperation {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function, whatever its parameters
  fn: (...args: any[]) => unknown;
  options: OperationOptions<unknown>;
  /** Last good result per arguments key (bounded), when options.cacheResults. */
  cache?: LastGoodResults;
}

/**
 * A bounded map of recent results in two generations: writes go to the young one; when it is
 * full it becomes the old one and the previous old one is dropped. Keys written within the last
 * `perGeneration` writes are always kept, a hot key is refreshed by every write, and a write is a
 * single Map.set (an exact LRU on a Map costs ~10× more: evicting the first key walks the
 * tombstones its deletes leave behind).
 */
export class LastGoodResults {
  private young = new Map<string, unknown>();
  private old = new Map<string, unknown>();

  constructor(private readonly perGeneration = 1_000) {}

  set(key: string, value: unknown): void {
    this.young.set(key, value);
    if (this.young.size >= this.perGeneration) {
      this.old = this.young;
      this.young = new Map();
    }
  }

  get(key: string): { value: unknown } | undefined {
    if (this.young.has(key)) return { value: this.young.get(key) };
    if (this.old.has(key)) return { value: this.old.get(key) };
    return undefined;
  }
}

export function rememberResult(operation: RegisteredOperation, args: readonly unknown[], result: unknown): void {
  const cache = operation.cache;
  if (!cache) return;
  let key: string;
  try {
    key = argumentsKey(args);
  } catch {
    return; // arguments that cannot be serialised cannot be looked up later either
  }
  cache.set(key, result);
}

export function cachedResult(operation: RegisteredOperation, args: readonly unknown[]): { value: unknown } | undefined {
  return operation.cache?.get(argumentsKey(args));
}
