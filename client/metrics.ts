// Application-side metrics for the app's own Prometheus registry, built on the call-outcome events
// (SelfHealing.onCallOutcome): one event per failed call of a wrapped operation. Successful calls
// are not counted here: the success path stays free of any work.
//
//   import { selfHealingMetrics } from 'temporal-self-healing/client/metrics';
//   selfHealingMetrics(healer, registry);
import { Counter, Histogram, type Registry } from 'prom-client';
import type { CallOutcomeEvent } from './self-healing.js';

/** Seconds a caller waited for its answer; the default deadline is 30 s. */
const WAIT_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface CallOutcomeSource {
  onCallOutcome(listener: (event: CallOutcomeEvent) => void): () => void;
}

/** Registers the app-side metrics in `registry` (once per registry) and records them; returns the unsubscriber. */
export function selfHealingMetrics(healer: CallOutcomeSource, registry: Registry): () => void {
  const registers = [registry];
  const failedCalls = new Counter({
    name: 'self_healing_app_failed_calls_total',
    help: 'Failed calls of wrapped operations, by what the caller got (healed, failed, joined, not-started, ...)',
    labelNames: ['operation', 'outcome'] as const,
    registers,
  });
  const healedValues = new Counter({
    name: 'self_healing_app_healed_values_total',
    help: 'Failed calls answered with a healed value, by the strategy that healed them',
    labelNames: ['operation', 'strategy'] as const,
    registers,
  });
  const callerWait = new Histogram({
    name: 'self_healing_app_caller_wait_seconds',
    help: 'From the failure to the caller getting its answer, by outcome',
    labelNames: ['outcome'] as const,
    buckets: WAIT_SECONDS,
    registers,
  });
  return healer.onCallOutcome((event) => {
    failedCalls.inc({ operation: event.operation, outcome: event.outcome });
    if (event.outcome === 'healed' && event.strategy) {
      healedValues.inc({ operation: event.operation, strategy: event.strategy });
    }
    callerWait.observe({ outcome: event.outcome }, event.waitedMs / 1000);
  });
}
