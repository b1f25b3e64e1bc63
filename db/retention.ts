// Retention of the append-mostly tables: deletes in bounded batches, oldest first, each batch
// its own short statement (row locks on that batch only, never a table lock). healing_event_hours
// is not pruned: its triggers count events as they are recorded and ignore deletes, so the
// statistics of pruned periods remain.
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from './connection.js';
import { healingEvents, systemHealthChecks } from './schema.js';

export const RETAINED_TABLES = ['healing_events', 'system_health_checks'] as const;
export type RetainedTable = (typeof RETAINED_TABLES)[number];

export const DEFAULT_PRUNE_BATCH_SIZE = 5_000;

// Each table's time column: with the id, its (time, id) index picks a batch in about batchSize entries.
const RETAINED = {
  healing_events: { table: healingEvents, id: healingEvents.id, at: healingEvents.detectedAt },
  system_health_checks: { table: systemHealthChecks, id: systemHealthChecks.id, at: systemHealthChecks.checkedAt },
};

/** Deletes at most `batchSize` rows older than `before` (the oldest first); returns how many. */
export async function pruneBatch(db: Database, table: RetainedTable, before: Date, batchSize: number): Promise<number> {
  const { table: rows, id, at } = RETAINED[table];
  const result = await db.execute(sql`with deleted as (
      delete from ${rows} where ${id} in (select ${id} from ${rows} where ${at} < ${before} order by ${at} limit ${batchSize})
      returning 1
    ) select count(*)::int as deleted from deleted`);
  const [counted] = z
    .array(z.object({ deleted: z.coerce.number() }))
    .parse((result as unknown as { rows: unknown[] }).rows);
  return counted?.deleted ?? 0;
}
