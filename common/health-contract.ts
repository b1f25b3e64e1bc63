// The contract between the health-check workflow and its activities: the plan, one check's
// result, the records that give streaks, and the alerts. No Node modules: the workflow imports it.
import type { OperationHook } from './healing-contract.js';
import type { Diagnosis, HealthStatus, Strategy } from './types.js';

export const HEALTH_CHECK_WORKFLOW_TYPE = 'healthCheckWorkflow';

/** The system operation of a check, `health:<check>`; also the signature its alerts are grouped under. */
export function healthOperation(check: string): string {
  return `health:${check}`;
}

export interface HealthCheckResult {
  name: string;
  status: HealthStatus;
  latencyMs: number;
  details: Record<string, unknown>;
  error?: string;
  /** Error code of the failure (ECONNREFUSED, ETIMEDOUT, …), for the healing diagnosis. */
  code?: string;
  /** HTTP status of the failure, for the healing diagnosis. */
  httpStatus?: number;
  /** ISO time the check started. */
  checkedAt: string;
}

/** How healing may act on a failing check (the policy of its `health:<check>` system operation). */
export interface HealthHealingSpec {
  operation: string;
  strategies: Strategy[];
  hooks: OperationHook[];
  alternateEndpoints: string[];
}

export interface PlannedHealthCheck {
  name: string;
  configured: boolean;
  timeoutMs: number;
  healing?: HealthHealingSpec;
}

export interface HealthCheckPlan {
  checks: PlannedHealthCheck[];
  alertAfterFailures: number;
}

export interface RecordHealthCheckInput {
  healthWorkflowId: string;
  healthRunId: string;
  result: HealthCheckResult;
}

export interface HealthHistoryEntry {
  id: number;
  status: HealthStatus;
  healthRunId?: string;
}

export interface HealthAlert {
  /** Idempotency key: one streak, one alert; one recovery, one notice. */
  notificationId: string;
  kind: 'alert' | 'recovery';
  check: string;
  status: HealthStatus;
  /** alert: the streak's length; recovery: the length of the streak that ended. */
  consecutiveFailures: number;
  error?: string;
  /** The rules' reading of the failure (category, severity: critical ones also go by SMS). */
  diagnosis?: Diagnosis;
  healthWorkflowId: string;
  healingWorkflowId?: string;
}

export interface HealthAlertOutcome {
  /** Reached at least one admin (or was already sent by an earlier attempt). */
  sent: boolean;
  detail: string;
}

/** The central worker's health-check activities (activities/health/activities.ts). */
export interface HealthCheckActivities {
  /** The checks to run this cycle, with their timeouts and healing policies (from the worker's config). */
  planHealthChecks(): Promise<HealthCheckPlan>;
  /** Runs one check; never throws. */
  runHealthCheck(input: { name: string }): Promise<HealthCheckResult>;
  /** Writes one system_health_checks row, once per run and check. */
  recordHealthCheck(input: RecordHealthCheckInput): Promise<{ id: number }>;
  /** The latest `limit` results of each check, newest first (for consecutive-failure streaks). */
  loadHealthHistory(input: { names: string[]; limit: number }): Promise<Record<string, HealthHistoryEntry[]>>;
  sendHealthAlert(alert: HealthAlert): Promise<HealthAlertOutcome>;
}
