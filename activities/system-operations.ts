// "System operations": the health checks registered as operations of the central worker, so
// that a failing check can be healed by an ordinary healing workflow. The child healing
// workflow's appTaskQueue is the central worker's own task queue, where these activities
// (runOperation, readCachedResult, runOperationHook) re-run the check and run its hooks
// (reset the database pool, rebuild a provider client, clear caches, switch the LLM endpoint).
import type { AppActivities } from '../common/healing-contract.js';
import { createOperationActivities } from '../client/operation-activities.js';
import { currentEndpoint } from '../client/operation-context.js';
import type { RegisteredOperation } from '../client/operation-registry.js';
import { createSealer } from '../client/sealed-values.js';
import type { HealthCheckResult } from '../common/health-contract.js';
import type { HealthCheckRunner } from './health/runner.js';

/** What a re-run of a still-failing check throws: its code / status drive the diagnosis and retries. */
export class HealthCheckFailedError extends Error {
  override name = 'HealthCheckFailedError';
  readonly code?: string;
  readonly status?: number;
  constructor(result: HealthCheckResult) {
    super(`health check ${result.name} is ${result.status}: ${result.error ?? 'no detail'}`);
    if (result.code) this.code = result.code;
    if (result.httpStatus !== undefined) this.status = result.httpStatus;
  }
}

/** `health:<check>` → the check, re-run; throws while the check is still unhealthy. */
export function createSystemOperations(runner: HealthCheckRunner): Map<string, RegisteredOperation> {
  const operations = new Map<string, RegisteredOperation>();
  for (const planned of runner.plan().checks) {
    if (!planned.healing) continue;
    const name = planned.name;
    const operation = planned.healing.operation;
    operations.set(operation, {
      name: operation,
      fn: async () => {
        // SWITCH_API_ENDPOINT runs this with an alternate endpoint in the operation context.
        const endpoint = currentEndpoint('') || undefined;
        const result = await runner.run(name, endpoint ? { endpoint } : {});
        if (result.status === 'unhealthy') throw new HealthCheckFailedError(result);
        if (endpoint) runner.switchEndpoint(name, endpoint);
        return { check: name, status: result.status, latencyMs: result.latencyMs };
      },
      options: {
        critical: true,
        allowedStrategies: planned.healing.strategies,
        alternateEndpoints: planned.healing.alternateEndpoints,
        hooks: runner.hooks(name),
      },
    });
  }
  return operations;
}

/**
 * The AppActivities of the system operations. Values are sealed with a per-process key: they
 * are produced and read by this same worker within one healing run.
 */
export function createSystemOperationActivities(runner: HealthCheckRunner): AppActivities {
  return createOperationActivities(createSystemOperations(runner), createSealer());
}
