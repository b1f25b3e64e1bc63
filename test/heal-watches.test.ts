// db/heal-watches.ts on real PostgreSQL: a recurrence counts once per heal however many
// occurrences (or retried analyses) see it, one run alerts per episode, and a heal that holds
// ends the episode. Occurrences are dated ahead of the heal instead of waiting for the window.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkRecurrence,
  getHealingPatterns,
  getHealWatch,
  upsertHealingPattern,
  watchHeal,
  type Database,
  type RecurrenceCheck,
} from '../db/index.js';
import type { Strategy } from '../common/types.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

const WINDOW_MS = 60_000;
let database: TestDatabase;
let db: Database;

beforeAll(async () => {
  database = await createTestDatabase('postgres');
  db = database.handle.db;
});

afterAll(async () => {
  await database?.drop();
});

/** A heal as learning records it: the success counted, then watched. */
async function heal(signature: string, strategy: Strategy, attempt: string): Promise<void> {
  await upsertHealingPattern(db, { outcomeId: attempt, signature, strategy, success: true, healingMs: 10 });
  await watchHeal(db, { signature, strategy, healAttempt: attempt });
}

/** An occurrence of `signature` in run `run`, detected `afterMs` from now. */
function occurrence(signature: string, run: string, afterMs: number, escalateAfter = 1): RecurrenceCheck {
  return {
    signature,
    run,
    detectedAt: new Date(Date.now() + afterMs).toISOString(),
    windowMs: WINDOW_MS,
    escalateAfter,
  };
}

describe('heal watches', () => {
  it('sees nothing for a signature never healed, nor for an occurrence from before the heal', async () => {
    expect(await checkRecurrence(db, occurrence('sig-new', 'run-1', 1_000))).toEqual({ counted: false });
    await heal('sig-before', 'RETRY_WITH_BACKOFF', 'heal-a:1');
    expect(await checkRecurrence(db, occurrence('sig-before', 'run-2', -5_000))).toEqual({ counted: false });
  });

  it('counts a recurrence once per heal, however many occurrences see it at once', async () => {
    await heal('sig-storm', 'RETRY_WITH_BACKOFF', 'heal-b:1');
    const checks = await Promise.all(
      ['s1', 's2', 's3', 's4', 's5'].map((run) => checkRecurrence(db, occurrence('sig-storm', run, 5_000))),
    );
    expect(checks.filter((check) => check.counted)).toHaveLength(1);
    expect(checks.every((check) => check.recurrence?.recurrences === 1 && check.recurrence.escalated)).toBe(true);
    // One run of the episode alerts; it keeps its alert when its analysis is retried.
    const alerting = checks.filter((check) => check.recurrence?.alertId);
    expect(alerting).toHaveLength(1);
    expect(alerting[0]!.recurrence!.alertId).toBe('sig-storm:recurring:1');
    const [pattern] = await getHealingPatterns(db, { signature: 'sig-storm' });
    expect(pattern).toMatchObject({
      successCount: 1,
      recurrences: 1,
      confidence: 0,
      signatureHeals: 1,
      signatureHeld: 0,
      recurring: true,
    });

    const alertRun = (await getHealWatch(db, 'sig-storm'))!.episodeAlertRun!;
    const retried = await checkRecurrence(db, occurrence('sig-storm', alertRun, 6_000));
    expect(retried).toMatchObject({ counted: false, recurrence: { alertId: 'sig-storm:recurring:1' } });
  });

  it('escalates only after the set number of heals in a row that did not hold', async () => {
    await heal('sig-slow', 'RETRY_WITH_BACKOFF', 'heal-c:1');
    const first = await checkRecurrence(db, occurrence('sig-slow', 'c2', 1_000, 2));
    expect(first.recurrence).toMatchObject({ recurrences: 1, escalated: false, healedBy: 'RETRY_WITH_BACKOFF' });
    expect(first.recurrence?.alertId).toBeUndefined();
    await heal('sig-slow', 'RETRY_WITH_BACKOFF', 'heal-c2:1');
    const second = await checkRecurrence(db, occurrence('sig-slow', 'c3', 1_000, 2));
    expect(second.recurrence).toMatchObject({ recurrences: 2, escalated: true, alertId: 'sig-slow:recurring:1' });
  });

  it('ends the episode when a heal holds for its window; the next recurrence opens a new one with a new alert', async () => {
    await heal('sig-episodes', 'RETRY_WITH_BACKOFF', 'heal-d:1');
    expect((await checkRecurrence(db, occurrence('sig-episodes', 'd2', 1_000))).recurrence).toMatchObject({
      alertId: 'sig-episodes:recurring:1',
    });
    await heal('sig-episodes', 'RESET_CONNECTION', 'heal-d2:1');
    // The next occurrence comes after the window: the reset held, the episode is over.
    expect(await checkRecurrence(db, occurrence('sig-episodes', 'd3', WINDOW_MS + 1_000))).toEqual({ counted: false });
    expect(await getHealWatch(db, 'sig-episodes')).toMatchObject({
      episode: 1,
      episodeRecurrences: 0,
      episodeAlertRun: null,
    });

    await heal('sig-episodes', 'RETRY_WITH_BACKOFF', 'heal-d3:1');
    const next = await checkRecurrence(db, occurrence('sig-episodes', 'd4', 1_000));
    expect(next.recurrence).toMatchObject({ recurrences: 1, alertId: 'sig-episodes:recurring:2' });
    const byStrategy = Object.fromEntries(
      (await getHealingPatterns(db, { signature: 'sig-episodes' })).map((row) => [row.strategy, row]),
    );
    expect(byStrategy.RETRY_WITH_BACKOFF).toMatchObject({
      successCount: 2,
      recurrences: 2,
      signatureHeals: 3,
      signatureHeld: 1,
    });
    expect(byStrategy.RESET_CONNECTION).toMatchObject({ successCount: 1, recurrences: 0 });
  });

  it('does not reset a watch when the same heal is learned again (a retried activity)', async () => {
    await heal('sig-retried', 'RETRY_WITH_BACKOFF', 'heal-e:1');
    await checkRecurrence(db, occurrence('sig-retried', 'e2', 1_000));
    await watchHeal(db, { signature: 'sig-retried', strategy: 'RETRY_WITH_BACKOFF', healAttempt: 'heal-e:1' });
    expect((await getHealWatch(db, 'sig-retried'))!.recurredAt).not.toBeNull();
  });
});
