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
  let budget: BudgetView | undefined;
  return {
    registry,
    /** The LLM call budget, read at each scrape (shared by every worker through the database). */
    watchLlmBudget(watched: BudgetView): void {
      budget = watched;
    },
    llmCalls: new Counter({
      name: 'self_healing_llm_calls_total',
      help: 'LLM diagnosis attempts by status (used, budget_exhausted, timeout, invalid, ...)',
      labelNames: ['status'] as const,
      registers,
    }),
    healingRuns: new Counter({
      name: 'self_healing_runs_total',
      help: 'Healing runs that ended, by outcome, deciding strategy and error category',
      labelNames: ['outcome', 'strategy', 'category'] as const,
      registers,
    }),
    timeToHeal: new Histogram({
      name: 'self_healing_time_to_heal_seconds',
      help: 'From the failure to the end of its healing run, by outcome',
      labelNames: ['outcome'] as const,
      buckets: HEALING_SECONDS,
      registers,
    }),
    permanentErrors: new Counter({
      name: 'self_healing_permanent_errors_total',
      help: 'Errors diagnosed permanent: passed through to the caller as themselves, never re-run',
      labelNames: ['category'] as const,
      registers,
    }),
    diagnoses: new Counter({
      name: 'self_healing_diagnoses_total',
      help: 'Diagnoses by source: pattern (learned), llm (one LLM call each), rules',
      labelNames: ['source'] as const,
      registers,
    }),
    joinedOccurrences: new Counter({
      name: 'self_healing_joined_occurrences_total',
      help: 'Occurrences recorded without a run of their own (storm control), by result',
      labelNames: ['result'] as const,
      registers,
    }),
    unrecordedOccurrences: new Counter({
      name: 'self_healing_occurrences_unrecorded_total',
      help: 'Occurrences whose record failed to be written (retried by Temporal); should stay 0',
      labelNames: ['activity'] as const,
      registers,
    }),
    notifications: new Counter({
      name: 'self_healing_notifications_total',
      help: 'Admin notifications by channel (email, sms) and result (sent, failed, skipped, suppressed)',
      labelNames: ['channel', 'result'] as const,
      registers,
    }),
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
