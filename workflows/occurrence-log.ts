// The occurrence log of one error signature: records, in batches, the occurrences that had no
// healing run of their own, so that a storm loses none of them. Started (or joined) by the
// client's signal-with-start; closes after a quiet spell.
import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  MAX_CARRIED_BATCHES,
  OCCURRENCE_LOG_IDLE_MS,
  occurrencesJoinedSignal,
  type JoinedOccurrence,
  type OccurrenceLogInput,
} from '../common/occurrence-log-contract.js';
import type { SelfHealingActivities } from '../activities/index.js';

const { recordJoinedOccurrences } = proxyActivities<SelfHealingActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m' },
  summary: 'record occurrences',
});

export async function occurrenceLogWorkflow(input: OccurrenceLogInput): Promise<{ recorded: number }> {
  // Batches as they came (each one signal, bounded by the client): one activity records one, so
  // no activity input is larger than a signal.
  const pending: JoinedOccurrence[][] = input.carried?.length ? [input.carried] : [];
  setHandler(occurrencesJoinedSignal, (occurrences) => void pending.push(occurrences));
  let recorded = 0;
  // A signal that arrives while the run is closing fails that workflow task, and the replay sees
  // it before the idle timer: nothing is lost between the last batch and the end.
  while (await condition(() => pending.length > 0, input.idleMs ?? OCCURRENCE_LOG_IDLE_MS)) {
    const batch = pending.shift()!;
    await recordJoinedOccurrences({
      operation: input.operation,
      signature: input.signature,
      logWorkflowId: workflowInfo().workflowId,
      occurrences: batch,
    });
    recorded += batch.length;
    if (workflowInfo().continueAsNewSuggested && pending.length <= MAX_CARRIED_BATCHES) {
      await continueAsNew<typeof occurrenceLogWorkflow>({ ...input, carried: pending.flat() });
    }
  }
  return { recorded };
}
