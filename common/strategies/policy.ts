// What the application declared about one operation: the capabilities that make strategies
// possible, and the degraded answers it opted into.
import type { CircuitBreakerSettings } from '../circuit-breaker/settings.js';
import type { OperationHook } from '../healing-contract.js';
import type { Strategy } from '../types.js';

export interface OperationPolicy {
  operation: string;
  /** undefined = every applicable strategy. */
  allowedStrategies?: Strategy[];
  /** Strategies that need a human's approval (signal) before they run. */
  requiresApproval?: Strategy[];
  /** Results are cached per arguments (FALLBACK_TO_CACHE, opt-in). */
  cacheable: boolean;
  /** The caller supplied a default value (USE_DEFAULT_VALUE, opt-in). */
  hasDefaultValue: boolean;
  /** Always alerts; never skipped. */
  critical: boolean;
  /** Declared non-critical (`critical: false`): a call may be skipped (SKIP_OPERATION, opt-in). */
  skippable?: boolean;
  /** A call may be queued to run later (QUEUE_FOR_LATER, opt-in: it changes when side effects happen). */
  queueable?: boolean;
  /** Other endpoints the operation can be run against (SWITCH_API_ENDPOINT). */
  alternateEndpoints: string[];
  /** Hooks the application registered (CLEAR_CACHE_AND_RETRY, RESET_CONNECTION, ROLLBACK_TRANSACTION). */
  hooks: OperationHook[];
  /** The operation's shared circuit breaker (opt-in), when it has one. */
  circuitBreaker?: CircuitBreakerSettings;
  /** How long after a heal the same fault counts as a recurrence (the heal did not hold); default: the worker's. */
  recurrenceWindowMs?: number;
}

/** A policy with every capability and degraded answer off; `overrides` win. */
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

/** The `unmet` of a strategy that runs one of the application's hooks first. */
export function needsHook(hook: OperationHook): (policy: OperationPolicy) => string | undefined {
  return (policy) => (policy.hooks.includes(hook) ? undefined : `no ${hook} hook`);
}

/** Whether the operation asks an operator before `strategy` runs. */
export function needsApproval(strategy: Strategy, policy: OperationPolicy): boolean {
  return policy.requiresApproval?.includes(strategy) ?? false;
}
