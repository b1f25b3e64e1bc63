// The central worker's own Prometheus metrics (prom-client), recorded by the activities through
// activities/metrics.ts and served with the Temporal runtime's on one endpoint (lib/metrics-endpoint.ts).
// Names and meanings: docs/observability.md.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LlmCallBudget } from '../activities/llm-budget.js';

/** Seconds; healing runs last from milliseconds (a re-run) to hours (queued, awaiting approval). */
const HEALING_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600];
const CHECK_SECONDS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type SystemMetrics = ReturnType<typeof createSystemMetrics>;

type BudgetView = Pick<LlmCallBudget, 'remaining' | 'callsPerHour'>;

export function createSystemMetrics(registry = new Registry()) {
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter({ name, help, labelNames, registers });
  let budget: BudgetView | undefined;
  return {
    registry,
    /** The LLM call budget, read at each scrape (shared by every worker through the database). */
    watchLlmBudget(watched: BudgetView): void {
      budget = watched;
    },
    llmCalls: counter(
      'self_healing_llm_calls_total',
      'LLM diagnosis attempts by status (used, budget_exhausted, timeout, invalid, ...)',
      ['status'],
    ),
    healingRuns: counter(
      'self_healing_runs_total',
      'Healing runs that ended, by outcome, deciding strategy and error category',
      ['outcome', 'strategy', 'category'],
    ),
    timeToHeal: new Histogram({
      name: 'self_healing_time_to_heal_seconds',
      help: 'From the start of a healing run to its outcome, by outcome',
      labelNames: ['outcome'] as const,
      buckets: HEALING_SECONDS,
      registers,
    }),
    permanentErrors: counter(
      'self_healing_permanent_errors_total',
      'Errors diagnosed permanent: passed through to the caller as themselves, never re-run',
      ['category'],
    ),
    diagnoses: counter(
      'self_healing_diagnoses_total',
      'Diagnoses by source: pattern (learned), llm (one LLM call each), rules',
      ['source'],
    ),
    joinedOccurrences: counter(
      'self_healing_joined_occurrences_total',
      'Occurrences recorded without a run of their own (storm control), by result',
      ['result'],
    ),
    unrecordedOccurrences: counter(
      'self_healing_occurrences_unrecorded_total',
      'Occurrences whose record failed to be written (retried by Temporal); should stay 0',
      ['activity'],
    ),
    notifications: counter(
      'self_healing_notifications_total',
      'Admin notifications by channel (email, sms) and result (sent, failed, skipped, suppressed)',
      ['channel', 'result'],
    ),
    healthCheckStatus: new Gauge({
      name: 'self_healing_health_check_status',
      help: 'Last status of each health check: 1 for its current status, 0 for the others',
      labelNames: ['check', 'status'] as const,
      registers,
    }),
    healthCheckLatency: new Histogram({
      name: 'self_healing_health_check_latency_seconds',
      help: 'Latency of each health check',
      labelNames: ['check'] as const,
      buckets: CHECK_SECONDS,
      registers,
    }),
    llmBudgetRemaining: new Gauge({
      name: 'self_healing_llm_budget_remaining',
      help: 'LLM calls left in the current hour (shared by every worker); 0: the rules decide',
      registers,
      async collect() {
        if (budget) this.set(await budget.remaining());
      },
    }),
    llmBudgetPerHour: new Gauge({
      name: 'self_healing_llm_budget_per_hour',
      help: 'LLM calls allowed per hour (LLM_CALLS_PER_HOUR); 0 when LLM analysis is off',
      registers,
      collect() {
        this.set(budget?.callsPerHour ?? 0);
      },
    }),
  };
}
