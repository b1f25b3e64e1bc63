// Every workflow the central worker runs (its workflowsPath).
export { healingWorkflow } from './healing.js';
