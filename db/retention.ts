// Retention of the append-mostly tables: deletes in bounded batches, oldest first, each batch
// its own short statement (row locks on that batch only, never a table lock). healing_event_hours
// is not pruned: its triggers count events as they are recorded and ignore deletes, so the
// statistics of pruned periods remain.
import { asc, inArray, lt } from 'drizzle-orm';
import type { Database } from './connection.js';
import { healingEvents, systemHealthChecks } from './schema.js';

export const RETAINED_TABLES = ['healing_events', 'system_health_checks'] as const;
export type RetainedTable = (typeof RETAINED_TABLES)[number];

export const DEFAULT_PRUNE_BATCH_SIZE = 5_000;

/** Deletes at most `batchSize` rows older than `before` (the oldest first); returns how many. */
export async function pruneBatch(db: Database, table: RetainedTable, before: Date, batchSize: number): Promise<number> {
  // Both pick the batch through their (time, id) index, so a batch reads about batchSize entries.
  if (table === 'healing_events') {
    const batch = db
      .select({ id: healingEvents.id })
      .from(healingEvents)
      .where(lt(healingEvents.detectedAt, before))
      .orderBy(asc(healingEvents.detectedAt))
      .limit(batchSize);
    const deleted = await db.delete(healingEvents).where(inArray(healingEvents.id, batch)).returning({ id: healingEvents.id });
    return deleted.length;
  }
  const batch = db
    .select({ id: systemHealthChecks.id })
    .from(systemHealthChecks)
    .where(lt(systemHealthChecks.checkedAt, before))
    .orderBy(asc(systemHealthChecks.checkedAt))
    .limit(batchSize);
  const deleted = await db
    .delete(systemHealthChecks)
    .where(inArray(systemHealthChecks.id, batch))
    .returning({ id: systemHealthChecks.id });
  return deleted.length;
}
