// The system's health as the last health-check runs saw it: overall status and the latest
// result of every check.
import type { HealthStatus } from '../../common/types.js';
import type { Database } from '../../db/connection.js';
// The query module only: the CLI loads the database drivers when it needs them.
import { getLatestHealthChecks } from '../../db/health-checks.js';

export type OverallStatus = 'healthy' | 'degraded' | 'unhealthy' | 'unknown';

export interface CheckStatus {
  name: string;
  status: HealthStatus;
  latencyMs: number | null;
  error: string | null;
  details: Record<string, unknown> | null;
  checkedAt: Date;
  /** Older than `staleAfterMs`: no recent run checked it (schedule paused, workers down, check removed). */
  stale: boolean;
}

export interface SystemHealthStatus {
  /** Worst status of the fresh, non-skipped checks; unknown when there is none. */
  overall: OverallStatus;
  checks: CheckStatus[];
  /** Time of the newest result. */
  lastCheckedAt: Date | null;
}

export interface SystemHealthOptions {
  /** Default 10 minutes (five missed runs at the default two-minute interval). */
  staleAfterMs?: number;
  /** Default now. */
  now?: Date;
}

const DEFAULT_STALE_AFTER_MS = 10 * 60_000;

export async function getSystemHealthStatus(
  db: Database,
  options: SystemHealthOptions = {},
): Promise<SystemHealthStatus> {
  const now = (options.now ?? new Date()).getTime();
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const rows = await getLatestHealthChecks(db);
  const checks: CheckStatus[] = rows.map((row) => ({
    name: row.checkName,
    status: row.status,
    latencyMs: row.latencyMs,
    error: row.error,
    details: row.details,
    checkedAt: row.checkedAt,
    stale: now - row.checkedAt.getTime() > staleAfterMs,
  }));
  const counted = checks.filter((check) => !check.stale && check.status !== 'skipped').map((check) => check.status);
  const overall: OverallStatus = counted.includes('unhealthy')
    ? 'unhealthy'
    : counted.includes('degraded')
      ? 'degraded'
      : counted.length > 0
        ? 'healthy'
        : 'unknown';
  const lastCheckedAt = checks.reduce<Date | null>(
    (latest, check) => (latest && latest > check.checkedAt ? latest : check.checkedAt),
    null,
  );
  return { overall, checks, lastCheckedAt };
}
