// heal_watches: is a heal checked? The latest heal of each signature is watched for a window; an
// occurrence of the same signature inside it is a recurrence: that heal did not hold. Heals in a
// row that did not hold make an episode, which ends when a heal holds for its whole window.
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Strategy } from '../common/types.js';
import type { Database } from './connection.js';
import { confidenceOf } from './healing-patterns.js';
import { healingPatterns, healWatches, type HealWatchRow } from './schema.js';

export interface WatchedHeal {
  signature: string;
  strategy: Strategy;
  /** The attempt that healed (`<workflow id>:<n>`). */
  healAttempt: string;
}

/**
 * Watches this heal from now on, in place of the signature's previous one; the episode, if one is
 * open, goes on. Idempotent: a retried call for the same attempt changes nothing.
 */
export async function watchHeal(db: Database, heal: WatchedHeal): Promise<void> {
  await db
    .insert(healWatches)
    .values({ signature: heal.signature, healedAt: sql`now()`, healedBy: heal.strategy, healAttempt: heal.healAttempt })
    .onConflictDoUpdate({
      target: healWatches.signature,
      set: { healedAt: sql`now()`, healedBy: heal.strategy, healAttempt: heal.healAttempt, recurredAt: null },
      setWhere: sql`${healWatches.healAttempt} <> excluded.heal_attempt`,
    });
}

export interface RecurrenceCheck {
  signature: string;
  /** The run whose occurrence is checked. */
  run: string;
  /** When its occurrence was detected (ISO). */
  detectedAt: string;
  windowMs: number;
  /** Heals in a row that did not hold before the episode escalates (at least 1). */
  escalateAfter: number;
}

/** An open episode: the latest heal(s) of this signature did not hold. */
export interface Recurrence {
  healedBy: Strategy;
  /** When the latest heal was (ISO) and by which attempt. */
  healedAt: string;
  healAttempt: string;
  /** Heals in a row, this episode, that the fault outlived. */
  recurrences: number;
  windowMs: number;
  /** `recurrences` reached the escalation threshold: raise the severity, address the cause, alert. */
  escalated: boolean;
  /** Set for the one run of an escalated episode that alerts: the alert's notification id. */
  alertId?: string;
}

export interface RecurrenceCheckResult {
  recurrence?: Recurrence;
  /** This occurrence counted a recurrence: healing_patterns changed. */
  counted: boolean;
}

/**
 * Checks one occurrence against the signature's watched heal and returns the open episode, if
 * any. An occurrence detected after the heal and inside its window counts that heal as not held
 * (once: here and in healing_patterns.recurrences of its strategy); one after the window proves
 * it held and ends the episode. Safe to repeat for the same run (a retried analysis).
 */
export async function checkRecurrence(db: Database, check: RecurrenceCheck): Promise<RecurrenceCheckResult> {
  const watch = await getHealWatch(db, check.signature);
  if (!watch) return { counted: false };
  const { current, counted } = await settle(db, watch, check);
  if (current.episodeRecurrences === 0) return { counted };
  const escalated = current.episodeRecurrences >= Math.max(1, check.escalateAfter);
  const alerts = escalated && (await claimEpisodeAlert(db, current, check.run));
  const recurrence: Recurrence = {
    healedBy: current.healedBy,
    healedAt: current.healedAt.toISOString(),
    healAttempt: current.healAttempt,
    recurrences: current.episodeRecurrences,
    windowMs: check.windowMs,
    escalated,
    ...(alerts ? { alertId: `${check.signature}:recurring:${current.episode}` } : {}),
  };
  return { recurrence, counted };
}

/**
 * The watch after this occurrence: counted as a recurrence, as proof the heal held, or unchanged.
 * When a concurrent occurrence changed it first, as that one left it.
 */
async function settle(
  db: Database,
  watch: HealWatchRow,
  check: RecurrenceCheck,
): Promise<{ current: HealWatchRow; counted: boolean }> {
  const detectedAt = Date.parse(check.detectedAt);
  const healedAt = watch.healedAt.getTime();
  // Already recurred, or detected during the outage the heal ended rather than after it.
  if (watch.recurredAt !== null || !(detectedAt > healedAt)) return { current: watch, counted: false };
  const recurs = detectedAt <= healedAt + check.windowMs;
  if (!recurs && watch.episodeRecurrences === 0) return { current: watch, counted: false };
  const changed = recurs ? await countRecurrence(db, watch) : await endEpisode(db, watch);
  if (changed) return { current: changed, counted: recurs };
  return { current: (await getHealWatch(db, watch.signature)) ?? watch, counted: false };
}

/** The watched heal held for its whole window: the episode is over. */
async function endEpisode(db: Database, watch: HealWatchRow): Promise<HealWatchRow | undefined> {
  const [ended] = await db
    .update(healWatches)
    .set({ episodeRecurrences: 0, episodeAlertRun: null })
    .where(unchanged(watch))
    .returning();
  return ended;
}

/** The watched heal did not hold: once per heal, however many occurrences see it. */
async function countRecurrence(db: Database, watch: HealWatchRow): Promise<HealWatchRow | undefined> {
  return db.transaction(async (tx) => {
    const [counted] = await tx
      .update(healWatches)
      .set({
        recurredAt: sql`now()`,
        episode: sql`case when ${healWatches.episodeRecurrences} = 0 then ${healWatches.episode} + 1 else ${healWatches.episode} end`,
        episodeRecurrences: sql`${healWatches.episodeRecurrences} + 1`,
      })
      .where(unchanged(watch))
      .returning();
    if (!counted) return undefined;
    const recurrences = sql`(${healingPatterns.recurrences} + 1)`;
    await tx
      .update(healingPatterns)
      .set({
        recurrences: sql`${recurrences}`,
        confidence: confidenceOf(
          watch.healedBy,
          sql`${healingPatterns.successCount}`,
          sql`${healingPatterns.failureCount}`,
          recurrences,
        ),
        lastSeen: sql`now()`, // the fault was seen again (and the dashboard's patterns change)
      })
      .where(and(eq(healingPatterns.signature, watch.signature), eq(healingPatterns.strategy, watch.healedBy)));
    return counted;
  });
}

/** The same heal, not yet counted as recurred. */
function unchanged(watch: HealWatchRow) {
  return and(
    eq(healWatches.signature, watch.signature),
    eq(healWatches.healAttempt, watch.healAttempt),
    isNull(healWatches.recurredAt),
  );
}

/** Whether `run` alerts for the episode: the first run to ask does, and keeps doing so when it asks again. */
async function claimEpisodeAlert(db: Database, watch: HealWatchRow, run: string): Promise<boolean> {
  if (watch.episodeAlertRun !== null) return watch.episodeAlertRun === run;
  const [claimed] = await db
    .update(healWatches)
    .set({ episodeAlertRun: run })
    .where(
      and(
        eq(healWatches.signature, watch.signature),
        eq(healWatches.episode, watch.episode),
        isNull(healWatches.episodeAlertRun),
      ),
    )
    .returning({ run: healWatches.episodeAlertRun });
  return claimed?.run === run;
}

/** The watch of one signature, if any of its heals was watched. */
export async function getHealWatch(db: Database, signature: string): Promise<HealWatchRow | undefined> {
  const [watch] = await db.select().from(healWatches).where(eq(healWatches.signature, signature));
  return watch;
}
