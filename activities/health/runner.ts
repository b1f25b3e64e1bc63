// Runs the checks of checks/index.ts the same way: each bounded by its timeout (an AbortSignal,
// and a race in case the client ignores it), never throwing, graded healthy / degraded /
// unhealthy, or skipped when not configured; a configured service that cannot be reached is
// unhealthy, never skipped. Results are sanitised: they go to the database and the UI.
import type { OperationHook } from '../../common/healing-contract.js';
import { healthOperation, type HealthCheckPlan, type HealthCheckResult } from '../../common/health-contract.js';
import { sanitize, sanitizeText } from '../../common/sanitize.js';
import type { Database } from '../../db/index.js';
import { displayUrl, type CheckHooks, type HealthCheck, type HealthDatabase, type ProbeOutcome } from './check.js';
import { HEALTH_CHECKS } from './checks/index.js';
import {
  DEFAULT_ALERT_AFTER_FAILURES,
  DEFAULT_DEGRADED_LATENCY_MS,
  DEFAULT_HEALTH_TIMEOUT_MS,
  type HealthCheckOptions,
} from './options.js';

export interface HealthCheckRunner {
  /** Every check this process knows, configured or not (built-ins first, then the HTTP checks). */
  plan(): HealthCheckPlan;
  /** Runs one check; never throws. `endpoint` overrides the check's target (SWITCH_API_ENDPOINT). */
  run(name: string, options?: { endpoint?: string }): Promise<HealthCheckResult>;
  /** Healing hooks, keyed by check. */
  hooks(name: string): CheckHooks;
  /** Makes `endpoint` the check's target from now on, when the check can switch. */
  switchEndpoint(name: string, endpoint: string): void;
}

export function createHealthCheckRunner(deps: {
  db: Database;
  database?: HealthDatabase;
  options?: HealthCheckOptions;
}): HealthCheckRunner {
  const options = deps.options ?? {};
  const slowMs = options.degradedLatencyMs ?? DEFAULT_DEGRADED_LATENCY_MS;
  const context = { ...deps, options, defaultTimeoutMs: options.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS };
  const checks = new Map(HEALTH_CHECKS.flatMap((factory) => factory(context)).map((check) => [check.name, check]));

  async function run(check: HealthCheck, endpoint: string | undefined): Promise<HealthCheckResult> {
    const checkedAt = new Date().toISOString();
    if (!check.configured) {
      return { name: check.name, status: 'skipped', latencyMs: 0, details: { reason: 'not configured' }, checkedAt };
    }
    const { timeoutMs } = check;
    const started = performance.now();
    let outcome: ProbeOutcome;
    try {
      outcome = await withTimeout(timeoutMs, (signal) => check.probe({ signal, timeoutMs, endpoint }));
    } catch (error) {
      outcome = { status: 'unhealthy', ...errorFacts(error) };
    }
    const latencyMs = Math.round(performance.now() - started);
    if (outcome.status === 'healthy' && latencyMs > slowMs && !check.ignoresLatency) {
      outcome = { ...outcome, status: 'degraded', error: `slow: ${latencyMs} ms (over ${slowMs} ms)` };
    }
    const details = { ...outcome.details, timeoutMs, ...(endpoint ? { endpoint: displayUrl(endpoint) } : {}) };
    return {
      name: check.name,
      status: outcome.status,
      latencyMs,
      details: sanitize(details) as Record<string, unknown>,
      ...(outcome.error !== undefined ? { error: sanitizeText(outcome.error, 1_000) } : {}),
      ...(outcome.code !== undefined ? { code: outcome.code } : {}),
      ...(outcome.httpStatus !== undefined ? { httpStatus: outcome.httpStatus } : {}),
      checkedAt,
    };
  }

  return {
    plan() {
      return {
        checks: [...checks.values()].map((check) => {
          const { name, configured, timeoutMs, healing } = check;
          if (!configured || !healing) return { name, configured, timeoutMs };
          const spec = {
            operation: healthOperation(name),
            strategies: healing.strategies,
            hooks: Object.keys(check.hooks ?? {}) as OperationHook[],
            alternateEndpoints: healing.alternateEndpoints ?? [],
          };
          return { name, configured, timeoutMs, healing: spec };
        }),
        alertAfterFailures: options.alertAfterFailures ?? DEFAULT_ALERT_AFTER_FAILURES,
      };
    },

    async run(name, runOptions = {}) {
      const check = checks.get(name);
      if (check) return run(check, runOptions.endpoint);
      const checkedAt = new Date().toISOString();
      return { name, status: 'unhealthy', latencyMs: 0, details: {}, error: `unknown health check ${name}`, checkedAt };
    },

    hooks: (name) => checks.get(name)?.hooks ?? {},

    switchEndpoint: (name, endpoint) => checks.get(name)?.switchEndpoint?.(endpoint),
  };
}

class HealthCheckTimeoutError extends Error {
  override name = 'HealthCheckTimeoutError';
  readonly code = 'ETIMEDOUT';
  constructor(timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
  }
}

/** Runs `work` with an AbortSignal that fires after `timeoutMs`, and stops waiting then even if `work` does not. */
async function withTimeout<T>(timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new HealthCheckTimeoutError(timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(controller.signal), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Message, code and HTTP status of whatever a probe threw (SDK errors, fetch errors, timeouts). */
function errorFacts(error: unknown): { error: string; code?: string; httpStatus?: number } {
  if (error instanceof HealthCheckTimeoutError) return { error: error.message, code: error.code };
  const e = error as {
    message?: unknown;
    code?: unknown;
    status?: unknown;
    statusCode?: unknown;
    cause?: unknown;
    name?: unknown;
  };
  const cause = e?.cause as { code?: unknown; message?: unknown } | undefined;
  // fetch / undici put the socket error (ECONNREFUSED…) in `cause`.
  const code = [e?.code, cause?.code].find((value): value is string => typeof value === 'string' && value.length > 0);
  const status = [e?.status, e?.statusCode].find((value): value is number => typeof value === 'number');
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') {
    return { error: String(e.message ?? 'aborted'), code: 'ETIMEDOUT' };
  }
  const message = typeof e?.message === 'string' && e.message ? e.message : String(error);
  const causeText =
    typeof cause?.message === 'string' && cause.message && !message.includes(cause.message)
      ? ` (${cause.message})`
      : '';
  return {
    error: `${message}${causeText}`,
    ...(code ? { code } : {}),
    ...(status !== undefined ? { httpStatus: status } : {}),
  };
}
