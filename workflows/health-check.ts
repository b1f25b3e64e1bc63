// The health-check workflow: one run per schedule tick (or operator trigger). It runs every
// check in parallel, each bounded by its own timeout, records one row per check, starts
// proactive healing for failing checks as child healing workflows, and alerts admins after N
// consecutive failures of a check (once per streak), with a recovery notice when it is healthy
// again. Consecutive failures span separate runs, so they are read back from the database.
import { ParentClosePolicy, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import { DEFAULT_HEALING_TIMING, type HealingInput, type HealingTiming } from '../common/healing-contract.js';
import type {
  HealthAlert,
  HealthCheckActivities,
  HealthCheckResult,
  HealthHistoryEntry,
  PlannedHealthCheck,
} from '../common/health-contract.js';
import { diagnoseByRules } from '../common/rules.js';
import * as attributes from '../common/search-attributes.js';
import { errorSignature } from '../common/signature.js';
import { defaultOperationPolicy, type OperationPolicy } from '../common/strategies/index.js';
import type { Diagnosis, ErrorReport, HealthStatus } from '../common/types.js';
import { healingWorkflow } from './healing.js';

export interface HealthCheckWorkflowInput {
  /** Run only these checks (by name); default every check the worker knows. */
  checks?: string[];
  /** Overrides the worker's ALERT_AFTER_FAILURES. */
  alertAfterFailures?: number;
  /** Start proactive healing for failing checks. Default true. */
  heal?: boolean;
  /** Timing of the child healing runs (attempts, operation timeout…). */
  healingTiming?: Partial<HealingTiming>;
}

export type OverallHealth = 'healthy' | 'degraded' | 'unhealthy';

export interface CheckSummary {
  name: string;
  status: HealthStatus;
  latencyMs: number;
  error?: string;
  /** Row id in system_health_checks; absent when the database could not be written. */
  recordId?: number;
  /** Consecutive unhealthy results including this one; absent when the history could not be read. */
  consecutiveFailures?: number;
  healing?: { workflowId: string } | { notStarted: string };
  notice?: { kind: 'alert' | 'recovery'; notificationId: string; sent: boolean; detail: string };
}

export interface HealthCheckSummary {
  workflowId: string;
  runId: string;
  overall: OverallHealth;
  checks: CheckSummary[];
  alerts: string[];
  recoveries: string[];
  healingWorkflowIds: string[];
}

/** Extra time Temporal gives a check activity beyond the check's own timeout (the backstop). */
const ACTIVITY_GRACE_MS = 5_000;
/** How many past results of a check are read to measure its streak. */
const HISTORY_LIMIT = 50;

const planning = proxyActivities<HealthCheckActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 3 },
  summary: 'plan health checks',
});
// Bounded retries: when the database itself is down the run still finishes (and says so).
const recordOptions = { startToCloseTimeout: '15s', retry: { initialInterval: '500ms', maximumAttempts: 3 } } as const;
// Providers are called with the notification id as idempotency key: retries send nothing twice.
const alertOptions = { startToCloseTimeout: '30s', retry: { initialInterval: '1s', maximumAttempts: 5 } } as const;

/** Activities with a summary for the Temporal UI. */
function activities(options: typeof recordOptions | typeof alertOptions, summary: string) {
  return proxyActivities<HealthCheckActivities>({ ...options, summary });
}

