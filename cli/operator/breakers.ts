// The shared circuit breakers as an operator sees them: every running breaker with its state and
// window, and opening or closing one by hand with a reason (kept in its history and state).
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  BREAKER_MEMO_KEY,
  breakerControlUpdate,
  breakerViewQuery,
  breakerWorkflowId,
  CIRCUIT_BREAKER_WORKFLOW_TYPE,
  type BreakerInput,
  type BreakerStatus,
  type BreakerView,
} from '../../common/circuit-breaker/contract.js';
import { DEFAULT_CIRCUIT_BREAKER } from '../../common/circuit-breaker/settings.js';
import * as attributes from '../../common/search-attributes.js';
import { OperatorError, UsageError } from './errors.js';
import { operatorName } from './runs.js';

/** One running breaker: its full view, or only its state when the worker cannot answer a query now. */
export type BreakerListing = { breakerId: string; operation: string; view?: BreakerView; status?: BreakerStatus };

const QUERY = `WorkflowType="${CIRCUIT_BREAKER_WORKFLOW_TYPE}" AND ExecutionStatus="Running"`;

/** The running breakers, by operation. */
export async function listBreakers(client: Client): Promise<BreakerListing[]> {
  const listings: BreakerListing[] = [];
  for await (const info of client.workflow.list({ query: QUERY })) {
    const operation = info.workflowId.replace(/^breaker:/, '');
    const handle = client.workflow.getHandle(info.workflowId);
    const view = await handle.query(breakerViewQuery).catch(() => undefined);
    const status = view ? undefined : ((await handle.describe()).memo?.[BREAKER_MEMO_KEY] as BreakerStatus | undefined);
    listings.push({ breakerId: info.workflowId, operation, ...(view ? { view } : {}), ...(status ? { status } : {}) });
  }
  return listings.sort((a, b) => a.operation.localeCompare(b.operation));
}

/**
 * Opens (held open, no probes, until closed by hand) or closes an operation's breaker. Opening
 * starts the breaker when no instance has reported yet; closing one that does not run is an error.
 */
export async function controlBreaker(
  client: Client,
  options: { operation: string; action: 'open' | 'close'; reason: string; taskQueue: string },
): Promise<BreakerView> {
  if (!options.operation.trim()) throw new UsageError('name the operation');
  if (!options.reason.trim()) throw new UsageError(`${options.action} needs a --reason`);
  const workflowId = breakerWorkflowId(options.operation);
  const control = { action: options.action, reason: options.reason, by: operatorName() };
  if (options.action === 'close') {
    const handle = client.workflow.getHandle(workflowId);
    const running = await handle.describe().then(
      (description) => description.status.name === 'RUNNING',
      (error: unknown) => {
        if (error instanceof WorkflowNotFoundError) return false;
        throw error;
      },
    );
    if (!running) throw new OperatorError(`no circuit breaker runs for ${options.operation}`);
    return handle.executeUpdate(breakerControlUpdate, { args: [control] });
  }
  const start = new WithStartWorkflowOperation(CIRCUIT_BREAKER_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: options.taskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [{ operation: options.operation, settings: DEFAULT_CIRCUIT_BREAKER } satisfies BreakerInput],
    staticSummary: `Circuit breaker of ${options.operation}, shared by every instance`,
    typedSearchAttributes: [
      { key: attributes.OPERATION, value: options.operation },
      { key: attributes.CIRCUIT_STATE, value: 'closed' },
    ],
  });
  return client.workflow.executeUpdateWithStart(breakerControlUpdate, {
    args: [control],
    startWorkflowOperation: start,
  });
}
