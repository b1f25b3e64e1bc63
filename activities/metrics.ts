// Observes the activities that decide what operators watch: each wrapped activity records its
// metrics (lib/metrics.ts) and puts the run's facts on its trace span (sanitised), then returns
// exactly what the activity returned. Without a tracer the span is absent and nothing is set.
import { trace, type Attributes } from '@opentelemetry/api';
import { Context } from '@temporalio/activity';
import { sanitizeText } from '../common/sanitize.js';
import type { HealthCheckResult } from '../common/health-contract.js';
import type { HEALTH_STATUSES } from '../common/types.js';
import type { JoinedOccurrenceBatch } from '../db/index.js';
import type { SystemMetrics } from '../lib/metrics.js';
import type { AnalyseErrorInput, AnalysisResult } from './analysis.js';
import type { OccurrenceRecord, RecordOutcomeInput, RecordOutcomeResult } from './audit.js';
import type { NotificationReport, RecoveryReport } from './notifications/index.js';

const STATUSES: typeof HEALTH_STATUSES = ['healthy', 'degraded', 'unhealthy', 'skipped'];
/** Runs whose category is waiting for their outcome on this worker; bounded for runs that never finish here. */
const MAX_REMEMBERED_RUNS = 10_000;

interface ObservedActivities {
  analyseError(input: AnalyseErrorInput): Promise<AnalysisResult>;
  recordOccurrence(input: OccurrenceRecord): Promise<void>;
  recordOutcome(input: RecordOutcomeInput): Promise<RecordOutcomeResult>;
  recordJoinedOccurrences(batch: JoinedOccurrenceBatch): Promise<number>;
  notifyAdmins(...args: never[]): Promise<NotificationReport>;
  notifyRecoveryIfAlerted(...args: never[]): Promise<RecoveryReport>;
  runHealthCheck(input: { name: string }): Promise<HealthCheckResult>;
}

export function observeActivities<T extends ObservedActivities>(activities: T, metrics?: SystemMetrics): T {
  // The analysis knows the category, the outcome record may not (it was recorded earlier): both
  // run as local activities of one run, on the worker that runs its workflow task.
  const categories = new Map<string, string>();
  const observed: ObservedActivities = {
    async analyseError(input) {
      const result = await activities.analyseError(input);
      const { diagnosis } = result;
      remember(categories, currentWorkflowId(), diagnosis.category);
      metrics?.diagnoses.inc({ source: diagnosis.source });
      if (!diagnosis.transient) metrics?.permanentErrors.inc({ category: diagnosis.category });
      annotate({
        'healing.operation': input.operation,
        'healing.signature': input.signature,
        'healing.category': diagnosis.category,
        'healing.diagnosis_source': diagnosis.source,
        'healing.transient': diagnosis.transient,
      });
      return result;
    },
    async recordOccurrence(input) {
      return countUnrecorded(metrics, 'recordOccurrence', 1, () => activities.recordOccurrence(input));
    },
    async recordOutcome(input) {
      const result = await activities.recordOutcome(input);
      const category = input.diagnosis?.category ?? categories.get(input.workflowId) ?? 'unknown';
      categories.delete(input.workflowId);
      const strategy = input.strategy ?? 'none';
      metrics?.healingRuns.inc({ outcome: input.result, strategy, category });
      metrics?.timeToHeal.observe({ outcome: input.result }, input.healingDurationMs / 1000);
      annotate({ 'healing.outcome': input.result, 'healing.strategy': strategy, 'healing.category': category });
      return result;
    },
    async recordJoinedOccurrences(batch) {
      const size = batch.occurrences.length;
      const write = () => activities.recordJoinedOccurrences(batch);
      const recorded = await countUnrecorded(metrics, 'recordJoinedOccurrences', size, write);
      for (const occurrence of batch.occurrences) metrics?.joinedOccurrences.inc({ result: occurrence.result });
      annotate({ 'healing.signature': batch.signature, 'healing.occurrences': size });
      return recorded;
    },
    async notifyAdmins(...args) {
      return countNotification(metrics, await activities.notifyAdmins(...args));
    },
    async notifyRecoveryIfAlerted(...args) {
      const report = await activities.notifyRecoveryIfAlerted(...args);
      return report.notified ? countNotification(metrics, report) : report;
    },
    async runHealthCheck(input) {
      const result = await activities.runHealthCheck(input);
      for (const status of STATUSES) {
        metrics?.healthCheckStatus.set({ check: result.name, status }, status === result.status ? 1 : 0);
      }
      metrics?.healthCheckLatency.observe({ check: result.name }, result.latencyMs / 1000);
      annotate({ 'health.check': result.name, 'health.status': result.status });
      return result;
    },
  };
  return { ...activities, ...observed } as T;
}

async function countUnrecorded<R>(
  metrics: SystemMetrics | undefined,
  activity: string,
  occurrences: number,
  write: () => Promise<R>,
): Promise<R> {
  try {
    return await write();
  } catch (error) {
    metrics?.unrecordedOccurrences.inc({ activity }, occurrences);
    throw error;
  }
}

function countNotification<R extends NotificationReport>(metrics: SystemMetrics | undefined, report: R): R {
  for (const channel of ['email', 'sms'] as const) {
    metrics?.notifications.inc({ channel, result: report.suppressed ? 'suppressed' : report[channel] });
  }
  annotate({ 'notification.kind': report.kind, 'notification.email': report.email, 'notification.sms': report.sms });
  return report;
}

/** Sets the facts on the activity's span (the OpenTelemetry activity interceptor's), text sanitised. */
function annotate(attributes: Attributes): void {
  const span = trace.getActiveSpan();
  if (!span) return;
  for (const [key, value] of Object.entries(attributes)) {
    span.setAttribute(key, typeof value === 'string' ? sanitizeText(value) : value!);
  }
}

function remember(categories: Map<string, string>, workflowId: string | undefined, category: string): void {
  if (!workflowId) return;
  categories.set(workflowId, category);
  if (categories.size > MAX_REMEMBERED_RUNS) categories.delete(categories.keys().next().value!);
}

/** The run this activity serves; none when called outside an activity (a test calling it directly). */
function currentWorkflowId(): string | undefined {
  try {
    return Context.current().info.workflowExecution?.workflowId;
  } catch {
    return undefined;
  }
}
