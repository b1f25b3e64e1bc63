// system_health_checks: an append-only history of probe results.
import { and, asc, desc, eq, gte, sql, type SQL } from 'drizzle-orm';
import type { HealthStatus } from '../common/types.js';
import type { Database } from './connection.js';
import { systemHealthChecks, type HealthCheckRow } from './schema.js';

export const DEFAULT_HEALTH_CHECK_LIMIT = 100;
export const MAX_HEALTH_CHECK_LIMIT = 1_000;

export interface NewHealthCheck {
  checkName: string;
  status: HealthStatus;
  latencyMs?: number | null;
  details?: Record<string, unknown> | null;
  error?: string | null;
  /** Defaults to now. */
  checkedAt?: Date;
}

export interface HealthCheckFilters {
  checkName?: string;
  /** Inclusive lower bound on checked_at. */
  from?: Date;
  /** Default 100, clamped to 1..1000. */
  limit?: number;
}

export async function createHealthCheck(db: Database, input: NewHealthCheck): Promise<HealthCheckRow> {
  const latencyMs = input.latencyMs == null ? input.latencyMs : Math.round(input.latencyMs);
  const [row] = await db
    .insert(systemHealthChecks)
    .values({ ...input, latencyMs })
    .returning();
  if (!row) throw new Error(`insert of health check ${input.checkName} returned no row`);
  return row;
}

/** Newest first. */
export async function getHealthChecks(db: Database, filters: HealthCheckFilters = {}): Promise<HealthCheckRow[]> {
  const conditions = [
    filters.checkName && eq(systemHealthChecks.checkName, filters.checkName),
    filters.from && gte(systemHealthChecks.checkedAt, filters.from),
  ].filter((condition): condition is SQL => Boolean(condition));
  return db
    .select()
    .from(systemHealthChecks)
    .where(and(...conditions))
    .orderBy(desc(systemHealthChecks.checkedAt), desc(systemHealthChecks.id))
    .limit(clampLimit(filters.limit));
}

/**
 * The most recent row of every check, ordered by check name. A skip scan over the (check_name,
 * checked_at desc) index: one probe per check, however long the history.
 */
export async function getLatestHealthChecks(db: Database): Promise<HealthCheckRow[]> {
  const latestIds = sql`
    with recursive names(name) as (
      (select check_name from ${systemHealthChecks} order by 1 limit 1)
      union all
      select (select c.check_name from ${systemHealthChecks} c where c.check_name > names.name order by 1 limit 1)
      from names where names.name is not null
    )
    select latest.id from names cross join lateral (
      select c.id from ${systemHealthChecks} c where c.check_name = names.name order by c.checked_at desc, c.id desc limit 1
    ) latest
    where names.name is not null`;
  return (
    db
      .select()
      .from(systemHealthChecks)
      // = any(array(…)): a primary-key probe per id (`in (…)` may become a join over the whole table).
      // The recursion ends on a null name, which must not be looked up (it would scan the table).
      .where(sql`${systemHealthChecks.id} = any(array(${latestIds}))`)
      .orderBy(asc(systemHealthChecks.checkName))
  );
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_HEALTH_CHECK_LIMIT;
  return Math.min(MAX_HEALTH_CHECK_LIMIT, Math.max(1, Math.trunc(limit)));
}
