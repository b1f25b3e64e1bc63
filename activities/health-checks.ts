// Proactive health checks of the services the system depends on, as activities of the central
// worker. Every check is bounded by its own timeout (an AbortSignal where the client honours
// one, and a race in any case), never throws, and reports healthy / degraded / unhealthy, or
// skipped when the service is not configured. A configured service that cannot be reached is
// unhealthy: it is never reported as skipped.
import { getHeapStatistics } from 'node:v8';
import { sql } from 'drizzle-orm';
import OpenAI from 'openai';
import { Resend } from 'resend';
import twilio from 'twilio';
import { sanitize, sanitizeText } from '../common/sanitize.js';
import type { OperationHook } from '../common/healing-contract.js';
import type { Diagnosis, HealthStatus, Strategy } from '../common/types.js';
import {
  countHealingEventsSince,
  getHealthChecks,
  systemHealthChecks,
  type Database,
  type PoolStats,
} from '../db/index.js';
import { and, eq, gte } from 'drizzle-orm';
import type { Config } from '../lib/config.js';
import type { NotificationReport, NotifyAdminsInput, NotifyRecoveryInput, RecoveryReport } from './notifications.js';

// ---------------------------------------------------------------------------------------------
// Vocabulary

export const BUILT_IN_CHECKS = ['llm_api', 'database', 'email', 'sms', 'error_rate', 'memory', 'file_service'] as const;
export type BuiltInCheck = (typeof BUILT_IN_CHECKS)[number];
/** User-defined HTTP checks are named `http:<name>`. */
export const HTTP_CHECK_PREFIX = 'http:';

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

export interface HttpCheckConfig {
  name: string;
  url: string;
  method?: string;
  /** One status or a list; default any 2xx. */
  expectedStatus?: number | number[];
  timeoutMs?: number;
  headers?: Record<string, string>;
}

export interface HealthCheckOptions {
  /** Default bound on one check. Default 5 000 ms. */
  timeoutMs?: number;
  /** A healthy answer slower than this is degraded. Default 2 000 ms. */
  degradedLatencyMs?: number;
  /** Alert admins after this many consecutive failures of one check. Default 3. */
  alertAfterFailures?: number;
  llm?: { apiKey?: string; baseURL?: string; alternateBaseURLs?: string[]; timeoutMs?: number };
  email?: { apiKey?: string; baseUrl?: string; timeoutMs?: number };
  sms?: { accountSid?: string; authToken?: string; baseUrl?: string; timeoutMs?: number };
  errorRate?: { windowMs?: number; degradedPerMinute?: number; unhealthyPerMinute?: number };
  memory?: { rssDegradedMb?: number; rssUnhealthyMb?: number; heapDegradedRatio?: number; heapUnhealthyRatio?: number };
  fileService?: { url?: string; timeoutMs?: number; expectedStatus?: number | number[] };
  http?: HttpCheckConfig[];
  /** Application hooks proactive healing may run (see activities/system-operations.ts). */
  hooks?: { clearCaches?: () => unknown };
  /** Told when healing switched the LLM API to another base URL. */
  onLlmEndpointSwitched?: (baseURL: string) => void;
  /** Where health alerts go; default: the notifyAdmins activity. */
  sendAlert?: HealthAlertSender;
}

/** The database as the health check sees it; `reset` (when present) lets healing reset the pool. */
export interface HealthDatabase {
  ping(): Promise<number>;
  poolStats(): PoolStats;
  reset?: () => Promise<void>;
}

export interface HealthCheckDependencies {
  db: Database;
  /** The process's database handle (round trip + pool statistics). Without it: a bare `select 1`. */
  database?: HealthDatabase;
  options?: HealthCheckOptions;
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

export type HealthAlertSender = (alert: HealthAlert) => Promise<HealthAlertOutcome>;

export const DEFAULT_HEALTH_TIMEOUT_MS = 5_000;
export const DEFAULT_DEGRADED_LATENCY_MS = 2_000;
export const DEFAULT_ALERT_AFTER_FAILURES = 3;
const MB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Bounded execution

export class HealthCheckTimeoutError extends Error {
  override name = 'HealthCheckTimeoutError';
  readonly code = 'ETIMEDOUT';
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
  }
}

/**
 * Runs `work` with an AbortSignal that fires after `timeoutMs`, and stops waiting at that moment
 * even if `work` ignores the signal.
 */
