// An operator's decision on a strategy that waits for approval.
import type { Client } from '@temporalio/client';
import { approvalSignal, type HealingState } from '../../common/healing-contract.js';
import type { Strategy } from '../../common/types.js';
import { describeError, OperatorError } from './errors.js';
import { operatorName, queryState, runningHandle } from './runs.js';

export interface ApprovalResult {
  workflowId: string;
  approved: boolean;
  strategy?: Strategy;
  by: string;
}

/** Sends the operator's decision to a run that is waiting for approval of a strategy. */
export async function decideApproval(
  client: Client,
  workflowId: string,
  decision: { approved: boolean; by?: string; reason?: string },
): Promise<ApprovalResult> {
  const { handle } = await runningHandle(client, workflowId);
  let state: HealingState;
  try {
    state = await queryState(client, handle);
  } catch (error) {
    throw new OperatorError(
      `cannot read the state of ${workflowId} (${describeError(error)}) — is the central worker running?`,
    );
  }
  if (state.phase !== 'awaiting-approval') {
    throw new OperatorError(`${workflowId} is not waiting for approval (phase ${state.phase})`);
  }
  const by = decision.by ?? operatorName();
  const reason = decision.reason ? { reason: decision.reason } : {};
  await handle.signal(approvalSignal, { approved: decision.approved, by, ...reason });
  return { workflowId, approved: decision.approved, strategy: state.currentStrategy, by };
}
