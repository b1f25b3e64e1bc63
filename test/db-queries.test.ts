// The database layer against both drivers: real PostgreSQL (a fresh database per run) and PGlite.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countHealingEvents,
  createHealthCheck,
  getHealingEvent,
  getEventOperations,
  getHealingEvents,
  getHealingPattern,
  getHealingPatterns,
  getHealingStats,
  getHealthChecks,
  getLatestHealthChecks,
  healingEvents,
  MAX_COUNTED_MATCHES,
  MAX_ERROR_MESSAGE_CHARS,
  MAX_ERROR_STACK_CHARS,
  openDatabase,
  recordHealingEvent,
  recordJoinedOccurrences,
  updateHealingEvent,
  upsertHealingPattern,
  type AttemptLogEntry,
  type Database,
  type HealingEventPatch,
  type NewHealingEvent,
} from '../db/index.js';
import { createEmptyPostgresDatabase, createTestDatabase, type TestDatabase } from './support/database.js';
import { networkDiagnosis } from './support/diagnoses.js';

const SLOW = 60_000;

const diagnosis = networkDiagnosis({ fallbackStrategies: ['FALLBACK_TO_CACHE'], source: 'llm' });

let uniqueCounter = 0;
function unique(prefix: string): string {
  uniqueCounter += 1;
  return `${prefix}-${Date.now()}-${uniqueCounter}`;
}

function newEvent(overrides: Partial<NewHealingEvent> = {}): NewHealingEvent {
  return {
    eventKey: unique('wf'),
    operation: 'fetchUser',
    errorClass: 'Error',
    errorMessage: 'socket hang up',
    errorCode: 'ECONNRESET',
    signature: 'sig-default',
    ...overrides,
  };
}

/** The production write (which reads nothing back), then the stored row. */
async function createEvent(db: Database, input: NewHealingEvent) {
  await recordHealingEvent(db, input);
  return (await getHealingEvent(db, input.eventKey))!;
}

async function updateEvent(db: Database, eventKey: string, patch: HealingEventPatch) {
  return (await updateHealingEvent(db, eventKey, patch)) ? getHealingEvent(db, eventKey) : undefined;
}

function attempt(id: string, overrides: Partial<AttemptLogEntry> = {}): AttemptLogEntry {
  return {
    id,
    strategy: 'RETRY_WITH_BACKOFF',
    result: 'failed',
    durationMs: 10,
    at: new Date().toISOString(),
    ...overrides,
  };
}

