// The central worker's workflows plus the floor a healing run is measured against (bench/floor.ts):
// the same worker process runs both, so the comparison holds everything else equal.
import { allHandlersFinished, condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { AppActivities, CallerOutcome } from '../../common/healing-contract.js';

export * from '../../workflows/index.js';

/** The caller's answer in the floor workflows (the same shape as a healing run's). */
export const floorAnswerUpdate = defineUpdate<CallerOutcome>('floorAnswer');

/** Temporal's own floor: a workflow that does nothing. */
export async function emptyWorkflow(): Promise<void> {}

/** The floor of the design: update-with-start, the update answered in the first workflow task. */
export async function answerAtOnceWorkflow(): Promise<void> {
  let answered = false;
  setHandler(floorAnswerUpdate, () => {
    answered = true;
    return { status: 'skipped', strategy: 'SKIP_OPERATION' } as const;
  });
  await condition(() => answered);
}

/** The design's bare skeleton: update-with-start answered with one re-run on the application's task queue. */
export async function skeletonWorkflow(input: { appTaskQueue: string; operation: string }): Promise<void> {
  const app = proxyActivities<AppActivities>({ taskQueue: input.appTaskQueue, startToCloseTimeout: '30s' });
  const answer: { outcome?: CallerOutcome } = {};
  setHandler(floorAnswerUpdate, async () => {
    await condition(() => answer.outcome !== undefined);
    return answer.outcome!;
  });
  const { sealedValue } = await app.runOperation({ operation: input.operation });
  answer.outcome = { status: 'healed', strategy: 'RETRY_WITH_BACKOFF', sealedValue };
  await condition(allHandlersFinished);
}

/**
 * The skeleton as it would run if the application's own worker hosted the run (eager start, bench/lib/floor-ab.ts):
 * the re-run on the workflow's own task queue (eager activity dispatch can serve it), the outcome as the result.
 */
export async function ownQueueSkeletonWorkflow(input: { operation: string }): Promise<CallerOutcome> {
  const app = proxyActivities<AppActivities>({ startToCloseTimeout: '30s' });
  const { sealedValue } = await app.runOperation({ operation: input.operation });
  return { status: 'healed', strategy: 'RETRY_WITH_BACKOFF', sealedValue };
}
