// Every workflow the central worker runs (its workflowsPath).
export { healingWorkflow } from './healing.js';
export { healthCheckWorkflow } from './health-check.js';
