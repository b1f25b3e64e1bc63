// The dashboard's JSON API: query validation and the shapes the page reads, built on db/ queries.
import { createHash } from 'node:crypto';
import { count, max, sql } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { BreakerListing } from '../cli/operator/breakers.js';
import { getSystemHealthStatus } from '../cli/operator/system-health.js';
import { ERROR_CATEGORIES, HEALING_RESULTS, SEVERITIES } from '../common/types.js';
import {
  EVENT_CURSOR_PATTERN,
  getEventOperations,
  getHealingEvents,
  getHealingPatterns,
  getHealingStats,
  getHealthChecks,
  healingPatterns,
  type Database,
  effectiveness,
  type HealingEventRow,
  type HealthCheckRow,
  type LearnedPattern,
} from '../db/index.js';
import { countByOutcome, groupOutcomes } from './outcomes.js';

const HOUR_MS = 3_600_000;
export const DEFAULT_EVENTS_PAGE_SIZE = 25;
export const MAX_EVENTS_PAGE_SIZE = 200;

/** Form fields arrive as '' when left empty: treat that as absent. */
const blankToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());
// Every malformed parameter is refused here with a 400 naming it, never passed on to fail as a query:
// dates the database cannot store, control characters (NUL) it refuses, numbers that are not whole.
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const instant = z
  .string()
  .trim()
  .pipe(z.union([z.iso.datetime({ offset: true }), z.iso.date()], 'must be an ISO 8601 date or date-time'))
  .transform((value) => new Date(value))
  .refine((date) => date.getTime() >= EARLIEST && date.getTime() <= LATEST, 'must lie between 1970 and 9999');
const text = z
  .string()
  .trim()
  .max(500)
  .regex(/^\P{Cc}*$/u, 'must not contain control characters');
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min).max(max));
const wholeNumberOr = (min: number, max: number, fallback: number) =>
  z.preprocess(blankToUndefined, wholeNumber(min, max).default(fallback));

export const eventsQuery = z.object({
  severity: optional(z.enum(SEVERITIES)),
  category: optional(z.enum(ERROR_CATEGORIES)),
  result: optional(z.enum(HEALING_RESULTS)),
  operation: optional(text),
  signature: optional(text),
  workflowId: optional(text),
  from: optional(instant),
  to: optional(instant),
  limit: wholeNumberOr(1, MAX_EVENTS_PAGE_SIZE, DEFAULT_EVENTS_PAGE_SIZE),
  /** The nextCursor of the page before (older events); absent: the newest page. */
  before: optional(z.string().trim().regex(EVENT_CURSOR_PATTERN, 'must be the nextCursor of a page')),
});

export const statsQuery = z.object({
  from: optional(instant),
  to: optional(instant),
  /** Width of the zero-filled `hourly` series ending at `to` (or now). */
  hours: wholeNumberOr(1, 168, 24),
});

export const healthQuery = z.object({
  /** How far back each check's trend reaches. */
  hours: wholeNumberOr(1, 168, 6),
});

export const healthHistoryQuery = z.object({
  check: optional(text),
  from: optional(instant),
  hours: optional(wholeNumber(1, 24 * 90)),
  limit: wholeNumberOr(1, 1_000, 200),
});

export const patternsQuery = z.object({
  signature: optional(text),
  limit: wholeNumberOr(1, 500, 50),
});

/** A query that does not validate: answered 400 with the offending parameters. */
export class QueryError extends Error {
  constructor(readonly issues: { param: string; message: string }[]) {
    super('invalid query');
  }
}

export function parseQuery<T extends z.ZodType>(schema: T, query: Record<string, string>): z.infer<T> {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  throw new QueryError(parsed.error.issues.map((issue) => ({ param: issue.path.join('.'), message: issue.message })));
}

export interface LinkOptions {
  temporalUiUrl: string;
  temporalNamespace: string;
}

export function temporalWorkflowUrl(options: LinkOptions, workflowId: string, runId?: string | null): string {
  const base = options.temporalUiUrl.replace(/\/+$/, '');
  const workflow = `${base}/namespaces/${encodeURIComponent(options.temporalNamespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${workflow}/${encodeURIComponent(runId)}/history` : workflow;
}

// ---------------------------------------------------------------------------------------------

export async function healthResponse(db: Database, query: z.infer<typeof healthQuery>, now = new Date()) {
  const status = await getSystemHealthStatus(db, { now });
  const from = new Date(now.getTime() - query.hours * HOUR_MS);
  const trends = await Promise.all(
    status.checks.map((check) => getHealthChecks(db, { checkName: check.name, from, limit: 500 })),
  );
  return {
    overall: status.overall,
    lastCheckedAt: status.lastCheckedAt,
    trendHours: query.hours,
    checks: status.checks.map((check, index) => ({
      ...check,
      trend: (trends[index] ?? [])
        .slice()
        .reverse()
        .map((row) => ({ at: row.checkedAt, status: row.status, latencyMs: row.latencyMs })),
    })),
  };
}

