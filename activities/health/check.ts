// What one health check is. Each check lives in checks/<name>.ts and is listed in checks/index.ts;
// the runner (runner.ts) bounds, times, grades and sanitises every probe the same way.
import type { OperationHook } from '../../common/healing-contract.js';
import type { HealthStatus, Strategy } from '../../common/types.js';
import type { Database, PoolStats } from '../../db/index.js';
import type { HealthCheckOptions } from './options.js';

/** The database as the health check sees it; `reset` (when present) lets healing reset the pool. */
export interface HealthDatabase {
  ping(): Promise<number>;
  poolStats(): PoolStats;
  reset?: () => Promise<void>;
}

/** What every check is built from: the worker's database and its health options. */
export interface CheckContext {
  db: Database;
  /** The process's database handle (round trip + pool statistics). Without it: a bare `select 1`. */
  database?: HealthDatabase;
  options: HealthCheckOptions;
  /** The bound on a probe whose check sets none (options.timeoutMs or 5 s). */
  defaultTimeoutMs: number;
}

export interface ProbeCall {
  /** Fires at the check's timeout; the runner stops waiting then even if the probe ignores it. */
  signal: AbortSignal;
  timeoutMs: number;
  /** Probe this target instead of the configured one (SWITCH_API_ENDPOINT trying an alternate). */
  endpoint?: string;
}

/** A probe's verdict; a probe that throws is unhealthy with the error's message, code and status. */
export interface ProbeOutcome {
  status: HealthStatus;
  details?: Record<string, unknown>;
  error?: string;
  code?: string;
  httpStatus?: number;
}

export type CheckHooks = Partial<Record<OperationHook, () => Promise<void>>>;

export interface HealthCheck {
  name: string;
  /** False when this process lacks what the check needs (a key, a URL): the check is skipped. */
  configured: boolean;
  timeoutMs: number;
  probe(call: ProbeCall): Promise<ProbeOutcome>;
  /** What healing may do when the check fails; absent: no healing fits. */
  healing?: { strategies: Strategy[]; alternateEndpoints?: string[] };
  /** Hooks healing strategies may run (RESET_CONNECTION, CLEAR_CACHE_AND_RETRY). */
  hooks?: CheckHooks;
  /** Makes `endpoint` the check's target from now on (after SWITCH_API_ENDPOINT healed with it). */
  switchEndpoint?(endpoint: string): void;
  /** The probe measures this process, not a service: its latency says nothing. */
  ignoresLatency?: boolean;
}

/** One entry of the list in checks/index.ts: a check, or several (the user-defined HTTP checks). */
export type HealthCheckFactory = (context: CheckContext) => HealthCheck | HealthCheck[];

/** Path and host only: a URL's query string or credentials may carry secrets. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
