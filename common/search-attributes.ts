// Custom search attributes that make healing runs findable in the Temporal UI and CLI,
// e.g. `ErrorCategory="rate_limit" AND HealingOutcome="failed"`.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const OPERATION = defineSearchAttributeKey('HealingOperation', SearchAttributeType.KEYWORD);
export const ERROR_CATEGORY = defineSearchAttributeKey('ErrorCategory', SearchAttributeType.KEYWORD);
export const ERROR_SEVERITY = defineSearchAttributeKey('ErrorSeverity', SearchAttributeType.KEYWORD);
export const ERROR_SIGNATURE = defineSearchAttributeKey('ErrorSignature', SearchAttributeType.KEYWORD);
export const HEALING_STRATEGY = defineSearchAttributeKey('HealingStrategy', SearchAttributeType.KEYWORD);
export const HEALING_OUTCOME = defineSearchAttributeKey('HealingOutcome', SearchAttributeType.KEYWORD);
/** A circuit breaker's state (closed, open, half-open): `CircuitState="open"` lists the open ones. */
export const CIRCUIT_STATE = defineSearchAttributeKey('CircuitState', SearchAttributeType.KEYWORD);

export const CUSTOM_SEARCH_ATTRIBUTES = [
  OPERATION,
  ERROR_CATEGORY,
  ERROR_SEVERITY,
  ERROR_SIGNATURE,
  HEALING_STRATEGY,
  HEALING_OUTCOME,
  CIRCUIT_STATE,
] as const;
