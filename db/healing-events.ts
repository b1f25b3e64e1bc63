// healing_events: one row per error occurrence, updated as its healing workflow moves on.
import { and, count, desc, eq, getTableColumns, gte, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { unionAll, type PgSelect } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import type { Diagnosis, DiagnosisSource, ErrorCategory, HealingResult, Severity, Strategy } from '../common/types.js';
import { ERROR_CATEGORIES, HEALING_RESULTS, SEVERITIES, STRATEGIES } from '../common/types.js';
import type { Database } from './connection.js';
import {
  healingEventDays,
  healingEventHourTotals,
  healingEventHours,
  healingEvents,
  notifications,
  type AttemptLogEntry,
  type HealingEventRow,
} from './schema.js';

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
  diagnosis?: Diagnosis | null;
  diagnosisSource?: DiagnosisSource | null;
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
  /** A page's nextCursor: the page after it (older events). */
  before?: string;
}

export interface TimeRange {
  from?: Date;
  to?: Date;
}

/** Results that end a healing run. `queued` is not final: the operation will run again later. */
const FINAL_RESULTS: readonly HealingResult[] = ['healed', 'failed', 'skipped', 'cancelled'];

/** Records the occurrence unless its event_key exists (a retried write is a no-op). Reads nothing back. */
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

/** Applies the patch without reading the row back; false when no event has this key. */
export async function updateHealingEvent(db: Database, eventKey: string, patch: HealingEventPatch): Promise<boolean> {
  const rows = await db
    .update(healingEvents)
    .set(patchSet(patch))
    .where(eq(healingEvents.eventKey, eventKey))
    .returning({ key: healingEvents.eventKey });
  return rows.length > 0;
}

export interface HealingOutcomeRecord extends Pick<
  HealingEventPatch,
  'category' | 'severity' | 'diagnosis' | 'diagnosisSource'