export async function healthHistoryResponse(db: Database, query: z.infer<typeof healthHistoryQuery>, now = new Date()) {
  const from = query.from ?? (query.hours === undefined ? undefined : new Date(now.getTime() - query.hours * HOUR_MS));
  const rows = await getHealthChecks(db, { checkName: query.check, from, limit: query.limit });
  return { rows: rows.map(healthCheckView) };
}

function healthCheckView(row: HealthCheckRow) {
  return {
    id: row.id,
    checkName: row.checkName,
    status: row.status,
    latencyMs: row.latencyMs,
    error: row.error,
    details: row.details,
    checkedAt: row.checkedAt,
  };
}

export async function eventsResponse(db: Database, query: z.infer<typeof eventsQuery>, links: LinkOptions) {
  const { rows, ...page } = await getHealingEvents(db, query);
  return { rows: rows.map((row) => eventView(row, links)), ...page, limit: query.limit };
}

export function eventView(row: HealingEventRow, links: LinkOptions) {
  return {
    id: row.id,
    detectedAt: row.detectedAt,
    /** When this row's own run began: later than detectedAt for a re-run, which keeps the original detection. */
    startedAt: row.createdAt,
    resolvedAt: row.resolvedAt,
    operation: row.operation,
    error: { class: row.errorClass, message: row.errorMessage, code: row.errorCode },
    signature: row.signature,
    category: row.category,
    severity: row.severity,
    diagnosisSource: row.diagnosisSource,
    diagnosis: row.diagnosis
      ? {
          rootCause: row.diagnosis.rootCause,
          explanation: row.diagnosis.explanation,
          transient: row.diagnosis.transient,
          confidence: row.diagnosis.confidence,
          recommendedStrategy: row.diagnosis.recommendedStrategy,
        }
      : null,
    strategy: row.strategy,
    attempts: row.attempts,
    attemptLog: row.attemptLog.map(({ strategy, result, durationMs, error, at, explored }) => ({
      strategy,
      result,
      durationMs,
      error,
      at,
      explored,
    })),
    result: row.result,
    healingDurationMs: row.healingDurationMs,
    workflowId: row.workflowId,
    runId: row.runId,
    temporalUrl: row.workflowId ? temporalWorkflowUrl(links, row.workflowId, row.runId) : null,
  };
}

export async function statsResponse(db: Database, query: z.infer<typeof statsQuery>, now = new Date()) {
  const stats = await getHealingStats(db, { from: query.from, to: query.to });
  return {
    ...stats,
    byOutcome: countByOutcome(stats.byResult),
    byCategory: stats.byCategory.map((group) => ({ ...group, ...groupOutcomes(group) })),
    byStrategy: stats.byStrategy.map((group) => ({ ...group, ...groupOutcomes(group) })),
    hourly: zeroFilledHours(stats.eventsPerHour, query.to ?? now, query.hours),
  };
}

/** `hours` consecutive UTC hour buckets ending with the one containing `end`, oldest first. */
export function zeroFilledHours(buckets: { hour: Date; count: number }[], end: Date, hours: number) {
  const counts = new Map(buckets.map((bucket) => [bucket.hour.getTime(), bucket.count]));
  const last = Math.floor(end.getTime() / HOUR_MS) * HOUR_MS;
  return Array.from({ length: hours }, (_, index) => {
    const hour = last - (hours - 1 - index) * HOUR_MS;
    return { hour: new Date(hour), count: counts.get(hour) ?? 0 };
  });
}

export async function patternsResponse(db: Database, query: z.infer<typeof patternsQuery>) {
  const rows = await getHealingPatterns(db, { signature: query.signature, limit: query.limit });
  return { rows: rows.map(patternView) };
}

function patternView(row: LearnedPattern) {
  const outcomes = row.successCount + row.failureCount;
  return {
    signature: row.signature,
    strategy: row.strategy,
    category: row.category,
    successCount: row.successCount,
    failureCount: row.failureCount,
    successRate: outcomes === 0 ? null : row.successCount / outcomes,
    // Heals that held (the fault did not recur within the window) / heals: this strategy's and the signature's.
    heals: row.successCount,
    held: row.successCount - row.recurrences,
    effectiveness: effectiveness(row.successCount, row.successCount - row.recurrences),
    signatureHeals: row.signatureHeals,
    signatureHeld: row.signatureHeld,
    signatureEffectiveness: effectiveness(row.signatureHeals, row.signatureHeld),
    recurring: row.recurring,
    confidence: row.confidence,
    avgHealingMs: row.avgHealingMs,
    rootCause: row.diagnosis?.rootCause ?? null,
    lastSeen: row.lastSeen,
  };
}

