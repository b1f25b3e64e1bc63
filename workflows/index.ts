// Every workflow the central worker runs (its workflowsPath).
export { circuitBreakerWorkflow } from './circuit-breaker.js';
export { healingWorkflow } from './healing.js';
export { healthCheckWorkflow } from './health-check.js';
export { occurrenceLogWorkflow } from './occurrence-log.js';
export { retentionWorkflow } from './retention.js';
