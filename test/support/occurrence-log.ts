// Sends a batch to an occurrence log directly, as the client's batcher does, with a short idle
// time so that the log closes soon after the test's last batch.
import type { Client } from '@temporalio/client';
import {
  occurrencesJoinedSignal,
  type JoinedOccurrence,
  type OccurrenceLogInput,
} from '../../common/occurrence-log-contract.js';
import { occurrenceLogWorkflowId } from '../../client/workflow-ids.js';
import { occurrenceLogWorkflow } from '../../workflows/occurrence-log.js';

export function sendToOccurrenceLog(
  client: Client,
  taskQueue: string,
  log: Required<Pick<OccurrenceLogInput, 'operation' | 'signature' | 'idleMs'>>,
  batch: JoinedOccurrence[],
) {
  return client.workflow.signalWithStart(occurrenceLogWorkflow, {
    workflowId: occurrenceLogWorkflowId(log.operation, log.signature),
    taskQueue,
    args: [log],
    signal: occurrencesJoinedSignal,
    signalArgs: [batch],
  });
}