> {
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
 * and (optionally) whether a recovery notice may be due. Idempotent like updateHealingEvent. With
 * `occurrence` (the run's first record), the row is inserted with its outcome unless it exists,
 * in the same statement (INSERT … ON CONFLICT DO UPDATE): the caller waits for this commit.
 */
export async function recordHealingOutcome(
  db: Database,
  eventKey: string,
  outcome: HealingOutcomeRecord,
  occurrence?: NewHealingEvent,
): Promise<{ recoveryMayBeDue: boolean }> {
  const { recoveryOf } = outcome;
  const patch: HealingEventPatch = {
    category: outcome.category,
    severity: outcome.severity,
    diagnosis: outcome.diagnosis,
    diagnosisSource: outcome.diagnosisSource,
    result: outcome.result,
    strategy: outcome.strategy,
    healingDurationMs: outcome.healingDurationMs,
    appendAttempt: outcome.attempt,
  };
  const returning = {
    recoveryMayBeDue: recoveryOf ? recoveryMayBeDue(recoveryOf.signature, recoveryOf.workflowId) : sql<boolean>`false`,
  };
  const [row] = occurrence
    ? await db
        .insert(healingEvents)
        .values({ ...boundedEvent(occurrence), ...freshValues(patch), eventKey })
        .onConflictDoUpdate({ target: healingEvents.eventKey, set: patchSet(patch) })
        .returning(returning)
    : await db
        .update(healingEvents)
        .set(patchSet(patch))
        .where(eq(healingEvents.eventKey, eventKey))
        .returning(returning);
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

/** A new row's columns for `patch`: what patchSet would leave on an empty row. */
function freshValues(patch: HealingEventPatch) {
  const { appendAttempt, ...columns } = patch;
  const resolved = resolvedAtFor(patch).resolvedAt ? { resolvedAt: sql`now()` } : {};
  return {
    ...columns,
    ...resolved,
    ...(appendAttempt ? { attemptLog: [appendAttempt], attempts: patch.attempts ?? 1 } : {}),
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
    explicitAttempts ??
    sql`case when ${alreadyLogged} then ${healingEvents.attempts} else ${healingEvents.attempts} + 1 end`;
  return { attemptLog: appended, attempts };
}

export async function getHealingEvent(db: Database, eventKey: string): Promise<HealingEventRow | undefined> {
  const [row] = await db.select().from(healingEvents).where(eq(healingEvents.eventKey, eventKey)).limit(1);
  return row;
}

/** Matches are counted exactly up to this many; beyond, the planner's estimate stands in (a feed says "about"). */
export const MAX_COUNTED_MATCHES = 200;

export interface HealingEventPage {
  rows: HealingEventRow[];
  /** `before` for the next (older) page; null on the last page. */
  nextCursor: string | null;
  /** Events matching the filters (all pages): exact up to MAX_COUNTED_MATCHES, else estimated. */
  total: number;
  /** `total` is the planner's estimate (more than MAX_COUNTED_MATCHES match). */
  totalEstimated: boolean;
}

/** `<detected_at in µs since the epoch>_<id>`: exact, where a JS Date would lose the microseconds. */
const CURSOR = /^(\d{1,17})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
export const EVENT_CURSOR_PATTERN = CURSOR;
const detectedAtMicros = sql<string>`(extract(epoch from ${healingEvents.detectedAt}) * 1000000)::bigint::text`;

/**
 * Newest first, one page by keyset (detected_at, id): a page costs the same however deep it is
 * and however big the table, and rows recorded meanwhile never shift the next page.
 */
export async function getHealingEvents(db: Database, filters: HealingEventFilters = {}): Promise<HealingEventPage> {
  const limit = pageSize(filters.limit);
  const where = eventFilters(filters);
  const scans = orderedScans(filters);
  const cursor = filters.before === undefined ? undefined : olderThan(filters.before);
  // One scan (nearly every page): its capped count, and unfiltered the table's size, ride along as
  // subqueries evaluated once, so the page is one statement (one round trip, one plan).
  const single = scans.length === 1;
  const alongside = {
    counted: single ? sql<number>`(${matchCount(db, scans)})`.mapWith(Number) : sql<number | null>`null::int`,
    estimated: single && !where ? tableEstimate : sql<number | null>`null::float8`,
  };
  const [found, countedApart] = await Promise.all([
    merged(
      scans.map((scan) =>
        db
          .select({ ...getTableColumns(healingEvents), cursorMicros: detectedAtMicros, ...alongside })
          .from(healingEvents)
          .where(and(scan, cursor))
          .orderBy(desc(healingEvents.detectedAt), desc(healingEvents.id))
          .limit(limit + 1)
          .$dynamic(),
      ),
    ).limit(limit + 1),
    single ? undefined : countMatches(db, scans),
  ]);
  // An empty first page: nothing matches. An empty later page says nothing about the earlier ones.
  const counted = countedApart ?? found[0]?.counted ?? (cursor ? await countMatches(db, scans) : 0);
  const page = found.slice(0, limit);
  const last = page.at(-1);
  const totalEstimated = counted > MAX_COUNTED_MATCHES;
  const estimate = async () => found[0]?.estimated ?? (await estimateMatches(db, where));
  return {
    rows: page.map(({ cursorMicros: _, counted: _counted, estimated: _estimated, ...row }) => row),
    nextCursor: found.length > limit && last ? `${last.cursorMicros}_${last.id}` : null,
    total: totalEstimated ? Math.max(counted, Math.round(await estimate())) : counted,
    totalEstimated,
  };
}

/** The planner's own estimate of the table's rows (its statistics scaled to its current size). */
const tableEstimate = sql<number | null>`(select case when c.relpages > 0
    then c.reltuples / c.relpages * (pg_relation_size(c.oid) / current_setting('block_size')::float8) end
  from pg_class c where c.oid = 'healing_events'::regclass)`.mapWith(Number);

/** Filters with few values each: two of them together are served by one index (see orderedScans). */
const TRIAGE = [
  { filter: 'severity', column: healingEvents.severity, values: [...SEVERITIES, null] },
  { filter: 'category', column: healingEvents.category, values: [...ERROR_CATEGORIES, null] },
  { filter: 'result', column: healingEvents.result, values: HEALING_RESULTS },
] as const;

/**
 * The conditions of the ordered index scans whose merge is the feed, newest first: each an
 * equality prefix of an index ending in (detected_at, id), so a page reads about a page of index
 * entries per scan, and a rare or absent combination costs a few probes, not a walk through one
 * filter's events testing the others.
 * - operation or signature (indexes (operation | signature, result, detected_at, id)): one scan
 *   per result, or one with a result; severity and category filter within those scans;
 * - two of severity, category and result (index (severity, category, result, detected_at, id)):
 *   one scan per value of the third;
 * - otherwise one scan, on the index of its filter, (detected_at, id) or workflow_id.
 */
function orderedScans(filters: Omit<HealingEventFilters, 'limit' | 'before'>): (SQL | undefined)[] {
  const where = eventFilters(filters);
  const byValue = ({ column, values }: (typeof TRIAGE)[number]) =>
    values.map((value) => and(where, value === null ? isNull(column) : eq(column, value)));
  if (filters.workflowId) return [where];
  if (filters.operation || filters.signature) return filters.result ? [where] : byValue(TRIAGE[2]);
  const missing = TRIAGE.filter(({ filter }) => !filters[filter]);
  return missing.length === 1 ? byValue(missing[0]!) : [where];
}

/** The scans (same columns) merged newest first; one scan is itself. */
function merged<T extends PgSelect>(scans: T[]): T {
  const [first, second, ...rest] = scans;
  if (!second) return first!;
  // Typed as one of the scans: what the callers use of it (limit, as, await) a union has too.
  return unionAll(first!, second as never, ...(rest as never[])).orderBy(
    desc(healingEvents.detectedAt),
    desc(healingEvents.id),
  ) as unknown as T;
}

function olderThan(cursor: string): SQL {
  const match = CURSOR.exec(cursor);
  if (!match) throw new Error(`invalid events cursor ${JSON.stringify(cursor)}: pass a page's nextCursor unchanged`);
  const at = sql`(timestamptz 'epoch' + ${match[1]}::bigint * interval '1 microsecond')`;
  return sql`(${healingEvents.detectedAt}, ${healingEvents.id}) < (${at}, ${match[2]}::uuid)`;
}

/**
 * Counts one past the cap along the same scans as the page (newest first), so the cost is bounded
 * by the cap, not the table, whatever the filters.
 */
function matchCount(db: Database, scans: (SQL | undefined)[]) {
  const matches = merged(
    scans.map((where) =>
      db
        .select({ detectedAt: healingEvents.detectedAt, id: healingEvents.id })
        .from(healingEvents)
        .where(where)
        .orderBy(desc(healingEvents.detectedAt), desc(healingEvents.id))
        .limit(MAX_COUNTED_MATCHES + 1)
        .$dynamic(),
    ),
  )
    .limit(MAX_COUNTED_MATCHES + 1)
    .as('matches');
  return db.select({ total: count() }).from(matches);
}

async function countMatches(db: Database, scans: (SQL | undefined)[]): Promise<number> {
  const [row] = await matchCount(db, scans);
  return row?.total ?? 0;
}

/** The planner's row estimate for the filters (from the table statistics: no rows are read). */
async function estimateMatches(db: Database, where: SQL | undefined): Promise<number> {
  const query = db.select({ id: healingEvents.id }).from(healingEvents).where(where).getSQL();
  const [row] = await selectRows(db, sql`explain (format json) ${query}`);
  const plan = z
    .object({ 'QUERY PLAN': z.tuple([z.object({ Plan: z.object({ 'Plan Rows': z.number() }) })]) })
    .parse(row);
  return Math.round(plan['QUERY PLAN'][0].Plan['Plan Rows']);
}

/**
 * Operations with at least one event, alphabetical (at most 500). A skip scan over the operation
 * index: one probe per distinct operation, whatever the number of events.
 */
export async function getEventOperations(db: Database): Promise<string[]> {
  const rows = await selectRows(
    db,
    sql`with recursive ops(operation) as (
      (select operation from ${healingEvents} order by operation limit 1)
      union all
      select (select e.operation from ${healingEvents} e where e.operation > ops.operation order by e.operation limit 1)
      from ops where ops.operation is not null
    )
    select operation from ops where operation is not null limit 500`,
  );
  return z
    .array(z.object({ operation: z.string() }))
    .parse(rows)
    .map((row) => row.operation);
}

/** Rows of a raw query (both drivers answer `{ rows }`): validate them before use. */
async function selectRows(db: Database, query: SQL): Promise<unknown[]> {
  const result = (await db.execute(query)) as unknown as { rows: unknown[] };
  return result.rows;
}

/** The exact number of events that match (the feed's total is exact only up to a few hundred). */
export async function countHealingEvents(
  db: Database,
  filters: Pick<HealingEventFilters, 'from' | 'operation' | 'result'> = {},
): Promise<number> {
  const [row] = await db.select({ total: count() }).from(healingEvents).where(eventFilters(filters));
  return row?.total ?? 0;
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.trunc(limit)));
}

export function eventFilters(filters: Omit<HealingEventFilters, 'limit' | 'before'>): SQL | undefined {
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
  const withoutNul = text.replaceAll('\u0000', '');
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

const VERDICT_RESULTS: readonly HealingResult[] = ['healed', 'failed', 'skipped'];
const MAX_HOUR_BUCKETS = 168;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * From the rollups kept by triggers on healing_events: healing_event_days for the whole UTC days
 * of the range, healing_event_hours for the whole hours left at its ends, and healing_events only
 * for the partial hours left after that; the hourly chart from healing_event_hour_totals. The cost
 * grows with the days and hours asked for, not with the events. Counts of pruned events remain
 * (see db/retention.ts), except in those partial end hours.
 */
export async function getHealingStats(db: Database, range: TimeRange = {}): Promise<HealingStats> {
  const rows = statsRow.array().parse(await selectRows(db, statsQuery(splitRange(range))));
  return foldStats(rows);
}

export interface SplitRange {
  /** Absent: the range holds no whole day. */
  wholeDays?: TimeRange;
  wholeHours: TimeRange[];
  partialHours: TimeRange[];
}

/** The range as whole UTC days, then whole hours, then the partial hours at its ends. */
export function splitRange(range: TimeRange): SplitRange {
  const days = splitByWhole(range, DAY_MS);
  const hours = days.parts.map((part) => splitByWhole(part, HOUR_MS));
  return {
    wholeDays: days.whole,
    wholeHours: hours.flatMap((part) => (part.whole ? [part.whole] : [])),
    partialHours: hours.flatMap((part) => part.parts),
  };
}

/** The units of `unitMs` (aligned on the epoch) the range covers whole, and what is left at each end. */
function splitByWhole({ from, to }: TimeRange, unitMs: number): { whole?: TimeRange; parts: TimeRange[] } {
  const wholeFrom = from && new Date(Math.ceil(from.getTime() / unitMs) * unitMs);
  const wholeTo = to && new Date(Math.floor(to.getTime() / unitMs) * unitMs);
  if (wholeFrom && wholeTo && wholeFrom >= wholeTo) return { parts: [{ from, to }] };
  const parts: TimeRange[] = [];
  if (from && wholeFrom && from < wholeFrom) parts.push({ from, to: wholeFrom });
  if (to && wholeTo && wholeTo < to) parts.push({ from: wholeTo, to });
  return { whole: { from: wholeFrom, to: wholeTo }, parts };
}

const hourOf = (column: SQL | typeof healingEvents.detectedAt) =>
  sql`date_bin('1 hour', ${column}, timestamptz '2000-01-01 00:00:00+00')`;

type TimeColumn = typeof healingEventDays.day | typeof healingEventHours.hour | typeof healingEventHourTotals.hour;
const within = (column: TimeColumn, { from, to }: TimeRange) =>
  and(from && gte(column, from), to && lt(column, to)) ?? sql`true`;

function statsQuery({ wholeDays, wholeHours, partialHours }: SplitRange): SQL {
  const rollup = (table: typeof healingEventDays | typeof healingEventHours, at: TimeColumn, ranges: TimeRange[]) =>
    ranges.map(
      (range) => sql`select ${table.category} as category, ${table.strategy} as strategy, ${table.result} as result,
        ${table.events} as events, ${table.healedMs} as healed_ms, ${table.healedTimed} as healed_timed
      from ${table} where ${within(at, range)}`,
    );
  const healedMs = sql`case when ${healingEvents.result} = 'healed' then coalesce(${healingEvents.healingDurationMs},
    extract(epoch from (${healingEvents.resolvedAt} - ${healingEvents.detectedAt})) * 1000) end`;
  const partial = partialHours.length
    ? sql`select ${hourOf(healingEvents.detectedAt)} as hour, ${healingEvents.category} as category,
        ${healingEvents.strategy} as strategy, ${healingEvents.result} as result, count(*) as events,
        coalesce(sum(${healedMs}), 0) as healed_ms, count(${healedMs}) as healed_timed
      from ${healingEvents}
      where ${or(...partialHours.map((part) => eventFilters(part)))}
      group by 1, 2, 3, 4`
    : sql`select null::timestamptz as hour, null as category, null as strategy, null as result, 0::bigint as events,
        0::float8 as healed_ms, 0::bigint as healed_timed where false`;
  const counted = [
    ...rollup(healingEventDays, healingEventDays.day, wholeDays ? [wholeDays] : []),
    ...rollup(healingEventHours, healingEventHours.hour, wholeHours),
    sql`select category, strategy, result, events, healed_ms, healed_timed from partial`,
  ];
  const totals = healingEventHourTotals;
  const chartHours = [...(wholeDays ? [wholeDays] : []), ...wholeHours];
  // The chart's latest hours: up to the range's end, or (open range) the newest hour with events.
  const chartEnd = chartHours.some((range) => !range.to)
    ? sql`(select max(${totals.hour}) from ${totals}) + interval '1 hour'`
    : sql`${new Date(Math.max(...chartHours.map((range) => range.to!.getTime()), 0))}::timestamptz`;
  const chart = chartHours.map(
    (range) => sql`select ${totals.hour} as hour, ${totals.events} as events from ${totals}
      where ${within(totals.hour, range)}
        and ${totals.hour} >= ${chartEnd} - ${MAX_HOUR_BUCKETS}::int * interval '1 hour'`,
  );
  // Three groupings: by category and result (also gives the totals), by strategy and result, by hour.
  return sql`with partial as materialized (${partial}),
    counted as (${sql.join(counted, sql` union all `)})
    select grouping(category, strategy) as grouping_set, category, strategy, null::float8 as hour_epoch, result,
      sum(events)::float8 as events, sum(healed_ms)::float8 as healed_ms, sum(healed_timed)::float8 as healed_timed
    from counted
    group by grouping sets ((category, result), (strategy, result))
    union all
    select ${BY_HOUR}, null, null, extract(epoch from hour)::float8, null, sum(events)::float8, 0, 0
    from (${sql.join([...chart, sql`select hour, events from partial`], sql` union all `)}) hours
    group by hour`;
}

// grouping(category, strategy): a bit set for each column aggregated away; the hourly chart has its own code.
const BY_CATEGORY = 0b01;
const BY_STRATEGY = 0b10;
const BY_HOUR = 0b100;

const statsRow = z.object({
  grouping_set: z.coerce.number(),
  category: z.enum(ERROR_CATEGORIES).nullable(),
  strategy: z.enum(STRATEGIES).nullable(),
  hour_epoch: z.coerce.number().nullable(),
  result: z.enum(HEALING_RESULTS).nullable(),
  events: z.coerce.number(),
  healed_ms: z.coerce.number(),
  healed_timed: z.coerce.number(),
});
type StatsRow = z.infer<typeof statsRow>;

function foldStats(rows: StatsRow[]): HealingStats {
  const byResult = Object.fromEntries(HEALING_RESULTS.map((result) => [result, 0])) as Record<HealingResult, number>;
  let healedMs = 0;
  let healedTimed = 0;
  for (const row of rows) {
    if (row.grouping_set !== BY_CATEGORY || row.result === null) continue;
    byResult[row.result] += row.events;
    healedMs += row.healed_ms;
    healedTimed += row.healed_timed;
  }
  const total = HEALING_RESULTS.reduce((sum, result) => sum + byResult[result], 0);
  const resolved = VERDICT_RESULTS.reduce((sum, result) => sum + byResult[result], 0);
  const eventsPerHour = rows
    .filter((row) => row.grouping_set === BY_HOUR && row.events > 0 && row.hour_epoch !== null)
    .map((row) => ({ hour: new Date(row.hour_epoch! * 1000), count: row.events }))
    .sort((a, b) => a.hour.getTime() - b.hour.getTime())
    .slice(-MAX_HOUR_BUCKETS);
  return {
    total,
    byResult,
    resolved,
    successRate: ratio(byResult.healed, resolved),
    meanTimeToHealMs: healedTimed === 0 ? null : healedMs / healedTimed,
    byCategory: groupStats(
      rows.filter((row) => row.grouping_set === BY_CATEGORY).map((row) => ({ ...row, key: row.category })),
    ),
    byStrategy: groupStats(
      rows.filter((row) => row.grouping_set === BY_STRATEGY).map((row) => ({ ...row, key: row.strategy })),
    ),
    eventsPerHour,
  };
}

/** Most frequent first, then by key (null last). */
function groupStats<K extends string | null>(rows: (StatsRow & { key: K })[]): GroupStats<K>[] {
  const groups = new Map<K, { count: number; healed: number; resolved: number }>();
  for (const row of rows) {
    const group = groups.get(row.key) ?? { count: 0, healed: 0, resolved: 0 };
    group.count += row.events;
    if (row.result === 'healed') group.healed += row.events;
    if (row.result !== null && VERDICT_RESULTS.includes(row.result)) group.resolved += row.events;
    groups.set(row.key, group);
  }
  return [...groups]
    .filter(([, group]) => group.count > 0)
    .sort(([keyA, a], [keyB, b]) => b.count - a.count || compareNullLast(keyA, keyB))
    .map(([key, { count, healed, resolved }]) => ({
      key,
      count,
      healed,
      resolved,
      successRate: ratio(healed, resolved),
    }));
}

function compareNullLast(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}
