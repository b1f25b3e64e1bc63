// `npm run bench -- --only=scale`: the audit trail's queries at two table sizes. Builds synthetic
// healing_events and system_health_checks in SQL (generate_series) in a scratch PostgreSQL
// database, first at the small size, then grown to the big one; times every query the dashboard
// and the CLI make, through the project's own functions (median of 9 after one warm-up), and
// prints each time with its target and the growth ratio. Then the same on PGlite (smaller sizes).
// The shape: one event every ~2.8 s (31,250 a day) going back from now, so both sizes hold the
// same last 30 days and only the history grows; 7 health checks every 2 minutes.
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { ERROR_CATEGORIES, STRATEGIES } from '../common/types.js';
import {
  eventsResponse,
  healthHistoryResponse,
  healthResponse,
  operationsResponse,
  statsResponse,
} from '../dashboard/api.js';
import {
  countHealingEvents,
  getHealingEvents,
  getHealingStats,
  getLatestHealthChecks,
  openDatabase,
  type Database,
  type DatabaseHandle,
} from '../db/index.js';
import { createEmptyPostgresDatabase } from '../test/support/database.js';
import { fmt, median, table, verdict } from './lib/stats.js';

const DAY_MS = 86_400_000;
const EVENTS_PER_DAY = 31_250;
const HEALTH_ROWS_PER_DAY = 7 * 720;
const BUILD_CHUNK = 500_000;
/** Timed runs per query (after one warm-up): the median of 9 damps the other work on a shared machine. */
const RUNS = 9;
const LINKS = { temporalUiUrl: 'http://127.0.0.1:8233', temporalNamespace: 'default' };

export interface ScaleSize {
  events: number;
  healthRows: number;
}

export interface ScaleOptions {
  quick: boolean;
}

interface Timed {
  name: string;
  /** Target in ms at the big size (none: reported only). */
  targetMs?: number;
  ms: number[];
}

interface SizeRun {
  size: ScaleSize;
  buildSeconds: number;
  databaseMb: number;
  /** os.loadavg() when the timings began: the machine is shared. */
  load: number[];
  timings: Timed[];
}

interface EngineRun {
  engine: 'PostgreSQL' | 'PGlite';
  runs: SizeRun[];
}

const sizes = (quick: boolean) => ({
  postgres: quick
    ? [
        { events: 200_000, healthRows: 40_000 },
        { events: 400_000, healthRows: 80_000 },
      ]
    : [
        { events: 1_000_000, healthRows: 200_000 },
        { events: 10_000_000, healthRows: 2_000_000 },
      ],
  pglite: quick
    ? [
        { events: 150_000, healthRows: 20_000 },
        { events: 200_000, healthRows: 40_000 },
      ]
    : [
        { events: 200_000, healthRows: 40_000 },
        { events: 1_000_000, healthRows: 200_000 },
      ],
});

