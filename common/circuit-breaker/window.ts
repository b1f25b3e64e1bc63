// The breaker's sliding window: outcome counts per instance in short buckets, and the verdict
// over them. It opens on the failure rate of all instances together, but only with a quorum of
// instances that each see the failures, so one partitioned or broken node cannot open it for the
// others. Pure and serialisable: the breaker workflow carries it across continue-as-new.
import type { CircuitBreakerSettings } from './settings.js';

/** Calls of one instance in one short interval; `at` is the interval's start in the breaker's clock. */
export interface OutcomeBucket {
  at: number;
  calls: number;
  failures: number;
}

/** Buckets per instance id. */
export type OutcomeWindow = Record<string, OutcomeBucket[]>;

export interface InstanceSummary {
  instance: string;
  calls: number;
  failures: number;
  /** Its own failure rate reached the threshold (with at least one failure). */
  failing: boolean;
}

export interface WindowSummary {
  calls: number;
  failures: number;
  /** failures / calls; 0 without calls. */
  failureRate: number;
  instances: InstanceSummary[];
  failingInstances: number;
  /** Failing instances needed: the quorum, or every instance that reported when fewer did. */
  requiredQuorum: number;
  /** Whether the window says open, and why (or why not). */
  open: boolean;
  reason: string;
}

/** Buckets per instance are at least this share of the window long: the window stays small (≈ 20 buckets per instance). */
const GRANULES_PER_WINDOW = 20;

/** Adds an instance's buckets (already in the breaker's clock, oldest first) and drops what left the window. */
export function addBuckets(
  window: OutcomeWindow,
  instance: string,
  buckets: readonly OutcomeBucket[],
  now: number,
  windowMs: number,
): void {
  const granuleMs = windowMs / GRANULES_PER_WINDOW;
  const kept = window[instance] ?? [];
  for (const bucket of buckets) {
    if (bucket.calls <= 0) continue;
    const last = kept[kept.length - 1];
    if (last && bucket.at >= last.at && bucket.at - last.at < granuleMs) {
      last.calls += bucket.calls;
      last.failures += bucket.failures;
    } else {
      kept.push({ ...bucket });
    }
  }
  window[instance] = kept;
  prune(window, now, windowMs);
}

/** Drops buckets older than the window, and instances left without any. */
export function prune(window: OutcomeWindow, now: number, windowMs: number): void {
  const from = now - windowMs;
  for (const [instance, buckets] of Object.entries(window)) {
    const recent = buckets.filter((bucket) => bucket.at >= from);
    if (recent.length === 0) delete window[instance];
    else window[instance] = recent;
  }
}

export function summarize(window: OutcomeWindow, settings: CircuitBreakerSettings, now: number): WindowSummary {
  const from = now - settings.windowMs;
  const instances: InstanceSummary[] = Object.entries(window)
    .map(([instance, buckets]) => {
      let calls = 0;
      let failures = 0;
      for (const bucket of buckets) {
        if (bucket.at < from) continue;
        calls += bucket.calls;
        failures += bucket.failures;
      }
      return { instance, calls, failures, failing: failures > 0 && failures >= settings.failureRate * calls };
    })
    .filter((instance) => instance.calls > 0)
    .sort((a, b) => a.instance.localeCompare(b.instance));
  const calls = instances.reduce((sum, instance) => sum + instance.calls, 0);
  const failures = instances.reduce((sum, instance) => sum + instance.failures, 0);
  const failureRate = calls === 0 ? 0 : failures / calls;
  const failingInstances = instances.filter((instance) => instance.failing).length;
  const requiredQuorum = Math.max(1, Math.min(settings.quorum, instances.length));
  const verdict = (open: boolean, reason: string) => ({
    calls,
    failures,
    failureRate,
    instances,
    failingInstances,
    requiredQuorum,
    open,
    reason,
  });
  const rate = `${percent(failureRate)} of ${calls} calls failed`;
  if (calls < settings.minimumCalls)
    return verdict(false, `${calls} calls in the window, fewer than ${settings.minimumCalls}`);
  if (failures === 0 || failureRate < settings.failureRate)
    return verdict(false, `${rate}, under ${percent(settings.failureRate)}`);
  if (failingInstances < requiredQuorum) {
    return verdict(
      false,
      `${rate}, but only ${failingInstances} of ${instances.length} instances see the failures (quorum ${requiredQuorum})`,
    );
  }
  return verdict(
    true,
    `${rate} in ${settings.windowMs / 1000} s, seen by ${failingInstances} of ${instances.length} instances`,
  );
}

/** How long it stays open after `failedProbes` probes failed in a row: doubling from openMs, bounded. */
export function openDelayMs(settings: CircuitBreakerSettings, failedProbes: number): number {
  return Math.min(settings.maxOpenMs, settings.openMs * 2 ** Math.min(failedProbes, 30));
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10} %`;
}
