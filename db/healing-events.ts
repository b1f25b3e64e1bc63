// healing_events: one row per error occurrence, updated as its healing workflow moves on.
import { and, count, desc, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type {
  Diagnosis,
  DiagnosisSource,
  ErrorCategory,
  HealingResult,
  Severity,
  Strategy,
} from '../common/types.js';
import { HEALING_RESULTS } from '../common/types.js';
import type { Database } from './connection.js';
import { healingEvents, notifications, type AttemptLogEntry, type HealingEventRow } from './schema.js';

export const MAX_ERROR_MESSAGE_CHARS = 2_000;
export const MAX_ERROR_STACK_CHARS = 8_000;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export interface NewHealingEvent {
  /** Idempotency key (e.g. the workflow id). */
  eventKey: string;
  operation: string;
  errorClass: string;
  errorMessage: string;
  errorStack?: string | null;
  errorCode?: string | null;
  signature: string;
  category?: ErrorCategory | null;
  severity?: Severity | null;
  workflowId?: string | null;
  runId?: string | null;
  /** Already-sanitised application context. */
  context?: Record<string, unknown> | null;
  /** Defaults to now; settable for imports and tests. */
  detectedAt?: Date;
}

export interface HealingEventPatch {
  category?: ErrorCategory | null;
  severity?: Severity | null;
  diagnosis?: Diagnosis | null;
  diagnosisSource?: DiagnosisSource | null;
  strategy?: Strategy | null;
  /** Overrides the count that appendAttempt would otherwise maintain. */
  attempts?: number;
  /** Appended atomically; a no-op when an entry with the same id is already logged. */
  appendAttempt?: AttemptLogEntry;
  result?: HealingResult;
  healingDurationMs?: number | null;
  workflowId?: string | null;
  runId?: string | null;
  /** Defaults to now when `result` becomes final (healed/failed/skipped/cancelled). */
  resolvedAt?: Date | null;
}

export interface HealingEventFilters {
  severity?: Severity;
  category?: ErrorCategory;
  result?: HealingResult;
  signature?: string;
  operation?: string;
  workflowId?: string;
  /** Inclusive lower bound on detected_at. */
  from?: Date;
  /** Exclusive upper bound on detected_at. */
  to?: Date;
  /** Default 50, clamped to 1..500. */
  limit?: number;
  offset?: number;
}

export interface TimeRange {
  from?: Date;
  to?: Date;
}

/** Results that end a healing run. `queued` is not final: the operation will run again later. */
const FINAL_RESULTS: readonly HealingResult[] = ['healed', 'failed', 'skipped', 'cancelled'];

/** Inserts the event unless its event_key exists; returns the stored row either way. */
export async function createHealingEvent(db: Database, input: NewHealingEvent): Promise<HealingEventRow> {
  const [inserted] = await db
    .insert(healingEvents)
    .values(boundedEvent(input))
    .onConflictDoNothing({ target: healingEvents.eventKey })
    .returning();
  if (inserted) return inserted;
  const existing = await getHealingEvent(db, input.eventKey);
  if (!existing) throw new Error(`healing event ${input.eventKey} conflicted on insert but cannot be read back`);
  return existing;
}

/**
 * Records the occurrence unless its event_key exists (a retried write is a no-op). Reads nothing
 * back: the healing workflow's write, one statement, no row to transfer and map.
 */
export async function recordHealingEvent(db: Database, input: NewHealingEvent): Promise<void> {
  await db.insert(healingEvents).values(boundedEvent(input)).onConflictDoNothing({ target: healingEvents.eventKey });
}

function boundedEvent(input: NewHealingEvent): NewHealingEvent {
  return {
    ...input,
    errorMessage: truncateForText(input.errorMessage, MAX_ERROR_MESSAGE_CHARS),
    errorStack: input.errorStack == null ? input.errorStack : truncateForText(input.errorStack, MAX_ERROR_STACK_CHARS),
  };
}

/** Applies the patch; returns the updated row, or undefined when no event has this key. */
export async function updateHealingEvent(
  db: Database,
  eventKey: string,
  patch: HealingEventPatch,
): Promise<HealingEventRow | undefined> {
  const [row] = await db.update(healingEvents).set(patchSet(patch)).where(eq(healingEvents.eventKey, eventKey)).returning();
  return row;
}

/** updateHealingEvent without reading the row back; false when no event has this key. */
export async function patchHealingEvent(db: Database, eventKey: string, patch: HealingEventPatch): Promise<boolean> {
  const rows = await db
    .update(healingEvents)
    .set(patchSet(patch))
    .where(eq(healingEvents.eventKey, eventKey))
    .returning({ key: healingEvents.eventKey });
  return rows.length > 0;
}

export interface HealingOutcomeRecord extends Pick<HealingEventPatch, 'category' | 'severity' | 'diagnosis' | 'diagnosisSource'> {
  result: HealingResult;
  strategy?: Strategy | null;
  healingDurationMs: number;
  /** The attempt that decided the outcome: appended (once, by its id) in the same statement. */
  attempt?: AttemptLogEntry;
  /** Also tell whether a recovery notice may be due for this signature (see recoveryMayBeDue). */
  recoveryOf?: { signature: string; workflowId: string };
}

/**
 * The outcome of a run in one statement: the deciding attempt, the result, the resolution time,
 * and (optionally) whether a recovery notice may be due. Idempotent like updateHealingEvent.
 */
export async function recordHealingOutcome(
  db: Database,
  eventKey: string,
  outcome: HealingOutcomeRecord,
): Promise<{ recoveryMayBeDue: boolean }> {
  const { recoveryOf } = outcome;
  const [row] = await db
    .update(healingEvents)
    .set(
      patchSet({
        category: outcome.category,
        severity: outcome.severity,
        diagnosis: outcome.diagnosis,
        diagnosisSource: outcome.diagnosisSource,
        result: outcome.result,
        strategy: outcome.strategy,
        healingDurationMs: outcome.healingDurationMs,
        appendAttempt: outcome.attempt,
      }),
    )
    .where(eq(healingEvents.eventKey, eventKey))
    .returning({
      recoveryMayBeDue: recoveryOf ? recoveryMayBeDue(recoveryOf.signature, recoveryOf.workflowId) : sql<boolean>`false`,
    });
  return { recoveryMayBeDue: Boolean(row?.recoveryMayBeDue) };
}

/**
 * Whether notifyRecoveryIfAlerted could send something for this signature: its latest sent
 * alert or reminder exists and no other run announced its recovery. A cheap, indexed superset of
 * that activity's own checks (which run under the signature's lock), so that a run whose fault
 * never alerted (nearly every run) skips it.
 */
function recoveryMayBeDue(signature: string, workflowId: string): SQL<boolean> {
  return sql<boolean>`exists (
    select 1 from (
      select ${notifications.notificationId} as id from ${notifications}
      where ${notifications.signature} = ${signature} and ${notifications.kind} in ('alert', 'reminder') and ${notifications.decision} = 'send'
      order by ${notifications.seq} desc limit 1
    ) latest
    where not exists (
      select 1 from ${notifications} recovery
      where recovery.recovers_notification_id = latest.id and recovery.workflow_id <> ${workflowId}
    )
  )`.mapWith(Boolean);
}

function patchSet(patch: HealingEventPatch) {
  const { appendAttempt, ...columns } = patch;
  return {
    ...columns,
    ...resolvedAtFor(patch),
    ...(appendAttempt ? appendAttemptSet(appendAttempt, patch.attempts) : {}),
    updatedAt: sql`now()`,
  };
}

function resolvedAtFor(patch: HealingEventPatch) {
  if (patch.resolvedAt !== undefined || patch.result === undefined) return {};
  if (!FINAL_RESULTS.includes(patch.result)) return {};
  // Keep the first resolution time if a retried activity repeats the final update.
  return { resolvedAt: sql`coalesce(${healingEvents.resolvedAt}, now())` };
}

/** Both expressions read the pre-update row, so the id check and the append are one atomic step. */
function appendAttemptSet(entry: AttemptLogEntry, explicitAttempts: number | undefined) {
  const alreadyLogged = sql`${healingEvents.attemptLog} @> ${JSON.stringify([{ id: entry.id }])}::jsonb`;
  const appended = sql`case when ${alreadyLogged} then ${healingEvents.attemptLog}
    else ${healingEvents.attemptLog} || ${JSON.stringify([entry])}::jsonb end`;
  const attempts =
    explicitAttempts ?? sql`case when ${alreadyLogged} then ${healingEvents.attempts} else ${healingEvents.attempts} + 1 end`;
  return { attemptLog: appended, attempts };
}

export async function getHealingEvent(db: Database, eventKey: string): Promise<HealingEventRow | undefined> {
  const [row] = await db.select().from(healingEvents).where(eq(healingEvents.eventKey, eventKey)).limit(1);
  return row;
}

/** Newest first, with the total number of matches for pagination. */
export async function getHealingEvents(
  db: Database,
  filters: HealingEventFilters = {},
): Promise<{ rows: HealingEventRow[]; total: number }> {
  const where = eventFilters(filters);
  const [rows, [totalRow]] = await Promise.all([
    db
      .select()
      .from(healingEvents)
      .where(where)
      .orderBy(desc(healingEvents.detectedAt), desc(healingEvents.id))
      .limit(pageSize(filters.limit))
      .offset(Math.max(0, Math.trunc(filters.offset ?? 0))),
    db.select({ total: count() }).from(healingEvents).where(where),
  ]);
  return { rows, total: totalRow?.total ?? 0 };
}

/** Number of events detected at or after `since` (for error-rate health checks). */
export async function countHealingEventsSince(
  db: Database,
  since: Date,
  options: { operation?: string } = {},
): Promise<number> {
  const [row] = await db
    .select({ total: count() })
    .from(healingEvents)
    .where(eventFilters({ from: since, operation: options.operation }));
  return row?.total ?? 0;
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.trunc(limit)));
}

