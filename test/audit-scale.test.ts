// The audit trail's upgrade path and its counts under concurrency, on PostgreSQL: migrations 0005
// to 0007 applied to a database that already has events (indexes built CONCURRENTLY first, the
// hour and day rollups backfilled), and the rollups equal to a recount after many concurrent writes.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { STRATEGIES } from '../common/types.js';
import { buildPendingIndexesConcurrently } from '../db/online-indexes.js';
import { getHealingStats, openDatabase, recordHealingEvent, updateHealingEvent, type Database } from '../db/index.js';
import { createEmptyPostgresDatabase, createTestDatabase, type TestDatabase } from './support/database.js';

const MIGRATIONS = fileURLToPath(new URL('../db/migrations', import.meta.url));
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** The migrations folder as it was before 0005: the journal's first five entries. */
async function migrationsBefore0005(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'migrations-0004-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await cp(MIGRATIONS, dir, { recursive: true });
  const journalFile = path.join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalFile, 'utf8')) as { entries: { idx: number }[] };
  journal.entries = journal.entries.filter((entry) => entry.idx <= 4);
  await writeFile(journalFile, JSON.stringify(journal));
  return dir;
}

/** Each rollup (hours, days, hourly totals) against a recount of healing_events in its shape. */
async function expectRollupsToMatchEvents(db: Database) {
  const counted = (query: ReturnType<typeof sql>) =>
    db.execute(query).then((result) => (result as unknown as { rows: unknown[] }).rows);
  const recount = (bucket: string) =>
    counted(sql`select date_bin(${bucket}::interval, detected_at,
      timestamptz '2000-01-01 00:00:00+00') as at, category, strategy, result, count(*)::int as events,
      coalesce(sum(healing_duration_ms) filter (where result = 'healed'), 0)::float8 as healed_ms,
      count(healing_duration_ms) filter (where result = 'healed')::int as healed_timed
    from healing_events group by 1, 2, 3, 4 order by 1, 2, 3, 4`);
  expect(
    await counted(sql`select hour as at, category, strategy, result, events, healed_ms, healed_timed
      from healing_event_hours where events <> 0 or healed_timed <> 0 order by 1, 2, 3, 4`),
  ).toEqual(await recount('1 hour'));
  expect(
    await counted(sql`select day as at, category, strategy, result, events, healed_ms, healed_timed
      from healing_event_days where events <> 0 or healed_timed <> 0 order by 1, 2, 3, 4`),
  ).toEqual(await recount('1 day'));
  expect(await counted(sql`select hour, events from healing_event_hour_totals where events <> 0 order by 1`)).toEqual(
    await counted(sql`select date_bin('1 hour', detected_at, timestamptz '2000-01-01 00:00:00+00') as hour,
      count(*)::int as events from healing_events group by 1 order by 1`),
  );
}

describe('migration 0005 on a database with events', () => {
  it('builds the new indexes concurrently, then migrates and backfills the hourly counts', async () => {
    const empty = await createEmptyPostgresDatabase();
    cleanups.push(() => empty.drop());
    const pool = new pg.Pool({ connectionString: empty.url, max: 1 });
    cleanups.push(() => pool.end());
    await migrate(drizzle(pool), { migrationsFolder: await migrationsBefore0005() });
    await pool.query(`insert into healing_events (event_key, operation, error_class, error_message, signature, category, result,
        healing_duration_ms, detected_at)
      select 'old-' || i, 'orders.load', 'Error', 'boom', 'sig', 'network', case when i % 2 = 0 then 'healed' else 'failed' end,
        100, timestamptz '2026-01-01 00:00:00+00' + i * interval '10 minutes'
      from generate_series(1, 30) i`);

    const client = await pool.connect();
    try {
      expect((await buildPendingIndexesConcurrently(client, MIGRATIONS)).sort()).toEqual([
        'healing_events_category_detected_at_id_idx',
        'healing_events_detected_at_id_idx',
        'healing_events_operation_detected_at_id_idx',
        'healing_events_operation_result_detected_at_id_idx',
        'healing_events_result_detected_at_id_idx',
        'healing_events_severity_category_result_detected_at_id_idx',
        'healing_events_severity_detected_at_id_idx',
        'healing_events_signature_detected_at_id_idx',
        'healing_events_signature_result_detected_at_id_idx',
        'system_health_checks_checked_at_id_idx',
      ]);
    } finally {
      client.release();
    }

    const handle = await openDatabase({ databaseUrl: empty.url });
    cleanups.push(() => handle.close());
    const { rows: invalid } = await pool.query(`select count(*)::int as n from pg_index where not indisvalid`);
    expect(invalid[0].n).toBe(0);
    const { rows: old } = await pool.query(`select indexname from pg_indexes where indexname in
      ('healing_events_severity_idx', 'healing_events_operation_detected_at_id_idx', 'healing_events_signature_detected_at_id_idx')`);
    expect(old).toEqual([]);
    const stats = await getHealingStats(handle.db);
    expect(stats).toMatchObject({ total: 30, byResult: { healed: 15, failed: 15 }, meanTimeToHealMs: 100 });
    await expectRollupsToMatchEvents(handle.db);
  }, 120_000);
});

describe('rollups under concurrent writes', () => {
  let testDb: TestDatabase;

  it('equal a recount after many concurrent inserts and moves between combinations (no deadlock)', async () => {
    testDb = await createTestDatabase('postgres');
    cleanups.push(() => testDb.drop());
    const db = testDb.handle.db;
    const keys = Array.from({ length: 60 }, (_, i) => `concurrent-${i}`);
    const at = new Date(Date.UTC(2026, 5, 1, 12, 30));
    await Promise.all(
      // Spread over 30 hours (two UTC days): two events per hour row, many per day row.
      keys.map((eventKey, i) => {
        const detectedAt = new Date(at.getTime() + (i % 30) * 3_600_000);
        const event = { eventKey, operation: 'op', errorClass: 'Error', errorMessage: 'x', signature: 's', detectedAt };
        return recordHealingEvent(db, event);
      }),
    );
    // Each event moves through strategies and results, in opposite orders half the time.
    await Promise.all(
      keys.map(async (eventKey, i) => {
        const order = i % 2 === 0 ? STRATEGIES.slice(0, 4) : STRATEGIES.slice(0, 4).reverse();
        for (const strategy of order)
          await updateHealingEvent(db, eventKey, { strategy, result: i % 3 === 0 ? 'failed' : 'pending' });
        await updateHealingEvent(db, eventKey, { result: 'healed', healingDurationMs: 10 + i, category: 'network' });
      }),
    );
    await expectRollupsToMatchEvents(db);
    expect((await getHealingStats(db)).byResult.healed).toBe(60);
  }, 60_000);
});
