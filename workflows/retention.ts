// The retention workflow: one run per schedule tick (workers/retention-schedule.ts). For each
// table, deletes the rows older than its retention, in bounded activity calls until none is left.
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RetentionActivities } from '../activities/retention.js';
import type { RetainedTable } from '../db/retention.js';

export const RETENTION_WORKFLOW_TYPE = 'retentionWorkflow';

export interface RetentionInput {
  /** How long each table keeps its rows, in ms; a table not listed is kept whole. */
  keepMs: Partial<Record<RetainedTable, number>>;
  batchSize?: number;
}

export type RetentionSummary = Partial<Record<RetainedTable, { before: string; deleted: number }>>;

const { pruneOldRows } = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '5s', maximumInterval: '1m' },
});

export async function retentionWorkflow(input: RetentionInput): Promise<RetentionSummary> {
  const startedAt = Date.now();
  const summary: RetentionSummary = {};
  for (const [table, keepMs] of Object.entries(input.keepMs) as [RetainedTable, number][]) {
    const before = new Date(startedAt - keepMs).toISOString();
    let deleted = 0;
    for (;;) {
      const pruned = await pruneOldRows({ table, before, batchSize: input.batchSize });
      deleted += pruned.deleted;
      if (pruned.done) break;
      // A backlog of millions (retention just switched on): keep the history small.
      if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof retentionWorkflow>(input);
    }
    summary[table] = { before, deleted };
  }
  return summary;
}