export function eventFilters(filters: Omit<HealingEventFilters, 'limit' | 'offset'>): SQL | undefined {
  const conditions = [
    filters.severity && eq(healingEvents.severity, filters.severity),
    filters.category && eq(healingEvents.category, filters.category),
    filters.result && eq(healingEvents.result, filters.result),
    filters.signature && eq(healingEvents.signature, filters.signature),
    filters.operation && eq(healingEvents.operation, filters.operation),
    filters.workflowId && eq(healingEvents.workflowId, filters.workflowId),
    filters.from && gte(healingEvents.detectedAt, filters.from),
    filters.to && lt(healingEvents.detectedAt, filters.to),
  ].filter((condition): condition is SQL => Boolean(condition));
  return and(...conditions);
}

/** Bounds the text and removes what PostgreSQL text cannot store (NUL, a split surrogate pair). */
export function truncateForText(text: string, maxChars: number): string {
  const withoutNul = text.replace(/\u0000/g, '');
  if (withoutNul.length <= maxChars) return withoutNul;
  const cut = withoutNul.slice(0, maxChars);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

// ---------------------------------------------------------------------------------------------
// Statistics

export interface GroupStats<K> {
  key: K;
  count: number;
  healed: number;
  /** Events with a verdict (healed, failed or skipped) within the group. */
  resolved: number;
  /** healed / resolved within the group; null when nothing in the group is resolved. */
  successRate: number | null;
}

export interface HealingStats {
  total: number;
  byResult: Record<HealingResult, number>;
  /** Events whose healing reached a verdict: healed, failed or skipped (cancelled runs gave none). */
  resolved: number;
  /** healed / resolved; null when nothing is resolved. */
  successRate: number | null;
  /** Mean healing time over healed events, in ms; null when none healed. */
  meanTimeToHealMs: number | null;
  /** `key` null = not diagnosed yet. Most frequent first. */
  byCategory: GroupStats<ErrorCategory | null>[];
  /** `key` null = no strategy chosen yet. Most frequent first. */
  byStrategy: GroupStats<Strategy | null>[];
  /** UTC hour buckets with at least one event, oldest first, at most the latest 168 (one week). */
  eventsPerHour: { hour: Date; count: number }[];
}

const VERDICT_RESULTS: HealingResult[] = ['healed', 'failed', 'skipped'];
const MAX_HOUR_BUCKETS = 168;

export async function getHealingStats(db: Database, range: TimeRange = {}): Promise<HealingStats> {
  const where = eventFilters(range);
  const [byResult, meanTimeToHealMs, byCategory, byStrategy, eventsPerHour] = await Promise.all([
    countByResult(db, where),
    meanTimeToHeal(db, where),
    groupStats<ErrorCategory | null>(db, where, healingEvents.category),
    groupStats<Strategy | null>(db, where, healingEvents.strategy),
    countPerHour(db, where),
  ]);
  const total = HEALING_RESULTS.reduce((sum, result) => sum + byResult[result], 0);
  const resolved = VERDICT_RESULTS.reduce((sum, result) => sum + byResult[result], 0);
  return {
    total,
    byResult,
    resolved,
    successRate: ratio(byResult.healed, resolved),
    meanTimeToHealMs,
    byCategory,
    byStrategy,
    eventsPerHour,
  };
}

async function countByResult(db: Database, where: SQL | undefined): Promise<Record<HealingResult, number>> {
  const rows = await db
    .select({ result: healingEvents.result, count: count() })
    .from(healingEvents)
    .where(where)
    .groupBy(healingEvents.result);
  const byResult = Object.fromEntries(HEALING_RESULTS.map((result) => [result, 0])) as Record<HealingResult, number>;
  for (const row of rows) byResult[row.result] = row.count;
  return byResult;
}

async function meanTimeToHeal(db: Database, where: SQL | undefined): Promise<number | null> {
  // Fall back to detection→resolution when the workflow did not report a duration.
  const durationMs = sql`coalesce(${healingEvents.healingDurationMs},
    extract(epoch from (${healingEvents.resolvedAt} - ${healingEvents.detectedAt})) * 1000)`;
  const [row] = await db
    .select({ mean: sql<number | null>`avg(${durationMs})`.mapWith(nullableNumber) })
    .from(healingEvents)
    .where(and(where, eq(healingEvents.result, 'healed')));
  return row?.mean ?? null;
}

async function groupStats<K extends string | null>(
  db: Database,
  where: SQL | undefined,
  column: typeof healingEvents.category | typeof healingEvents.strategy,
): Promise<GroupStats<K>[]> {
  const rows = await db
    .select({
      key: sql<K>`${column}`,
      count: count(),
      healed: sql<number>`count(*) filter (where ${eq(healingEvents.result, 'healed')})`.mapWith(Number),
      resolved: sql<number>`count(*) filter (where ${inArray(healingEvents.result, VERDICT_RESULTS)})`.mapWith(Number),
    })
    .from(healingEvents)
    .where(where)
    .groupBy(column)
    .orderBy(desc(count()), column);
  return rows.map((row) => ({ ...row, successRate: ratio(row.healed, row.resolved) }));
}

async function countPerHour(db: Database, where: SQL | undefined): Promise<{ hour: Date; count: number }[]> {
  // Epoch arithmetic gives UTC buckets whatever the session time zone.
  const hourEpoch = sql<number>`floor(extract(epoch from ${healingEvents.detectedAt}) / 3600) * 3600`;
  const rows = await db
    .select({ hourEpoch: hourEpoch.mapWith(Number), count: count() })
    .from(healingEvents)
    .where(where)
    .groupBy(hourEpoch)
    .orderBy(desc(hourEpoch))
    .limit(MAX_HOUR_BUCKETS);
  return rows.reverse().map((row) => ({ hour: new Date(row.hourEpoch * 1000), count: row.count }));
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

function nullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
