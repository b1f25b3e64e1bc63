// The health-check activities of the central worker (the contract: common/health-contract.ts).
import { and, eq, gte, sql } from 'drizzle-orm';
import type { HealthCheckActivities } from '../../common/health-contract.js';
import { getHealthChecks, systemHealthChecks, type Database } from '../../db/index.js';
import type { HealthAlertSender } from './alerts.js';
import type { HealthCheckRunner } from './runner.js';

export function createHealthCheckActivities(
  runner: HealthCheckRunner,
  deps: { db: Database; sendAlert?: HealthAlertSender },
): HealthCheckActivities {
  const { db } = deps;
  return {
    async planHealthChecks() {
      return runner.plan();
    },

    async runHealthCheck(input) {
      return runner.run(input.name);
    },

    // Idempotent: a retried activity finds the row of this run and check (details.healthRunId)
    // instead of writing a second one.
    async recordHealthCheck(input) {
      const { result } = input;
      const checkedAt = new Date(result.checkedAt);
      return db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`health:${input.healthRunId}:${result.name}`}))`);
        const [existing] = await tx
          .select({ id: systemHealthChecks.id })
          .from(systemHealthChecks)
          .where(
            and(
              eq(systemHealthChecks.checkName, result.name),
              gte(systemHealthChecks.checkedAt, new Date(checkedAt.getTime() - 60 * 60_000)),
              sql`${systemHealthChecks.details} ->> 'healthRunId' = ${input.healthRunId}`,
            ),
          )
          .limit(1);
        if (existing) return { id: existing.id };
        const [row] = await tx
          .insert(systemHealthChecks)
          .values({
            checkName: result.name,
            status: result.status,
            latencyMs: Math.round(result.latencyMs),
            details: {
              ...result.details,
              ...(result.code ? { code: result.code } : {}),
              ...(result.httpStatus !== undefined ? { httpStatus: result.httpStatus } : {}),
              healthWorkflowId: input.healthWorkflowId,
              healthRunId: input.healthRunId,
            },
            error: result.error ?? null,
            checkedAt,
          })
          .returning({ id: systemHealthChecks.id });
        return { id: row!.id };
      });
    },

    async loadHealthHistory(input) {
      const entries = await Promise.all(
        input.names.map(async (name) => {
          const rows = await getHealthChecks(db, { checkName: name, limit: input.limit });
          return [
            name,
            rows.map((row) => ({
              id: row.id,
              status: row.status,
              ...(typeof row.details?.healthRunId === 'string' ? { healthRunId: row.details.healthRunId } : {}),
            })),
          ] as const;
        }),
      );
      return Object.fromEntries(entries);
    },

    async sendHealthAlert(alert) {
      if (!deps.sendAlert) return { sent: false, detail: 'no alert channel configured' };
      return deps.sendAlert(alert);
    },
  };
}
