// Whether anything serves a running run. A run whose task queue no worker polls waits without a
// word in its history: a healing run's re-runs wait for the application's worker (gone when the app
// exited, e.g. the demo), its own steps for the central worker. `heal show` and `heal rerun` say so.
import type { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import type { temporal } from '@temporalio/proto';
import { HEALING_WORKFLOW_TYPE, type HealingInput } from '../../common/healing-contract.js';
import { readStartedRun } from './control.js';

/**
 * A live worker long-polls without pause (the server answers an idle poll after a minute), so
 * its last poll is never much older; the server lists departed pollers for minutes more.
 */
const RECENT_POLL_MS = 90_000;

// temporal.api.enums.v1: TaskQueueKind.NORMAL, TaskQueueType.WORKFLOW and ACTIVITY.
const NORMAL = 1 as temporal.api.enums.v1.TaskQueueKind;
const WORKFLOW = 1 as temporal.api.enums.v1.TaskQueueType;
const ACTIVITY = 2 as temporal.api.enums.v1.TaskQueueType;

/** True when some worker polled `taskQueue` for this kind of task within RECENT_POLL_MS. */
async function polledRecently(
  client: Client,
  taskQueue: string,
  type: temporal.api.enums.v1.TaskQueueType,
): Promise<boolean> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: NORMAL },
    taskQueueType: type,
  });
  const now = Date.now();
  return (pollers ?? []).some((poller) => now - (optionalTsToMs(poller.lastAccessTime) ?? 0) < RECENT_POLL_MS);
}

export interface ServedRun {
  workflowId: string;
  runId: string;
  type: string;
  taskQueue: string;
}

/** For a running run: one line per task queue it depends on that no worker polls, saying what waits for it. */
export async function unservedTaskQueues(client: Client, run: ServedRun): Promise<string[]> {
  const seconds = RECENT_POLL_MS / 1000;
  const warnings: string[] = [];
  if (!(await polledRecently(client, run.taskQueue, WORKFLOW))) {
    warnings.push(
      `no worker has polled task queue "${run.taskQueue}" for workflow tasks in the last ${seconds} s: ` +
        'the run makes no progress until its worker runs (for the healing system: npm start)',
    );
  }
  if (run.type !== HEALING_WORKFLOW_TYPE) return warnings;
  const [input] = (await readStartedRun(client, run.workflowId, run.runId)).args as [Partial<HealingInput>?];
  const appTaskQueue = input?.appTaskQueue;
  if (appTaskQueue && !(await polledRecently(client, appTaskQueue, ACTIVITY))) {
    warnings.push(
      `no application worker has polled task queue "${appTaskQueue}" in the last ${seconds} s: re-runs of ` +
        `${input.operation ?? 'the operation'} wait until the application hosting it runs again ` +
        '(its SelfHealing worker); heal cancel stops the run',
    );
  }
  return warnings;
}
