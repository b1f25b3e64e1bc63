// The central worker's activities, built from their dependencies.
import type { Database } from '../db/index.js';
import type { SystemMetrics } from '../lib/metrics.js';
import { createAnalysisActivities, knownFaultReader, type AnalysisOptions } from './analysis.js';
import { createAnalysisCaches } from './analysis-cache.js';
import { createAuditActivities } from './audit.js';
import { createCircuitBreakerActivities } from './circuit-breaker.js';
import { createHealthCheckActivities } from './health/activities.js';
import { alertsViaNotifications } from './health/alerts.js';
import type { HealthDatabase } from './health/check.js';
import type { HealthCheckOptions } from './health/options.js';
import { createHealthCheckRunner } from './health/runner.js';
import { observeActivities } from './metrics.js';
import { createNotificationActivities, type NotificationSettings } from './notifications/index.js';
import { createOccurrenceLogActivities } from './occurrence-log.js';
import { createRetentionActivities } from './retention.js';
import { createSystemOperationActivities } from './system-operations.js';

export interface ActivityDependencies {
  db: Database;
  analysis?: AnalysisOptions;
  /** The process's database handle, for the database health check (ping + pool statistics). */
  database?: HealthDatabase;
  /** Health checks: which services, thresholds, alert channel (see activities/health/). */
  health?: HealthCheckOptions;
  /** Admin notification channels, cooldown, UI link (see activities/notifications/); none: recorded as skipped. */
  notifications?: NotificationSettings;
  /** The system's Prometheus metrics (lib/metrics.ts), recorded by the observed activities; none: not recorded. */
  metrics?: SystemMetrics;
}

export function createActivities(deps: ActivityDependencies) {
  const notifications = createNotificationActivities(deps.db, deps.notifications);
  const analysisCaches = createAnalysisCaches();
  const health = createHealthCheckRunner({ db: deps.db, database: deps.database, options: deps.health });
  const activities = {
    ...createAuditActivities(deps.db, {
      learned: (signature) => analysisCaches.patterns.forget(signature),
      knownFault: knownFaultReader(deps.db, analysisCaches, deps.analysis),
    }),
    ...createAnalysisActivities(deps.db, analysisCaches, deps.analysis),
    ...createOccurrenceLogActivities(deps.db),
    ...createRetentionActivities(deps.db),
    ...notifications,
    ...createCircuitBreakerActivities(notifications),
    ...createHealthCheckActivities(health, {
      db: deps.db,
      sendAlert: deps.health?.sendAlert ?? alertsViaNotifications(notifications),
    }),
    // The health checks as operations healing can re-run (its appTaskQueue is this worker's queue).
    ...createSystemOperationActivities(health),
  };
  return observeActivities(activities, deps.metrics);
}

export type SelfHealingActivities = ReturnType<typeof createActivities>;