/** The shared circuit breakers, when the dashboard was given a way to list them (it runs beside the worker). */
export async function breakersResponse(list: (() => Promise<BreakerListing[]>) | undefined, links: LinkOptions) {
  if (!list) return { available: false, rows: [] };
  const rows = (await list()).map(({ breakerId, operation, view, status }) => {
    const state = view ?? status;
    return {
      operation,
      state: state?.state ?? null,
      since: state ? new Date(state.since) : null,
      retryAt: state?.retryAt === undefined ? null : new Date(state.retryAt),
      reason: state?.reason ?? null,
      heldBy: view?.manual?.by ?? null,
      failureRate: view ? view.window.failureRate : null,
      calls: view?.window.calls ?? null,
      failingInstances: view?.window.failingInstances ?? null,
      instances: view?.window.instances.length ?? null,
      rejected: view?.rejected ?? null,
      temporalUrl: temporalWorkflowUrl(links, breakerId),
    };
  });
  return { available: true, rows };
}

/** Operations seen so far (alphabetical), for the feed's filter. */
export async function operationsResponse(db: Database) {
  return { operations: await getEventOperations(db) };
}

/**
 * The JSON routes of the API (after authentication), each answered from its query string: the
 * server serves them, and `heal`'s database source calls them in-process, so both give one shape.
 */
export const API_ROUTES = {
  '/api/health': (db, query) => healthResponse(db, parseQuery(healthQuery, query)),
  '/api/health/history': (db, query) => healthHistoryResponse(db, parseQuery(healthHistoryQuery, query)),
  '/api/events': (db, query, links) => eventsResponse(db, parseQuery(eventsQuery, query), links),
  '/api/stats': (db, query) => statsResponse(db, parseQuery(statsQuery, query)),
  '/api/patterns': (db, query) => patternsResponse(db, parseQuery(patternsQuery, query)),
  '/api/operations': (db) => operationsResponse(db),
} satisfies Record<string, (db: Database, query: Record<string, string>, links: LinkOptions) => Promise<unknown>>;

export type ApiRoute = keyof typeof API_ROUTES;

/** A route's answer as a client reads it: through JSON, so dates are ISO strings. */
export type ApiResponse<R extends ApiRoute> = Jsonified<Awaited<ReturnType<(typeof API_ROUTES)[R]>>>;

type Jsonified<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Jsonified<U>[]
    : T extends object
      ? { [K in keyof T]: Jsonified<T[K]> }
      : T;

// ---------------------------------------------------------------------------------------------
// Conditional polls: an open dashboard asks every few seconds; when nothing was written since its
// last answer, it gets 304 Not Modified for the price of one sequence read, not its queries.

/** Answers at most this old even without a write: relative times ("last 24 h", stale checks) move on. */
const VERSION_BUCKET_MS = 60_000;

/** For the /api/* GET routes, after authentication. */
export function conditionalPolls(db: Database): MiddlewareHandler {
  return async (c, next) => {
    // The breakers live in Temporal, not in the database: their answers do not follow its version.
    if (c.req.method !== 'GET' || c.req.path === '/api/meta' || c.req.path === '/api/breakers') return next();
    const version = await dataVersion(db, c.req.path === '/api/patterns');
    const url = createHash('sha256').update(c.req.url).digest('base64url').slice(0, 16);
    const etag = `W/"${version}-${Math.floor(Date.now() / VERSION_BUCKET_MS)}-${url}"`;
    if (c.req.header('If-None-Match') === etag) return c.body(null, 304, { ETag: etag });
    await next();
    if (c.res.status === 200) c.header('ETag', etag);
  };
}

/**
 * audit_changes moves with every write to healing_events and system_health_checks (triggers of
 * migration 0005); healing_patterns is small enough to read its newest change.
 */
async function dataVersion(db: Database, withPatterns: boolean): Promise<string> {
  const [changes] = await db.execute(sql`select last_value from audit_changes`).then(rowsOf);
  const version = String((changes as { last_value?: unknown } | undefined)?.last_value ?? 0);
  if (!withPatterns) return version;
  const [patterns] = await db.select({ lastSeen: max(healingPatterns.lastSeen), rows: count() }).from(healingPatterns);
  return `${version}.${patterns?.rows ?? 0}.${patterns?.lastSeen?.getTime() ?? 0}`;
}

function rowsOf(result: unknown): unknown[] {
  return (result as { rows: unknown[] }).rows;
}