export async function withTimeout<T>(timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
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

interface Outcome {
  status: HealthStatus;
  details?: Record<string, unknown>;
  error?: string;
  code?: string;
  httpStatus?: number;
}

function errorFacts(error: unknown): { error: string; code?: string; httpStatus?: number } {
  if (error instanceof HealthCheckTimeoutError) return { error: error.message, code: error.code };
  const e = error as { message?: unknown; code?: unknown; status?: unknown; statusCode?: unknown; cause?: unknown; name?: unknown };
  const cause = e?.cause as { code?: unknown; message?: unknown } | undefined;
  // fetch / undici put the socket error (ECONNREFUSED…) in `cause`.
  const code = [e?.code, cause?.code].find((value): value is string => typeof value === 'string' && value.length > 0);
  const status = [e?.status, e?.statusCode].find((value): value is number => typeof value === 'number');
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return { error: String(e.message ?? 'aborted'), code: 'ETIMEDOUT' };
  const message = typeof e?.message === 'string' && e.message ? e.message : String(error);
  const causeText = typeof cause?.message === 'string' && cause.message && !message.includes(cause.message) ? ` (${cause.message})` : '';
  return { error: `${message}${causeText}`, ...(code ? { code } : {}), ...(status !== undefined ? { httpStatus: status } : {}) };
}

function statusMatches(status: number, expected: number | number[] | undefined): boolean {
  if (expected === undefined) return status >= 200 && status < 300;
  return Array.isArray(expected) ? expected.includes(status) : status === expected;
}

/** Path and host only: a URL's query string or credentials may carry secrets. */
function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

// ---------------------------------------------------------------------------------------------
// The checks

export interface HealthCheckRunner {
  /** Every check this process knows, configured or not (built-ins first, then the HTTP checks). */
  plan(): HealthCheckPlan;
  /** Runs one check; never throws. `endpoint` overrides the check's target (SWITCH_API_ENDPOINT). */
  run(name: string, options?: { endpoint?: string }): Promise<HealthCheckResult>;
  /** Healing hooks, keyed by check. */
  hooks(name: string): Partial<Record<OperationHook, () => Promise<void>>>;
  /** The LLM base URL checks (and the application, via onLlmEndpointSwitched) use now. */
  activeLlmBaseURL(): string | undefined;
  /** Makes `baseURL` the LLM endpoint from now on. */
  switchLlmEndpoint(baseURL: string): void;
}

export function createHealthCheckRunner(deps: HealthCheckDependencies): HealthCheckRunner {
  const options = deps.options ?? {};
  const defaultTimeout = options.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
  const slowMs = options.degradedLatencyMs ?? DEFAULT_DEGRADED_LATENCY_MS;
  const httpChecks = new Map((options.http ?? []).map((check) => [`${HTTP_CHECK_PREFIX}${check.name}`, check]));
  let llmBaseURL = options.llm?.baseURL;
  // Provider clients are kept between runs (keep-alive agents); a reset builds new ones.
  let resendClient: Resend | undefined;
  let twilioClient: ReturnType<typeof twilio> | undefined;

  const timeoutOf = (name: string): number => {
    switch (name) {
      case 'llm_api':
        return options.llm?.timeoutMs ?? defaultTimeout;
      case 'email':
        return options.email?.timeoutMs ?? defaultTimeout;
      case 'sms':
        return options.sms?.timeoutMs ?? defaultTimeout;
      case 'file_service':
        return options.fileService?.timeoutMs ?? defaultTimeout;
      default:
        return httpChecks.get(name)?.timeoutMs ?? defaultTimeout;
    }
  };

  const configured = (name: string): boolean => {
    switch (name) {
      case 'llm_api':
        return Boolean(options.llm?.apiKey);
      case 'email':
        return Boolean(options.email?.apiKey);
      case 'sms':
        return Boolean(options.sms?.accountSid && options.sms?.authToken);
      case 'file_service':
        return Boolean(options.fileService?.url);
      case 'database':
      case 'error_rate':
      case 'memory':
        return true;
      default:
        return httpChecks.has(name);
    }
  };

  const hooks = (name: string): Partial<Record<OperationHook, () => Promise<void>>> => {
    switch (name) {
      case 'database':
        return deps.database?.reset ? { resetConnection: () => deps.database!.reset!() } : {};
      case 'email':
        return { resetConnection: async () => void (resendClient = undefined) };
      case 'sms':
        return { resetConnection: async () => void (twilioClient = undefined) };
      case 'memory': {
        const clearCaches = options.hooks?.clearCaches;
        const gc = (globalThis as { gc?: () => void }).gc;
        if (!clearCaches && !gc) return {};
        return {
          clearCache: async () => {
            await clearCaches?.();
            gc?.();
          },
        };
      }
      default:
        return {};
    }
  };

  /** The healing that fits each check; none for the error rate (healing events are its input). */
  const healingOf = (name: string): HealthHealingSpec | undefined => {
    const operation = `health:${name}`;
    const available = Object.keys(hooks(name)) as OperationHook[];
    switch (name) {
      case 'database':
        return { operation, strategies: available.length ? ['RESET_CONNECTION', 'RETRY_WITH_BACKOFF'] : ['RETRY_WITH_BACKOFF'], hooks: available, alternateEndpoints: [] };
      case 'llm_api': {
        const alternates = (options.llm?.alternateBaseURLs ?? []).filter((url) => url !== options.llm?.baseURL);
        return {
          operation,
          strategies: alternates.length ? ['SWITCH_API_ENDPOINT', 'RETRY_WITH_BACKOFF'] : ['RETRY_WITH_BACKOFF'],
          hooks: [],
          alternateEndpoints: alternates,
        };
      }
      case 'email':
      case 'sms':
        return { operation, strategies: ['RESET_CONNECTION', 'RETRY_WITH_BACKOFF'], hooks: available, alternateEndpoints: [] };
      case 'memory':
        return available.length ? { operation, strategies: ['CLEAR_CACHE_AND_RETRY'], hooks: available, alternateEndpoints: [] } : undefined;
      case 'error_rate':
        return undefined;
      default:
        return { operation, strategies: ['RETRY_WITH_BACKOFF'], hooks: [], alternateEndpoints: [] };
    }
  };

  async function checkLlm(timeoutMs: number, endpoint: string | undefined): Promise<Outcome> {
    const baseURL = endpoint ?? llmBaseURL;
    const client = new OpenAI({ apiKey: options.llm!.apiKey, baseURL, timeout: timeoutMs, maxRetries: 0 });
    const page = await withTimeout(timeoutMs, (signal) => client.models.list({ signal }));
    return { status: 'healthy', details: { baseURL: baseURL ? displayUrl(baseURL) : 'https://api.openai.com/v1', models: page.data.length } };
  }

  async function checkDatabase(timeoutMs: number): Promise<Outcome> {
    const pingMs = await withTimeout(timeoutMs, async () => {
      if (deps.database) return deps.database.ping();
      const started = performance.now();
      await deps.db.execute(sql`select 1`);
      return performance.now() - started;
    });
    const pool = deps.database?.poolStats();
    const details: Record<string, unknown> = { pingMs: Math.round(pingMs), ...(pool ? { pool } : {}) };
    if (pool && pool.waiting > 0 && pool.idle === 0) return { status: 'degraded', details, error: `${pool.waiting} clients waiting for a connection` };
    return { status: 'healthy', details };
  }

  async function checkEmail(timeoutMs: number): Promise<Outcome> {
    resendClient ??= new Resend(options.email!.apiKey, options.email!.baseUrl ? { baseUrl: options.email!.baseUrl } : undefined);
    const client = resendClient;
    const { data, error } = await withTimeout(timeoutMs, (signal) => client.domains.list(undefined, { signal }));
    if (error) {
      // A send-only key may not list domains, yet it is valid and the API answered.
      if (error.name === 'restricted_api_key') return { status: 'healthy', details: { keyScope: 'sending_access' } };
      return { status: 'unhealthy', error: `${error.name}: ${error.message}`, ...(error.statusCode ? { httpStatus: error.statusCode } : {}) };
    }
    return { status: 'healthy', details: { domains: Array.isArray(data?.data) ? data.data.length : undefined } };
  }

  async function checkSms(timeoutMs: number): Promise<Outcome> {
    const { accountSid, authToken, baseUrl } = options.sms!;
    if (!twilioClient) {
      twilioClient = twilio(accountSid, authToken, { timeout: timeoutMs });
      if (baseUrl) twilioClient.api.baseUrl = baseUrl;
    }
    const client = twilioClient;
    const account = await withTimeout(timeoutMs, () => client.api.accounts(accountSid!).fetch());
    const details = { accountStatus: account.status, type: account.type };
    return account.status === 'active'
      ? { status: 'healthy', details }
      : { status: 'unhealthy', details, error: `Twilio account is ${account.status}` };
  }

  async function checkErrorRate(timeoutMs: number): Promise<Outcome> {
    const windowMs = options.errorRate?.windowMs ?? 5 * 60_000;
    const degraded = options.errorRate?.degradedPerMinute ?? 5;
    const unhealthy = options.errorRate?.unhealthyPerMinute ?? 20;
    const events = await withTimeout(timeoutMs, () => countHealingEventsSince(deps.db, new Date(Date.now() - windowMs)));
    const perMinute = events / (windowMs / 60_000);
    const details = { events, windowMs, perMinute: Math.round(perMinute * 100) / 100, degradedPerMinute: degraded, unhealthyPerMinute: unhealthy };
    if (perMinute >= unhealthy) return { status: 'unhealthy', details, error: `${details.perMinute} errors/min over the last ${windowMs / 60_000} min (threshold ${unhealthy})` };
    if (perMinute >= degraded) return { status: 'degraded', details, error: `${details.perMinute} errors/min (warning at ${degraded})` };
    return { status: 'healthy', details };
  }

  async function checkMemory(): Promise<Outcome> {
    const memory = process.memoryUsage();
    const heapLimit = getHeapStatistics().heap_size_limit;
    const thresholds = options.memory ?? {};
    const rssDegraded = (thresholds.rssDegradedMb ?? 1_024) * MB;
    const rssUnhealthy = (thresholds.rssUnhealthyMb ?? 2_048) * MB;
    const heapDegraded = thresholds.heapDegradedRatio ?? 0.85;
    const heapUnhealthy = thresholds.heapUnhealthyRatio ?? 0.95;
    const heapRatio = memory.heapUsed / heapLimit;
    const details = {
      rssMb: Math.round(memory.rss / MB),
      heapUsedMb: Math.round(memory.heapUsed / MB),
      heapLimitMb: Math.round(heapLimit / MB),
      heapRatio: Math.round(heapRatio * 1000) / 1000,
    };
    if (memory.rss >= rssUnhealthy || heapRatio >= heapUnhealthy) {
      return { status: 'unhealthy', details, error: `memory high: rss ${details.rssMb} MB, heap ${Math.round(heapRatio * 100)}% of limit` };
    }
    if (memory.rss >= rssDegraded || heapRatio >= heapDegraded) {
      return { status: 'degraded', details, error: `memory rising: rss ${details.rssMb} MB, heap ${Math.round(heapRatio * 100)}% of limit` };
    }
    return { status: 'healthy', details };
  }

  async function checkHttp(
    target: { url: string; method?: string; expectedStatus?: number | number[]; headers?: Record<string, string> },
    timeoutMs: number,
  ): Promise<Outcome> {
    const method = (target.method ?? 'GET').toUpperCase();
    const details: Record<string, unknown> = { url: displayUrl(target.url), method };
    const response = await withTimeout(timeoutMs, async (signal) => {
      const answer = await fetch(target.url, { method, headers: target.headers, signal, redirect: 'manual' });
      await answer.body?.cancel().catch(() => undefined); // only the status matters
      return answer;
    });
    details.httpStatus = response.status;
    if (!statusMatches(response.status, target.expectedStatus)) {
      const expected = target.expectedStatus ?? '2xx';
      return { status: 'unhealthy', details, error: `HTTP ${response.status} (expected ${String(expected)})`, httpStatus: response.status };
    }
    return { status: 'healthy', details };
  }

  async function outcomeOf(name: string, timeoutMs: number, endpoint: string | undefined): Promise<Outcome> {
    switch (name) {
      case 'llm_api':
        return checkLlm(timeoutMs, endpoint);
      case 'database':
        return checkDatabase(timeoutMs);
      case 'email':
        return checkEmail(timeoutMs);
      case 'sms':
        return checkSms(timeoutMs);
      case 'error_rate':
        return checkErrorRate(timeoutMs);
      case 'memory':
        return checkMemory();
      case 'file_service':
        return checkHttp({ url: endpoint ?? options.fileService!.url!, expectedStatus: options.fileService!.expectedStatus }, timeoutMs);
      default: {
        const check = httpChecks.get(name)!;
        return checkHttp({ ...check, url: endpoint ?? check.url }, timeoutMs);
      }
    }
  }

  const known = (name: string) => (BUILT_IN_CHECKS as readonly string[]).includes(name) || httpChecks.has(name);

  return {
    plan() {
      const names = [...BUILT_IN_CHECKS, ...httpChecks.keys()];
      return {
        checks: names.map((name) => {
          const healing = configured(name) ? healingOf(name) : undefined;
          return { name, configured: configured(name), timeoutMs: timeoutOf(name), ...(healing ? { healing } : {}) };
        }),
        alertAfterFailures: Math.max(1, Math.trunc(options.alertAfterFailures ?? DEFAULT_ALERT_AFTER_FAILURES)),
      };
    },

    async run(name, runOptions = {}) {
      const checkedAt = new Date().toISOString();
      if (!known(name)) {
        return { name, status: 'unhealthy', latencyMs: 0, details: {}, error: `unknown health check ${name}`, checkedAt };
      }
      if (!configured(name)) {
        return { name, status: 'skipped', latencyMs: 0, details: { reason: 'not configured' }, checkedAt };
      }
      const timeoutMs = timeoutOf(name);
      const started = performance.now();
      let outcome: Outcome;
      try {
        outcome = await outcomeOf(name, timeoutMs, runOptions.endpoint);
      } catch (error) {
        outcome = { status: 'unhealthy', ...errorFacts(error) };
      }
      const latencyMs = Math.round(performance.now() - started);
      if (outcome.status === 'healthy' && latencyMs > slowMs && name !== 'memory') {
        outcome = { ...outcome, status: 'degraded', error: `slow: ${latencyMs} ms (over ${slowMs} ms)` };
      }
      return {
        name,
        status: outcome.status,
        latencyMs,
        details: sanitize({ ...outcome.details, timeoutMs, ...(runOptions.endpoint ? { endpoint: displayUrl(runOptions.endpoint) } : {}) }) as Record<string, unknown>,
        ...(outcome.error !== undefined ? { error: sanitizeText(outcome.error, 1_000) } : {}),
        ...(outcome.code !== undefined ? { code: outcome.code } : {}),
        ...(outcome.httpStatus !== undefined ? { httpStatus: outcome.httpStatus } : {}),
        checkedAt,
      };
    },

    hooks,

    activeLlmBaseURL: () => llmBaseURL,

    switchLlmEndpoint(baseURL) {
      if (baseURL === llmBaseURL) return;
      llmBaseURL = baseURL;
      options.onLlmEndpointSwitched?.(baseURL);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Activities

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

export function createHealthCheckActivities(runner: HealthCheckRunner, deps: { db: Database; sendAlert?: HealthAlertSender }) {
  const { db } = deps;
  return {
    /** The checks to run this cycle, with their timeouts and healing policies (from this worker's config). */
    async planHealthChecks(): Promise<HealthCheckPlan> {
      return runner.plan();
    },

    async runHealthCheck(input: { name: string }): Promise<HealthCheckResult> {
      return runner.run(input.name);
    },

    /**
     * Writes one system_health_checks row. Idempotent: a retried activity finds the row of this
     * run and check (details.healthRunId) instead of writing a second one.
     */
    async recordHealthCheck(input: RecordHealthCheckInput): Promise<{ id: number }> {
      const { result } = input;
      const checkedAt = new Date(result.checkedAt);
      return db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`health:${input.healthRunId}:${result.name}`}))`);
        const [existing] = await tx
          .select({ id: systemHealthChecks.id })
          .from(systemHealthChecks)
          .where(
            and(
              eq(systemHealthChecks.checkName, result.name),
              gte(systemHealthChecks.checkedAt, new Date(checkedAt.getTime() - 60 * 60_000)),
              sql`${systemHealthChecks.details} ->> 'healthRunId' = ${input.healthRunId}`,
            ),
          )
          .limit(1);
        if (existing) return { id: existing.id };
        const [row] = await tx
          .insert(systemHealthChecks)
          .values({
            checkName: result.name,
            status: result.status,
            latencyMs: Math.round(result.latencyMs),
            details: {
              ...result.details,
              ...(result.code ? { code: result.code } : {}),
              ...(result.httpStatus !== undefined ? { httpStatus: result.httpStatus } : {}),
              healthWorkflowId: input.healthWorkflowId,
              healthRunId: input.healthRunId,
            },
            error: result.error ?? null,
            checkedAt,
          })
          .returning({ id: systemHealthChecks.id });
        return { id: row!.id };
      });
    },

    /** The latest `limit` results of each check, newest first (for consecutive-failure streaks). */
    async loadHealthHistory(input: { names: string[]; limit: number }): Promise<Record<string, HealthHistoryEntry[]>> {
      const entries = await Promise.all(
        input.names.map(async (name) => {
          const rows = await getHealthChecks(db, { checkName: name, limit: input.limit });
          return [
            name,
            rows.map((row) => ({
              id: row.id,
              status: row.status,
              ...(typeof row.details?.healthRunId === 'string' ? { healthRunId: row.details.healthRunId } : {}),
            })),
          ] as const;
        }),
      );
      return Object.fromEntries(entries);
    },

    async sendHealthAlert(alert: HealthAlert): Promise<HealthAlertOutcome> {
      if (!deps.sendAlert) return { sent: false, detail: 'no alert channel configured' };
      return deps.sendAlert(alert);
    },
  };
}

export type HealthCheckActivities = ReturnType<typeof createHealthCheckActivities>;

/** The signature under which a check's alerts and recovery notices are grouped. */
export function healthSignature(check: string): string {
  return `health:${check}`;
}

/**
 * Health alerts through the admins' notification activities: an alert is a notifyAdmins
 * decision (e-mail, and SMS when critical; idempotent on the notification id), a recovery is
 * notifyRecoveryIfAlerted (only when that alert actually went out, once per alert).
 */
export function alertsViaNotifications(notifications: {
  notifyAdmins(input: NotifyAdminsInput): Promise<NotificationReport>;
  notifyRecoveryIfAlerted(input: NotifyRecoveryInput): Promise<RecoveryReport>;
}): HealthAlertSender {
  const channels = (report: NotificationReport) => `email ${report.email}, sms ${report.sms}${report.suppressed ? ' (suppressed: cooldown)' : ''}`;
  return async (alert) => {
    const operation = healthSignature(alert.check);
    if (alert.kind === 'recovery') {
      const report = await notifications.notifyRecoveryIfAlerted({
        signature: operation,
        operation,
        workflowId: alert.healthWorkflowId,
      });
      return report.notified
        ? { sent: report.email === 'sent' || report.sms === 'sent', detail: channels(report) }
        : { sent: false, detail: report.reason };
    }
    const report = await notifications.notifyAdmins({
      notificationId: alert.notificationId,
      workflowId: alert.healingWorkflowId ?? alert.healthWorkflowId,
      operation,
      signature: operation,
      errorMessage: alert.error ?? alert.status,
      ...(alert.diagnosis ? { diagnosis: alert.diagnosis } : {}),
      strategiesTried: [],
      result: 'failed',
      reason: `Health check ${alert.check} failed ${alert.consecutiveFailures} times in a row: ${alert.error ?? alert.status}`,
    });
    return { sent: report.email === 'sent' || report.sms === 'sent', detail: channels(report) };
  };
}

/** Health-check options from the environment configuration. */
export function healthOptionsFromConfig(config: Config): HealthCheckOptions {
  return {
    timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS,
    degradedLatencyMs: config.HEALTH_DEGRADED_LATENCY_MS,
    alertAfterFailures: config.ALERT_AFTER_FAILURES,
    llm: {
      apiKey: config.OPENAI_API_KEY,
      baseURL: config.OPENAI_BASE_URL,
      alternateBaseURLs: config.OPENAI_FALLBACK_BASE_URLS,
      timeoutMs: Math.min(config.OPENAI_TIMEOUT_MS, config.HEALTH_CHECK_TIMEOUT_MS),
    },
    email: { apiKey: config.RESEND_API_KEY, baseUrl: config.RESEND_BASE_URL },
    sms: { accountSid: config.TWILIO_ACCOUNT_SID, authToken: config.TWILIO_AUTH_TOKEN, baseUrl: config.TWILIO_BASE_URL },
    errorRate: {
      windowMs: config.HEALTH_ERROR_RATE_WINDOW_MS,
      degradedPerMinute: config.HEALTH_ERROR_RATE_DEGRADED_PER_MIN,
      unhealthyPerMinute: config.HEALTH_ERROR_RATE_UNHEALTHY_PER_MIN,
    },
    memory: { rssDegradedMb: config.HEALTH_MEMORY_RSS_DEGRADED_MB, rssUnhealthyMb: config.HEALTH_MEMORY_RSS_UNHEALTHY_MB },
    fileService: { url: config.FILE_SERVICE_HEALTH_URL },
    http: config.HEALTH_HTTP_CHECKS,
  };
}