export async function benchScale(options: ScaleOptions): Promise<string> {
  const plan = sizes(options.quick);
  const engines: EngineRun[] = [];
  const scratch = await createEmptyPostgresDatabase();
  try {
    const handle = await openDatabase({ databaseUrl: scratch.url, poolMax: 1 });
    try {
      engines.push({ engine: 'PostgreSQL', runs: await measureSizes(handle, plan.postgres) });
    } finally {
      await handle.close();
    }
  } finally {
    await scratch.drop();
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'scale-pglite-'));
  try {
    const handle = await openDatabase({ dataDir });
    try {
      engines.push({ engine: 'PGlite', runs: await measureSizes(handle, plan.pglite) });
    } finally {
      await handle.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  const section = scaleSection(engines);
  return section;
}

async function measureSizes(handle: DatabaseHandle, plan: ScaleSize[]): Promise<SizeRun[]> {
  const runs: SizeRun[] = [];
  const now = new Date();
  let built: ScaleSize = { events: 0, healthRows: 0 };
  for (const size of plan) {
    const started = performance.now();
    await grow(handle, built, size, now);
    built = size;
    const buildSeconds = (performance.now() - started) / 1000;
    console.log(`  ${handle.kind}: ${size.events.toLocaleString('en-US')} events built in ${fmt(buildSeconds)} s`);
    const mb = await databaseMb(handle.db);
    runs.push({ size, buildSeconds, databaseMb: mb, load: loadavg(), timings: await timeQueries(handle.db, now) });
  }
  return runs;
}

/**
 * Adds the rows from `from` up to `to`, older than those there (the table grows into the past),
 * with the triggers off, then recounts healing_event_hours and refreshes the planner statistics.
 */
async function grow(handle: DatabaseHandle, from: ScaleSize, to: ScaleSize, now: Date): Promise<void> {
  const db = handle.db;
  // One connection (pool of one, or PGlite): the settings hold for every statement below.
  await db.execute(sql`set session_replication_role = replica`);
  await db.execute(sql.raw(`set maintenance_work_mem = '${handle.kind === 'pglite' ? '128MB' : '1GB'}'`));
  // Secondary indexes are dropped for the load and rebuilt after it (as a bulk load does).
  const indexes = await plainIndexes(db);
  for (const { name } of indexes) await db.execute(sql.raw(`drop index "${name}"`));
  for (let first = from.events; first < to.events; first += BUILD_CHUNK) {
    await db.execute(insertEvents(first, Math.min(to.events, first + BUILD_CHUNK) - 1, now));
  }
  for (let first = from.healthRows; first < to.healthRows; first += BUILD_CHUNK) {
    await db.execute(insertHealthRows(first, Math.min(to.healthRows, first + BUILD_CHUNK) - 1, now));
  }
  for (const { definition } of indexes) await db.execute(sql.raw(definition));
  await db.execute(sql`set session_replication_role = origin`);
  await db.execute(sql`select healing_event_hours_rebuild()`);
  await db.execute(sql`vacuum analyze`);
}

/** The audit tables' indexes that back no constraint (primary and unique keys stay during the load). */
async function plainIndexes(db: Database): Promise<{ name: string; definition: string }[]> {
  const result = (await db.execute(sql`
    select indexname as name, indexdef as definition from pg_indexes
    where tablename in ('healing_events', 'system_health_checks')
      and indexname not in (select conname from pg_constraint)`)) as unknown as {
    rows: { name: string; definition: string }[];
  };
  return result.rows;
}

/** Event i happened i / EVENTS_PER_DAY days before `now`; results, categories and strategies in fixed proportions. */
function insertEvents(first: number, last: number, now: Date) {
  const msPerEvent = DAY_MS / EVENTS_PER_DAY;
  const categories = `{${ERROR_CATEGORIES.join(',')}}`;
  const strategies = `{${STRATEGIES.join(',')}}`;
  return sql`
    insert into healing_events (event_key, operation, error_class, error_message, error_code, signature, category, severity,
      diagnosis, diagnosis_source, strategy, attempts, attempt_log, result, healing_duration_ms, workflow_id, run_id,
      detected_at, resolved_at, created_at, updated_at)
    select 'bench-' || i, 'op-' || (i * 7 % 20), 'Error',
      'connect ECONNREFUSED 10.0.0.' || (i % 250) || ':443 while calling the payment gateway', 'ECONNREFUSED',
      'sig-' || (i * 13 % 500), c.category, (array['low','medium','high','critical'])[1 + i * 3 % 4],
      jsonb_build_object('category', c.category, 'severity', 'high', 'rootCause', 'the payment gateway refused connections',
        'explanation', 'ECONNREFUSED from the gateway: transient', 'transient', true, 'confidence', 0.8, 'source', 'rules'),
      'rules', s.strategy, 1,
      jsonb_build_array(jsonb_build_object('id', 'a1', 'strategy', s.strategy, 'result', 'healed', 'durationMs', 120)),
      r.result, 50 + i % 500, 'heal-' || i, 'run-' || i, t.at, t.at + interval '1 second', t.at, t.at
    from generate_series(${first}::bigint, ${last}::bigint) i
    cross join lateral (select ${now}::timestamptz - i * ${msPerEvent}::float8 * interval '1 millisecond' as at) t
    cross join lateral (select (${categories}::text[])[1 + i % ${ERROR_CATEGORIES.length}] as category) c
    cross join lateral (select (${strategies}::text[])[1 + (i % 8 + (i % 3 = 0)::int) % ${STRATEGIES.length}] as strategy) s
    cross join lateral (select case when i % 100 < 70 then 'healed' when i % 100 < 85 then 'failed'
      when i % 100 < 90 then 'skipped' when i % 100 < 95 then 'joined' when i % 100 < 98 then 'cancelled'
      else 'queued' end as result) r`;
}

function insertHealthRows(first: number, last: number, now: Date) {
  const msPerTick = DAY_MS / (HEALTH_ROWS_PER_DAY / 7);
  return sql`
    insert into system_health_checks (check_name, status, latency_ms, details, checked_at)
    select (array['llm_api','database','email','sms','error_rate','memory','file_service'])[1 + i % 7],
      case when i % 50 = 0 then 'degraded' else 'healthy' end, 5 + i % 40, jsonb_build_object('healthRunId', 'run-' || i / 7),
      ${now}::timestamptz - (i / 7) * ${msPerTick}::float8 * interval '1 millisecond'
    from generate_series(${first}::bigint, ${last}::bigint) i`;
}

async function databaseMb(db: Database): Promise<number> {
  const result = (await db.execute(sql`select pg_database_size(current_database())::float8 as bytes`)) as unknown as {
    rows: { bytes: number }[];
  };
  return Number(result.rows[0]?.bytes ?? Number.NaN) / 1024 / 1024;
}

/** Every query of the dashboard's polls and of the CLI (heal list --source db, stats, health), as they call them. */
async function timeQueries(db: Database, now: Date): Promise<Timed[]> {
  const hoursAgo = (hours: number) => new Date(now.getTime() - hours * 3_600_000);
  // As the page asks: whole minutes (dashboard/public/app.js rangeStart).
  const minutesAgo = (hours: number) => new Date(Math.floor(now.getTime() / 60_000) * 60_000 - hours * 3_600_000);
  // A page deep in the table (100,000 rows: 4,000 pages of 25): the cursor is looked up once.
  const deep = await getHealingEvents(db, { limit: 1, before: await cursorAt(db, 100_000) });
  const deepCursor = deep.nextCursor ?? undefined;
  const dashboardEvents = (query: Record<string, unknown>) => () =>
    eventsResponse(db, { limit: 25, ...query } as Parameters<typeof eventsResponse>[1], LINKS);
  const cases: [string, () => Promise<unknown>, number?][] = [
    ['feed page 1, no filter (dashboard range "all", heal list --source db)', dashboardEvents({}), 10],
    ['feed page 1, last 24 h (dashboard default)', dashboardEvents({ from: minutesAgo(24) }), 50],
    ['feed, severity + category', dashboardEvents({ severity: 'high', category: 'network' }), 50],
    ['feed, severity + result', dashboardEvents({ severity: 'critical', result: 'skipped' }), 50],
    [
      'feed, category + result, last 24 h',
      dashboardEvents({ category: 'timeout', result: 'failed', from: minutesAgo(24) }),
      50,
    ],
    [
      'feed, severity + category + result (none match)',
      dashboardEvents({ severity: 'low', category: 'authentication', result: 'queued' }),
      50,
    ],
    ['feed, result failed, last 24 h', dashboardEvents({ result: 'failed', from: minutesAgo(24) }), 50],
    ['feed, one operation', dashboardEvents({ operation: 'op-3' }), 50],
    ['feed, one operation + result failed (none match)', dashboardEvents({ operation: 'op-3', result: 'failed' }), 50],
    ['feed, one signature', dashboardEvents({ signature: 'sig-42' }), 50],
    ['feed, one signature + result healed', dashboardEvents({ signature: 'sig-42', result: 'healed' }), 50],
    ['feed, one workflow id', dashboardEvents({ workflowId: 'heal-12345' }), 50],
    ['feed, a page 100,000 rows deep (cursor)', dashboardEvents({ before: deepCursor }), 50],
    [
      'stats, last 24 h (dashboard tiles and charts)',
      () => statsResponse(db, { from: minutesAgo(24), hours: 24 }, now),
      50,
    ],
    ['stats, last 24 h (heal stats --since 24h)', () => getHealingStats(db, { from: hoursAgo(24) }), 50],
    [
      'stats, last 30 days (dashboard range 30d)',
      () => statsResponse(db, { from: minutesAgo(720), hours: 168 }, now),
      200,
    ],
    ['stats, all time', () => getHealingStats(db, {})],
    ['latest result per health check', () => getLatestHealthChecks(db), 5],
    ['dashboard health (latest + 6 h trends)', () => healthResponse(db, { hours: 6 }, now)],
    [
      'health history, one check (heal health / API)',
      () => healthHistoryResponse(db, { check: 'database', limit: 200 }, now),
    ],
    ['health history, all checks, last 24 h', () => healthHistoryResponse(db, { hours: 24, limit: 200 }, now)],
    ['operations for the filter', () => operationsResponse(db)],
    ['events in the last minute (error-rate check)', () => countHealingEvents(db, { from: hoursAgo(1 / 60) })],
  ];
  const timings: Timed[] = [];
  for (const [name, run, targetMs] of cases) {
    await run();
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      await run();
      ms.push(performance.now() - started);
    }
    timings.push({ name, targetMs, ms });
  }
  return timings;
}