export async function healthCheckWorkflow(input: HealthCheckWorkflowInput = {}): Promise<HealthCheckSummary> {
  const info = workflowInfo();
  const plan = await planning.planHealthChecks();
  const threshold = Math.max(1, Math.trunc(input.alertAfterFailures ?? plan.alertAfterFailures));
  const selected = input.checks ? plan.checks.filter((check) => input.checks!.includes(check.name)) : plan.checks;

  const results = await Promise.all(selected.map(runCheck));
  const summaries: CheckSummary[] = results.map((result) => ({
    name: result.name,
    status: result.status,
    latencyMs: result.latencyMs,
    ...(result.error !== undefined ? { error: result.error } : {}),
  }));

  await Promise.all(
    results.map(async (result, index) => {
      try {
        const { id } = await activities(recordOptions, `record ${result.name}: ${result.status}`).recordHealthCheck({
          healthWorkflowId: info.workflowId,
          healthRunId: info.runId,
          result,
        });
        summaries[index]!.recordId = id;
      } catch {
        // database unavailable: the summary (and the run's history) still has the result
      }
    }),
  );

  const watched = results.filter((result) => result.status !== 'skipped').map((result) => result.name);
  let history: Record<string, HealthHistoryEntry[]> | undefined;
  if (watched.length > 0) {
    try {
      history = await activities(recordOptions, 'read consecutive failures').loadHealthHistory({
        names: watched,
        limit: Math.max(threshold + 1, HISTORY_LIMIT),
      });
    } catch {
      history = undefined;
    }
  }

  await Promise.all(
    results.map(async (result, index) => {
      const summary = summaries[index]!;
      const planned = selected[index]!;
      const entries = history?.[result.name];
      const streak = entries ? streakOf(entries, info.runId) : undefined;
      if (streak) summary.consecutiveFailures = streak.current;
      const notice = streak ? decideNotice(result.name, streak, threshold) : undefined;

      const failure = result.status === 'unhealthy' ? failureOf(result, planned) : undefined;
      if (failure && input.heal !== false) {
        summary.healing = await startHealing(result, planned, failure, streak?.current, threshold);
      }
      if (notice) {
        const alert: HealthAlert = {
          notificationId: notice.notificationId,
          kind: notice.kind,
          check: result.name,
          status: result.status,
          consecutiveFailures: notice.kind === 'alert' ? streak!.current : streak!.previous,
          ...(result.error !== undefined ? { error: result.error } : {}),
          ...(failure ? { diagnosis: failure.diagnosis } : {}),
          healthWorkflowId: info.workflowId,
          ...(summary.healing && 'workflowId' in summary.healing
            ? { healingWorkflowId: summary.healing.workflowId }
            : {}),
        };
        const label =
          notice.kind === 'alert'
            ? `alert admins: ${result.name} failed ${alert.consecutiveFailures} times in a row`
            : `recovery notice: ${result.name}`;
        try {
          const outcome = await activities(alertOptions, label).sendHealthAlert(alert);
          summary.notice = { ...notice, ...outcome };
        } catch (error) {
          summary.notice = { ...notice, sent: false, detail: `alert activity failed: ${(error as Error).message}` };
        }
      }
    }),
  );

  return {
    workflowId: info.workflowId,
    runId: info.runId,
    overall: overallOf(results.map((result) => result.status)),
    checks: summaries,
    alerts: summaries.filter((s) => s.notice?.kind === 'alert').map((s) => s.name),
    recoveries: summaries.filter((s) => s.notice?.kind === 'recovery').map((s) => s.name),
    healingWorkflowIds: summaries.flatMap((s) =>
      s.healing && 'workflowId' in s.healing ? [s.healing.workflowId] : [],
    ),
  };

  async function runCheck(check: PlannedHealthCheck): Promise<HealthCheckResult> {
    const startedAt = Date.now();
    const { runHealthCheck } = proxyActivities<HealthCheckActivities>({
      startToCloseTimeout: check.timeoutMs + ACTIVITY_GRACE_MS,
      retry: { maximumAttempts: 1 },
      summary: check.configured
        ? `check ${check.name} (≤ ${check.timeoutMs} ms)`
        : `check ${check.name} (not configured)`,
    });
    try {
      return await runHealthCheck({ name: check.name });
    } catch (error) {
      // The activity itself did not finish (worker lost, Temporal timeout): that is a failure.
      const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
      return {
        name: check.name,
        status: 'unhealthy',
        latencyMs: Date.now() - startedAt,
        details: {},
        error: `check did not complete: ${cause}`,
        code: 'ETIMEDOUT',
        checkedAt: new Date(startedAt).toISOString(),
      };
    }
  }

  async function startHealing(
    result: HealthCheckResult,
    planned: PlannedHealthCheck,
    failure: Failure,
    consecutiveFailures: number | undefined,
    alertAfter: number,
  ): Promise<CheckSummary['healing']> {
    const healing = planned.healing;
    if (!healing) return { notStarted: 'no healing strategy fits this check' };
    if (consecutiveFailures !== undefined && !shouldHeal(consecutiveFailures, alertAfter)) {
      return {
        notStarted: `healing backs off after ${alertAfter} consecutive failures (admins alerted); next at failure ${nextHealingAt(consecutiveFailures, alertAfter)}`,
      };
    }
    const { operation, error, policy, diagnosis } = failure;
    if (!diagnosis.transient)
      return { notStarted: `permanent fault (${diagnosis.category}): re-running cannot heal it` };

    const { signature } = errorSignature({ report: error, operation });
    const workflowId = `heal-health-${slug(result.name)}-${info.runId.slice(-8)}`;
    const healingInput: HealingInput = {
      workflowId,
      operation,
      error,
      signature,
      policy,
      appTaskQueue: info.taskQueue,
      context: {
        source: 'health-check',
        check: result.name,
        latencyMs: result.latencyMs,
        consecutiveFailures: consecutiveFailures ?? null,
        healthWorkflowId: info.workflowId,
      },
      detectedAt: new Date().toISOString(),
      notifyAdmins: false, // this workflow alerts after N consecutive failures, not the healing run
      timing: {
        ...DEFAULT_HEALING_TIMING,
        operationTimeoutMs: planned.timeoutMs + ACTIVITY_GRACE_MS,
        maximumAttempts: 3,
        ...input.healingTiming,
      },
    };
    try {
      await startChild(healingWorkflow, {
        workflowId,
        args: [healingInput],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `proactive healing of ${result.name}: ${(result.error ?? result.status).slice(0, 100)}`,
        staticDetails: `Started by health check \`${info.workflowId}\`; strategies: ${healing.strategies.join(', ')}`,
        typedSearchAttributes: [
          { key: attributes.OPERATION, value: operation },
          { key: attributes.ERROR_SIGNATURE, value: signature },
          { key: attributes.HEALING_OUTCOME, value: 'pending' },
        ],
      });
      return { workflowId };
    } catch (startError) {
      return { notStarted: `could not start ${workflowId}: ${(startError as Error).message}` };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Pure decisions (exported for tests)

export interface Failure {
  operation: string;
  error: ErrorReport;
  policy: OperationPolicy;
  diagnosis: Diagnosis;
}

/** A failing check as an error of its system operation `health:<check>`, read by the rules. */
export function failureOf(result: HealthCheckResult, planned: Pick<PlannedHealthCheck, 'healing'>): Failure {
  const healing = planned.healing;
  const operation = healing?.operation ?? `health:${result.name}`;
  const error: ErrorReport = {
    name: 'HealthCheckFailedError',
    message: `health check ${result.name} is ${result.status}: ${result.error ?? 'no detail'}`,
    ...(result.code ? { code: result.code } : {}),
    ...(result.httpStatus !== undefined ? { status: result.httpStatus } : {}),
  };
  const policy = defaultOperationPolicy(operation, {
    critical: true,
    allowedStrategies: healing?.strategies ?? [],
    hooks: healing?.hooks ?? [],
    alternateEndpoints: healing?.alternateEndpoints ?? [],
  });
  const diagnosis = diagnoseByRules(error, { operation, policy });
  return { operation, error, policy, diagnosis };
}

export interface Streak {
  /** Consecutive unhealthy results, newest first, including this run's. */
  current: number;
  /** Consecutive unhealthy results just before this run's. */
  previous: number;
  /** Row id of this run's result. */
  currentId: number;
  /** Row id of the first failure of the current streak (when current > 0). */
  startId?: number;
}

/**
 * The streak of a check from its history (newest first). Undefined when the newest row is not
 * this run's (its result was not recorded): no decision is better than a wrong one.
 */
export function streakOf(history: HealthHistoryEntry[], runId: string): Streak | undefined {
  const [latest, ...earlier] = history;
  if (!latest || latest.healthRunId !== runId) return undefined;
  const leading = (rows: HealthHistoryEntry[]) => {
    let count = 0;
    while (count < rows.length && rows[count]!.status === 'unhealthy') count++;
    return count;
  };
  const current = leading(history);
  return {
    current,
    previous: leading(earlier),
    currentId: latest.id,
    ...(current > 0 ? { startId: history[current - 1]!.id } : {}),
  };
}

/**
 * Alert when a streak reaches `threshold` (exactly once: later failures extend it past the
 * threshold); recovery notice when a healthy or degraded result ends a streak that was alerted.
 * Notification ids are derived from row ids, so a retried run or activity sends nothing twice.
 */
export function decideNotice(
  check: string,
  streak: Streak,
  threshold: number,
): { kind: 'alert' | 'recovery'; notificationId: string } | undefined {
  if (streak.current === threshold && streak.startId !== undefined) {
    return { kind: 'alert', notificationId: `health-alert:${check}:${streak.startId}` };
  }
  if (streak.current === 0 && streak.previous >= threshold) {
    return { kind: 'recovery', notificationId: `health-recovery:${check}:${streak.currentId}` };
  }
  return undefined;
}

/**
 * Whether a failure of a streak gets a healing run: each of the first `alertAfter` ones, then
 * (admins alerted, healing evidently not enough) backing off: at 2×, 4×, 8×… `alertAfter`.
 */
export function shouldHeal(consecutiveFailures: number, alertAfter: number): boolean {
  if (consecutiveFailures <= alertAfter) return true;
  if (consecutiveFailures % alertAfter !== 0) return false;
  const multiple = consecutiveFailures / alertAfter;
  return (multiple & (multiple - 1)) === 0;
}

function nextHealingAt(consecutiveFailures: number, alertAfter: number): number {
  let next = alertAfter;
  while (next <= consecutiveFailures) next *= 2;
  return next;
}

export function overallOf(statuses: HealthStatus[]): OverallHealth {
  if (statuses.includes('unhealthy')) return 'unhealthy';
  if (statuses.includes('degraded')) return 'degraded';
  return 'healthy';
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'check'
  );
}
