// Retention's one activity: delete a table's rows older than a cutoff, batch after batch, for a
// bounded time, heartbeating after each batch (so a cancelled run stops between two batches).
import { Context } from '@temporalio/activity';
import { DEFAULT_PRUNE_BATCH_SIZE, pruneBatch, type Database, type RetainedTable } from '../db/index.js';

export interface PruneInput {
  table: RetainedTable;
  /** ISO time: rows older than this go. */
  before: string;
  batchSize?: number;
  /** Stop after the batch that ends past this budget; the workflow calls again. Default 30 s. */
  budgetMs?: number;
}

export interface PruneResult {
  deleted: number;
  /** Nothing older than `before` is left. */
  done: boolean;
}

const DEFAULT_BUDGET_MS = 30_000;

export function createRetentionActivities(db: Database) {
  return {
    async pruneOldRows(input: PruneInput): Promise<PruneResult> {
      const batchSize = input.batchSize ?? DEFAULT_PRUNE_BATCH_SIZE;
      const before = new Date(input.before);
      const stopAt = Date.now() + (input.budgetMs ?? DEFAULT_BUDGET_MS);
      let deleted = 0;
      for (;;) {
        const batch = await pruneBatch(db, input.table, before, batchSize);
        deleted += batch;
        if (batch < batchSize) return { deleted, done: true };
        Context.current().heartbeat({ deleted });
        if (Date.now() >= stopAt) return { deleted, done: false };
      }
    },
  };
}

export type RetentionActivities = ReturnType<typeof createRetentionActivities>;
