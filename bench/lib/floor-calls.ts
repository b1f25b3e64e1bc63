// The floor subjects' call: start a floor workflow with update-with-start and wait for its answer,
// as withSelfHealing waits for a healing run's (bench/floor.ts, bench/lib/floor-ab.ts).
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { floorAnswerUpdate } from './floor-workflows.js';

/** A caller of floor workflows on `taskQueue`: starts `type` and resolves with its answer. */
export function answeredWithStart(client: Client, taskQueue: string) {
  return (type: string, workflowId: string, args: unknown[]) =>
    client.workflow.executeUpdateWithStart(floorAnswerUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation(type, {
        workflowId,
        taskQueue,
        args,
        workflowIdConflictPolicy: 'FAIL',
      }),
    });
}