/** A port on 127.0.0.1 nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.each(['postgres', 'pglite'] as const)('database layer on %s', (kind) => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase(kind);
    db = testDb.handle.db;
  }, SLOW);

  afterAll(async () => {
    await testDb?.drop();
  }, SLOW);

  describe('healing events', () => {
    it('creates an event with defaults and truncates long error text', async () => {
      const input = newEvent({
        errorMessage: 'm'.repeat(MAX_ERROR_MESSAGE_CHARS + 50),
        errorStack: 's'.repeat(MAX_ERROR_STACK_CHARS + 50),
        context: { userId: 42 },
      });
      const row = await createEvent(db, input);
      expect(row).toMatchObject({
        eventKey: input.eventKey,
        result: 'pending',
        attempts: 0,
        attemptLog: [],
        category: null,
        context: { userId: 42 },
      });
      expect(row.errorMessage).toHaveLength(MAX_ERROR_MESSAGE_CHARS);
      expect(row.errorStack).toHaveLength(MAX_ERROR_STACK_CHARS);
      expect(row.detectedAt).toBeInstanceOf(Date);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('strips NUL characters PostgreSQL text cannot store', async () => {
      const row = await createEvent(db, newEvent({ errorMessage: 'bad\u0000byte' }));
      expect(row.errorMessage).toBe('badbyte');
    });

    it('is idempotent on event_key: a retried record keeps the first row', async () => {
      const input = newEvent();
      const first = await createEvent(db, input);
      const retried = await createEvent(db, { ...input, errorMessage: 'different text' });
      expect(retried.id).toBe(first.id);
      expect(retried.errorMessage).toBe('socket hang up');
      const concurrent = newEvent({ eventKey: `${input.eventKey}-c` });
      await Promise.all(Array.from({ length: 10 }, () => recordHealingEvent(db, concurrent)));
      expect(
        (await getHealingEvents(db, { operation: concurrent.operation, signature: concurrent.signature })).rows.filter(
          (row) => row.eventKey === concurrent.eventKey,
        ),
      ).toHaveLength(1);
    });

    it('updates fields, bumps updated_at and stamps resolved_at once', async () => {
      const created = await createEvent(db, newEvent());
      await new Promise((resolve) => setTimeout(resolve, 5));
      const updated = await updateEvent(db, created.eventKey, {
        category: 'network',
        severity: 'high',
        diagnosis,
        diagnosisSource: 'llm',
        strategy: 'RETRY_WITH_BACKOFF',
        result: 'healed',
        healingDurationMs: 120,
      });
      expect(updated).toMatchObject({ category: 'network', severity: 'high', diagnosis, result: 'healed' });
      expect(updated!.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
      expect(updated!.resolvedAt).toBeInstanceOf(Date);

      const repeated = await updateEvent(db, created.eventKey, { result: 'healed' });
      expect(repeated!.resolvedAt).toEqual(updated!.resolvedAt);
      expect(await updateHealingEvent(db, 'no-such-event', { result: 'failed' })).toBe(false);
    });

    it('leaves resolved_at empty while the event is only queued', async () => {
      const created = await createEvent(db, newEvent());
      const queued = await updateEvent(db, created.eventKey, { result: 'queued' });
      expect(queued!.resolvedAt).toBeNull();
    });

    it('appends attempts atomically and ignores a repeated attempt id', async () => {
      const { eventKey } = await createEvent(db, newEvent());
      await updateHealingEvent(db, eventKey, { appendAttempt: attempt('a1', { error: 'timeout' }) });
      await updateHealingEvent(db, eventKey, { appendAttempt: attempt('a1') });
      const row = await updateEvent(db, eventKey, {
        strategy: 'FALLBACK_TO_CACHE',
        appendAttempt: attempt('a2', { strategy: 'FALLBACK_TO_CACHE', result: 'healed' }),
      });
      expect(row!.attempts).toBe(2);
      expect(row!.attemptLog.map((entry) => entry.id)).toEqual(['a1', 'a2']);
      expect(row!.attemptLog[0]).toMatchObject({ error: 'timeout', strategy: 'RETRY_WITH_BACKOFF' });
    });

    it('loses no attempt when distinct attempts are appended concurrently', async () => {
      const { eventKey } = await createEvent(db, newEvent());
      const ids = Array.from({ length: 20 }, (_, i) => `c${i}`);
      await Promise.all(ids.map((id) => updateHealingEvent(db, eventKey, { appendAttempt: attempt(id) })));
      await Promise.all(ids.map((id) => updateHealingEvent(db, eventKey, { appendAttempt: attempt(id) })));
      const row = await getHealingEvent(db, eventKey);
      expect(row!.attempts).toBe(20);
      expect(row!.attemptLog.map((entry) => entry.id).sort()).toEqual([...ids].sort());
    });

    it('filters, paginates newest first and reports the total', async () => {
      const operation = unique('listOp');
      const base = Date.UTC(2001, 0, 1);
      const specs = [
        { severity: 'low', category: 'network', result: 'healed' },
        { severity: 'high', category: 'network', result: 'failed' },
        { severity: 'high', category: 'timeout', result: 'healed' },
        { severity: 'critical', category: 'timeout', result: 'pending' },
        { severity: 'high', category: 'network', result: 'healed' },
        { severity: 'low', category: 'validation', result: 'skipped' },
        { severity: 'high', category: 'network', result: 'healed' },
      ] as const;
      for (const [i, spec] of specs.entries()) {
        const created = await createEvent(
          db,
          newEvent({
            operation,
            signature: `${operation}-sig-${i % 2}`,
            workflowId: `${operation}-wf-${i}`,
            category: spec.category,
            severity: spec.severity,
            detectedAt: new Date(base + i * 60_000),
          }),
        );
        await updateHealingEvent(db, created.eventKey, { result: spec.result });
      }

      const all = await getHealingEvents(db, { operation });
      expect(all.total).toBe(7);
      expect(all.rows.map((row) => row.workflowId)).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `${operation}-wf-${i}`));

      expect(all.nextCursor).toBeNull();
      const pages: string[][] = [];
      let before: string | undefined;
      do {
        const page = await getHealingEvents(db, { operation, limit: 3, before });
        expect(page).toMatchObject({ total: 7, totalEstimated: false });
        pages.push(page.rows.map((row) => row.workflowId!));
        before = page.nextCursor ?? undefined;
      } while (before);
      expect(pages).toEqual([[6, 5, 4], [3, 2, 1], [0]].map((page) => page.map((i) => `${operation}-wf-${i}`)));
      expect((await getHealingEvents(db, { operation, limit: 0 })).rows).toHaveLength(1);
      await expect(getHealingEvents(db, { operation, before: 'page-2' })).rejects.toThrow(/invalid events cursor/);

      const highNetwork = await getHealingEvents(db, { operation, severity: 'high', category: 'network' });
      expect(highNetwork.total).toBe(3);
      expect((await getHealingEvents(db, { operation, result: 'healed' })).total).toBe(4);
      expect((await getHealingEvents(db, { signature: `${operation}-sig-1` })).total).toBe(3);
      expect((await getHealingEvents(db, { workflowId: `${operation}-wf-4` })).rows[0]!.severity).toBe('high');

      const window = await getHealingEvents(db, {
        operation,
        from: new Date(base + 2 * 60_000),
        to: new Date(base + 5 * 60_000),
      });
      expect(window.total).toBe(3); // minutes 2, 3, 4: from inclusive, to exclusive
    });

    it('pages through equal detection times without skipping or repeating a row; estimates a big count', async () => {
      const operation = unique('tieOp');
      const at = new Date(Date.UTC(2001, 6, 1));
      await db.insert(healingEvents).values(
        Array.from({ length: MAX_COUNTED_MATCHES + 5 }, (_, i) => ({
          ...newEvent({ operation }),
          detectedAt: at,
          eventKey: `${operation}-${i}`,
        })),
      );
      const seen: string[] = [];
      let before: string | undefined;
      do {
        const page = await getHealingEvents(db, { operation, limit: 60, before });
        expect(page.totalEstimated).toBe(true);
        expect(page.total).toBeGreaterThan(MAX_COUNTED_MATCHES);
        seen.push(...page.rows.map((row) => row.eventKey));
        before = page.nextCursor ?? undefined;
      } while (before);
      expect(seen).toHaveLength(MAX_COUNTED_MATCHES + 5);
      expect(new Set(seen).size).toBe(MAX_COUNTED_MATCHES + 5);
      expect(await countHealingEvents(db, { from: at, operation })).toBe(MAX_COUNTED_MATCHES + 5);
      expect(await getEventOperations(db)).toContain(operation);
    });

    it('counts events since a time, optionally per operation', async () => {
      const operation = unique('rateOp');
      const since = new Date(Date.UTC(2002, 0, 1));
      await createEvent(db, newEvent({ operation, detectedAt: new Date(since.getTime() - 1) }));
      await createEvent(db, newEvent({ operation, detectedAt: since }));
      await createEvent(db, newEvent({ operation, detectedAt: new Date(since.getTime() + 1_000) }));
      expect(await countHealingEvents(db, { from: since, operation })).toBe(2);
      expect(await countHealingEvents(db, { from: since })).toBeGreaterThanOrEqual(2);
    });
  });

  describe('joined occurrences', () => {
    const occurrence = (eventKey: string, result: 'joined' | 'not-started' = 'joined') => ({
      eventKey,
      result,
      healingWorkflowId: result === 'joined' ? 'heal-run-1' : eventKey,
      error: {
        name: 'Error',
        message: `connect ECONNREFUSED\u0000 ${'x'.repeat(MAX_ERROR_MESSAGE_CHARS)}`,
        code: 'ECONNREFUSED',
      },
      context: { orderId: 'o-1' },
      detectedAt: '2026-11-29T00:00:00.000Z',
    });
    const batch = (occurrences: ReturnType<typeof occurrence>[]) => ({
      operation: 'db.joined',
      signature: `sig-joined-${kind}`,
      logWorkflowId: 'occurrences-db.joined-sig',
      occurrences,
    });

    it('records a batch in one insert, bounded like any event, and nothing twice', async () => {
      expect(
        await recordJoinedOccurrences(db, batch([occurrence(`j1-${kind}`), occurrence(`j2-${kind}`, 'not-started')])),
      ).toBe(2);
      // A retried activity, and an occurrence whose own run recorded it after all.
      await createEvent(db, newEvent({ eventKey: `j3-${kind}`, operation: 'db.joined' }));
      expect(await recordJoinedOccurrences(db, batch([occurrence(`j1-${kind}`), occurrence(`j3-${kind}`)]))).toBe(0);
      const { rows } = await getHealingEvents(db, { operation: 'db.joined' });
      expect(rows).toHaveLength(3);
      const joined = rows.find((row) => row.eventKey === `j1-${kind}`)!;
      expect(joined).toMatchObject({
        result: 'joined',
        workflowId: 'heal-run-1',
        signature: `sig-joined-${kind}`,
        errorCode: 'ECONNREFUSED',
      });
      expect(joined.errorMessage).toHaveLength(MAX_ERROR_MESSAGE_CHARS);
      expect(joined.errorMessage).not.toContain('\u0000');
      expect(joined.context).toEqual({
        orderId: 'o-1',
        recordedBy: 'occurrences-db.joined-sig',
        joinedRun: 'heal-run-1',
      });
      expect(joined.resolvedAt).toBeInstanceOf(Date);
      expect(rows.find((row) => row.eventKey === `j2-${kind}`)).toMatchObject({
        result: 'not-started',
        workflowId: `j2-${kind}`,
      });
      expect(rows.find((row) => row.eventKey === `j3-${kind}`)!.result).toBe('pending');
    });

    it("stamps the fault's latest diagnosis on the occurrences it records", async () => {
      const signature = `sig-joined-${kind}`;
      const leader = await createEvent(db, newEvent({ eventKey: `lead-${kind}`, operation: 'db.joined', signature }));
      await updateHealingEvent(db, leader.eventKey, {
        diagnosis,
        diagnosisSource: 'llm',
        category: 'network',
        severity: 'high',
      });
      await recordJoinedOccurrences(db, batch([occurrence(`j4-${kind}`)]));
      const { rows } = await getHealingEvents(db, { operation: 'db.joined', result: 'joined' });
      expect(rows.find((row) => row.eventKey === `j4-${kind}`)).toMatchObject({
        category: 'network',
        severity: 'high',
        diagnosisSource: 'llm',
        diagnosis,
      });
      expect(rows.find((row) => row.eventKey === `j1-${kind}`)!.category).toBeNull();
    });
  });

  describe('healing stats', () => {
    it('aggregates results, success rate, time to heal, categories, strategies and hours', async () => {
      const from = new Date(Date.UTC(2003, 5, 1, 10));
      const to = new Date(Date.UTC(2003, 5, 1, 13));
      const record = async (
        minutesAfter: number,
        patch: HealingEventPatch,
        category: 'network' | 'timeout' | null = 'network',
      ) => {
        const created = await createEvent(
          db,
          newEvent({ category, detectedAt: new Date(from.getTime() + minutesAfter * 60_000) }),
        );
        await updateHealingEvent(db, created.eventKey, patch);
      };
      await record(0, { result: 'healed', strategy: 'RETRY_WITH_BACKOFF', healingDurationMs: 100 });
      await record(10, { result: 'healed', strategy: 'RETRY_WITH_BACKOFF', healingDurationMs: 300 });
      await record(20, { result: 'failed', strategy: 'RETRY_WITH_BACKOFF' });
      await record(70, { result: 'healed', strategy: 'FALLBACK_TO_CACHE', healingDurationMs: 200 }, 'timeout');
      await record(80, { result: 'skipped', strategy: 'SKIP_OPERATION' }, 'timeout');
      await record(130, { result: 'pending' }, null);
      await record(140, { result: 'cancelled', strategy: 'RETRY_WITH_BACKOFF' });
      // Outside the window: must not count.
      await record(-1, { result: 'failed', strategy: 'RETRY_WITH_BACKOFF' });
      await record(180, { result: 'failed', strategy: 'RETRY_WITH_BACKOFF' });

      const stats = await getHealingStats(db, { from, to });
      expect(stats.total).toBe(7);
      expect(stats.byResult).toEqual({
        pending: 1,
        healed: 3,
        failed: 1,
        skipped: 1,
        queued: 0,
        cancelled: 1,
        joined: 0,
        'not-started': 0,
        'breaker-open': 0,
      });
      expect(stats.resolved).toBe(5);
      expect(stats.successRate).toBeCloseTo(3 / 5);
      expect(stats.meanTimeToHealMs).toBeCloseTo(200);
      expect(stats.byCategory).toEqual([
        { key: 'network', count: 4, healed: 2, resolved: 3, successRate: 2 / 3 },
        { key: 'timeout', count: 2, healed: 1, resolved: 2, successRate: 1 / 2 },
        { key: null, count: 1, healed: 0, resolved: 0, successRate: null },
      ]);
      expect(stats.byStrategy[0]).toEqual({
        key: 'RETRY_WITH_BACKOFF',
        count: 4,
        healed: 2,
        resolved: 3,
        successRate: 2 / 3,
      });
      expect(stats.byStrategy).toContainEqual({
        key: 'SKIP_OPERATION',
        count: 1,
        healed: 0,
        resolved: 1,
        successRate: 0,
      });
      expect(stats.eventsPerHour).toEqual([
        { hour: new Date(Date.UTC(2003, 5, 1, 10)), count: 3 },
        { hour: new Date(Date.UTC(2003, 5, 1, 11)), count: 2 },
        { hour: new Date(Date.UTC(2003, 5, 1, 12)), count: 2 },
      ]);
    });

    it('counts partial hours at the ends of a range from the events, and follows every change of an event', async () => {
      const hour = Date.UTC(2003, 7, 1, 10);
      const minute = (m: number) => new Date(hour + m * 60_000);
      const keys = [10, 50, 70, 130, 170].map((m) => ({ m, key: unique('partial') }));
      for (const { m, key } of keys)
        await createEvent(db, newEvent({ eventKey: key, category: 'network', detectedAt: minute(m) }));
      await updateHealingEvent(db, keys[1]!.key, { result: 'failed', strategy: 'RETRY_WITH_BACKOFF' });
      await updateHealingEvent(db, keys[1]!.key, { result: 'healed', healingDurationMs: 40 });
      await updateHealingEvent(db, keys[2]!.key, { category: 'timeout' });
      const stats = await getHealingStats(db, { from: minute(30), to: minute(150) });
      expect(stats.total).toBe(3); // minutes 50, 70, 130
      expect(stats.byResult).toMatchObject({ healed: 1, pending: 2, failed: 0 });
      expect(stats.meanTimeToHealMs).toBe(40);
      expect(stats.byCategory.map((group) => [group.key, group.count])).toEqual([
        ['network', 2],
        ['timeout', 1],
      ]);
      expect(stats.byStrategy).toEqual([
        { key: null, count: 2, healed: 0, resolved: 0, successRate: null },
        { key: 'RETRY_WITH_BACKOFF', count: 1, healed: 1, resolved: 1, successRate: 1 },
      ]);
      expect(stats.eventsPerHour.map((bucket) => bucket.count)).toEqual([1, 1, 1]);
      expect((await getHealingStats(db, { from: minute(0), to: minute(180) })).total).toBe(5);
      expect((await getHealingStats(db, { from: minute(55), to: minute(65) })).total).toBe(0);
    });

    it('reports null rates when nothing matches', async () => {
      const from = new Date(Date.UTC(1990, 0, 1));
      const stats = await getHealingStats(db, { from, to: new Date(from.getTime() + 1000) });
      expect(stats).toMatchObject({ total: 0, resolved: 0, successRate: null, meanTimeToHealMs: null });
      expect(stats.byCategory).toEqual([]);
      expect(stats.eventsPerHour).toEqual([]);
    });
  });

  describe('health checks', () => {
    it('lists history newest first and the latest row per check name', async () => {
      const prefix = unique('check');
      const at = (minute: number) => new Date(Date.UTC(2004, 0, 1, 0, minute));
      await createHealthCheck(db, { checkName: `${prefix}-db`, status: 'healthy', latencyMs: 3.6, checkedAt: at(1) });
      await createHealthCheck(db, {
        checkName: `${prefix}-db`,
        status: 'unhealthy',
        error: 'ECONNREFUSED',
        checkedAt: at(3),
      });
      await createHealthCheck(db, { checkName: `${prefix}-db`, status: 'degraded', checkedAt: at(2) });
      await createHealthCheck(db, {
        checkName: `${prefix}-llm`,
        status: 'skipped',
        details: { reason: 'no API key' },
        checkedAt: at(1),
      });

      const history = await getHealthChecks(db, { checkName: `${prefix}-db` });
      expect(history.map((row) => row.status)).toEqual(['unhealthy', 'degraded', 'healthy']);
      expect(history[2]!.latencyMs).toBe(4);
      expect(await getHealthChecks(db, { checkName: `${prefix}-db`, from: at(2) })).toHaveLength(2);
      expect(await getHealthChecks(db, { checkName: `${prefix}-db`, limit: 1 })).toHaveLength(1);

      const latest = (await getLatestHealthChecks(db)).filter((row) => row.checkName.startsWith(prefix));
      expect(latest.map((row) => [row.checkName, row.status, row.error])).toEqual([
        [`${prefix}-db`, 'unhealthy', 'ECONNREFUSED'],
        [`${prefix}-llm`, 'skipped', null],
      ]);
      expect(latest[1]!.details).toEqual({ reason: 'no API key' });
    });
  });

  describe('healing patterns', () => {
    it('learns counts, average time and confidence, and picks the best strategy', async () => {
      const signature = unique('pattern');
      expect(await getHealingPattern(db, signature)).toBeUndefined();

      await upsertHealingPattern(db, {
        signature,
        strategy: 'RETRY_WITH_BACKOFF',
        success: false,
        category: 'network',
      });
      await upsertHealingPattern(db, { signature, strategy: 'RETRY_WITH_BACKOFF', success: true, healingMs: 100 });
      await upsertHealingPattern(db, {
        signature,
        strategy: 'FALLBACK_TO_CACHE',
        success: true,
        healingMs: 50,
        diagnosis,
      });
      const cache = await upsertHealingPattern(db, {
        signature,
        strategy: 'FALLBACK_TO_CACHE',
        success: true,
        healingMs: 150,
      });

      expect(cache).toMatchObject({
        successCount: 2,
        failureCount: 0,
        totalHealingMs: 200,
        avgHealingMs: 100,
        diagnosis,
      });
      expect(cache.confidence).toBeCloseTo(2 / 3);

      const best = await getHealingPattern(db, signature);
      expect(best!.strategy).toBe('FALLBACK_TO_CACHE');
      const all = await getHealingPatterns(db, { signature });
      expect(all.map((row) => row.strategy)).toEqual(['FALLBACK_TO_CACHE', 'RETRY_WITH_BACKOFF']);
      expect(all[1]).toMatchObject({ successCount: 1, failureCount: 1, avgHealingMs: 100, category: 'network' });
      expect(all[1]!.confidence).toBeCloseTo(1 / 3);
    });

    it('keeps avg_healing_ms null until the first success', async () => {
      const row = await upsertHealingPattern(db, {
        signature: unique('never'),
        strategy: 'SKIP_OPERATION',
        success: false,
      });
      expect(row).toMatchObject({ successCount: 0, failureCount: 1, avgHealingMs: null, confidence: 0 });
    });

    it('counts exactly 100 after 100 concurrent upserts of the same key', async () => {
      const signature = unique('concurrent');
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          upsertHealingPattern(db, { signature, strategy: 'RETRY_WITH_BACKOFF', success: i % 4 !== 0, healingMs: 10 }),
        ),
      );
      const row = await getHealingPattern(db, signature);
      expect(row!.successCount + row!.failureCount).toBe(100);
      expect(row).toMatchObject({ successCount: 75, failureCount: 25, totalHealingMs: 750, avgHealingMs: 10 });
      expect(row!.confidence).toBeCloseTo(75 / 101);
    });

    it('counts an outcome with the same outcomeId once (retried learning activity)', async () => {
      const signature = unique('idempotent');
      const outcome = {
        outcomeId: `${signature}:1`,
        signature,
        strategy: 'RETRY_WITH_BACKOFF',
        success: true,
        healingMs: 5,
      } as const;
      await Promise.all([upsertHealingPattern(db, outcome), upsertHealingPattern(db, outcome)]);
      await upsertHealingPattern(db, outcome);
      await upsertHealingPattern(db, { ...outcome, outcomeId: `${signature}:2` });
      expect(await getHealingPattern(db, signature)).toMatchObject({ successCount: 2, failureCount: 0 });
    });
  });

  describe('connection handle', () => {
    it('pings, reports pool stats and closes idempotently', async () => {
      expect(testDb.handle.kind).toBe(kind);
      expect(await testDb.handle.ping()).toBeGreaterThanOrEqual(0);
      const stats = testDb.handle.poolStats();
      expect(stats.total).toBeGreaterThanOrEqual(1);
      expect(stats.waiting).toBe(0);
    });

    it(
      'migrations are idempotent: reopening keeps the data and applies nothing twice',
      async () => {
        if (kind === 'postgres') {
          const again = await openDatabase({ databaseUrl: testDb.url! });
          try {
            const { total } = await getHealingEvents(again.db, {});
            expect(total).toBeGreaterThan(0);
          } finally {
            await again.close();
            await again.close();
          }
          return;
        }
        const dataDir = await mkdtemp(join(tmpdir(), 'healing-pglite-'));
        try {
          const first = await openDatabase({ dataDir });
          await createEvent(first.db, newEvent({ eventKey: 'persisted' }));
          await first.close();
          const second = await openDatabase({ dataDir });
          expect((await getHealingEvent(second.db, 'persisted'))?.eventKey).toBe('persisted');
          await second.close();
          await second.close();
        } finally {
          await rm(dataDir, { recursive: true, force: true });
        }
      },
      SLOW,
    );
  });
});

describe('opening PostgreSQL', () => {
  it(
    'migrates a fresh database once even when several processes open it at the same time',
    async () => {
      const empty = await createEmptyPostgresDatabase();
      try {
        const handles = await Promise.all(
          Array.from({ length: 4 }, () => openDatabase({ databaseUrl: empty.url, poolMax: 2 })),
        );
        const created = await createEvent(handles[0]!.db, newEvent());
        expect((await getHealingEvent(handles[3]!.db, created.eventKey))?.id).toBe(created.id);
        await Promise.all(handles.map((handle) => handle.close()));
      } finally {
        await empty.drop();
      }
    },
    SLOW,
  );

  it('fails with one clear error, without the password, when DATABASE_URL is unreachable', async () => {
    const port = await closedPort();
    const attempt = openDatabase({ databaseUrl: `postgres://healer:s3cret-pw@127.0.0.1:${port}/healing` });
    await expect(attempt).rejects.toThrow(
      `Cannot connect to PostgreSQL at 127.0.0.1:${port}/healing: ECONNREFUSED — is it running? Check DATABASE_URL`,
    );
    const error = (await attempt.catch((caught: unknown) => caught)) as Error;
    expect(error.message).not.toContain('s3cret-pw');
    expect(JSON.stringify(error)).not.toContain('s3cret-pw');
  });

  it('the test helper throws rather than skips when PostgreSQL is unreachable', async () => {
    const port = await closedPort();
    await expect(
      createTestDatabase('postgres', { adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres` }),
    ).rejects.toThrow(/Cannot reach the test PostgreSQL at 127\.0\.0\.1:\d+\/postgres: ECONNREFUSED/);
  });
});
