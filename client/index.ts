// The package root (`import { SelfHealing } from 'temporal-self-healing'`): the application library
// only. Framework integrations and healingFetch are subpaths; the central worker, the database and
// the dashboard are never imported from here.
export {
  OperationQueuedError,
  SelfHealing,
  type CallOutcome,
  type CallOutcomeEvent,
  type HealingAnnotations,
  type SelfHealingOptions,
} from './self-healing.js';
export type { OperationOptions } from './operation-registry.js';
export { CircuitOpenError } from './circuit-breaker.js';
export type { CircuitBreakerSettings } from '../common/circuit-breaker/settings.js';
export { currentEndpoint } from './operation-context.js';
export type { AdmissionLimits } from './healing-admission.js';
export type { HealingTiming, OperationHook } from '../common/healing-contract.js';
export type { ErrorCategory, Strategy } from '../common/types.js';