async function cursorAt(db: Database, position: number): Promise<string> {
  const result = (await db.execute(sql`
    select (extract(epoch from detected_at) * 1000000)::bigint::text || '_' || id as cursor
    from healing_events order by detected_at desc, id desc offset ${position} limit 1`)) as unknown as {
    rows: { cursor: string }[];
  };
  const cursor = result.rows[0]?.cursor;
  if (!cursor) throw new Error(`the table has fewer than ${position} events`);
  return cursor;
}

function scaleSection(engines: EngineRun[]): string {
  const lines = [
    '## 6. Audit trail at scale',
    '',
    'Synthetic `healing_events` (31,250 a day going back from now: both sizes hold the same last 30 days, only the history grows) and ' +
      '`system_health_checks` (7 checks every 2 minutes), generated in SQL; the rollup recounted and `VACUUM ANALYZE` after each build. ' +
      'Each query is the function the dashboard or the CLI calls, median of 9 after one warm-up, one connection. ' +
      'Targets apply at the big size; growth = big / small (target ≤ 1.5).',
  ];
  for (const { engine, runs } of engines) {
    const [small, big] = runs as [SizeRun, SizeRun];
    lines.push(
      '',
      `**${engine}**: ${runs.map(sizeLine).join('; ')}.`,
      '',
      table(
        [
          'query',
          `ms at ${compact(small.size.events)}`,
          `ms at ${compact(big.size.events)}`,
          'growth',
          'target',
          'verdict',
        ],
        big.timings.map((timing, index) => {
          const smallMs = median(small.timings[index]!.ms);
          const bigMs = median(timing.ms);
          const growth = bigMs / smallMs;
          const met = (timing.targetMs === undefined || bigMs <= timing.targetMs) && growth <= 1.5;
          return [
            timing.name,
            fmt(smallMs, 2),
            fmt(bigMs, 2),
            fmt(growth, 2),
            timing.targetMs === undefined ? '≤ 1.5× only' : `≤ ${timing.targetMs} ms`,
            verdict(met),
          ];
        }),
      ),
    );
  }
  return lines.join('\n');
}

function sizeLine(run: SizeRun): string {
  const load = run.load.map((value) => fmt(value, 2)).join(', ');
  return (
    `${compact(run.size.events)} events / ${compact(run.size.healthRows)} health rows built in ${fmt(run.buildSeconds)} s ` +
    `(database ${fmt(run.databaseMb, 0)} MB; load average ${load} when timed)`
  );
}

function compact(count: number): string {
  return count >= 1_000_000 ? `${count / 1_000_000} M` : `${count / 1_000} k`;
}
