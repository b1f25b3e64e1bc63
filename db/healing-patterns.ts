// healing_patterns: what worked for which error signature, learnt from every healing outcome.
import { and, desc, eq, getTableColumns, sql, type SQL } from 'drizzle-orm';
import { STRATEGY_MODULES } from '../common/strategies/index.js';
import type { Diagnosis, ErrorCategory, Strategy } from '../common/types.js';
import type { Database } from './connection.js';
import { healingPatterns, healWatches, learnedOutcomes, type HealingPatternRow } from './schema.js';

export interface HealingOutcome {
  /** When given, an outcome with the same id is counted once however often it is recorded. */
  outcomeId?: string;
  signature: string;
  strategy: Strategy;
  category?: ErrorCategory | null;
  success: boolean;
  /** Counted towards the average only when `success` is true. */
  healingMs?: number;
  /** Stored so the next occurrence of this signature can skip the LLM. */
  diagnosis?: Diagnosis | null;
}

// `excluded` is the row we tried to insert, i.e. this outcome's deltas.
const successes = sql`(${healingPatterns.successCount} + excluded.success_count)`;
const failures = sql`(${healingPatterns.failureCount} + excluded.failure_count)`;
const totalMs = sql`(${healingPatterns.totalHealingMs} + excluded.total_healing_ms)`;

/**
 * Records one outcome in a single INSERT … ON CONFLICT DO UPDATE: the increments read the
 * locked current row, so concurrent outcomes for the same key are never lost. An outcome with an
 * id is counted once however often it is recorded, in the same statement: its id is inserted
 * into learned_outcomes by a CTE, and the increments apply only when that insert was fresh (one
 * statement, one commit: the healing run's caller waits for it, activities/audit.ts).
 */
export async function upsertHealingPattern(db: Database, outcome: HealingOutcome): Promise<HealingPatternRow> {
  const { outcomeId } = outcome;
  if (outcomeId === undefined) return returnedRow(outcome, await countQuery(db, outcome).returning());
  const fresh = db
    .$with('fresh')
    .as(
      db
        .insert(learnedOutcomes)
        .values({ outcomeId })
        .onConflictDoNothing()
        .returning({ outcomeId: learnedOutcomes.outcomeId }),
    );
  const [counted] = await countQuery(db.with(fresh), outcome, sql`exists (select 1 from ${fresh})`).returning();
  if (counted) return counted;
  // Counted before (its id is known): the pattern as it is.
  const [row] = await db
    .select()
    .from(healingPatterns)
    .where(and(eq(healingPatterns.signature, outcome.signature), eq(healingPatterns.strategy, outcome.strategy)));
  return returnedRow(outcome, row ? [row] : []);
}

function returnedRow(outcome: HealingOutcome, [row]: HealingPatternRow[]): HealingPatternRow {
  if (!row) throw new Error(`upsert of healing pattern ${outcome.signature}/${outcome.strategy} returned no row`);
  return row;
}

/** The outcome counted into its (signature, strategy) row; an existing row only where `countIf` holds. */
function countQuery(db: Pick<Database, 'insert'>, outcome: HealingOutcome, countIf?: SQL) {
  const success = outcome.success ? 1 : 0;
  const healingMs = outcome.success ? Math.max(0, Math.round(outcome.healingMs ?? 0)) : 0;
  return db
    .insert(healingPatterns)
    .values({
      signature: outcome.signature,
      strategy: outcome.strategy,
      category: outcome.category ?? null,
      successCount: success,
      failureCount: 1 - success,
      totalHealingMs: healingMs,
      avgHealingMs: outcome.success ? healingMs : null,
      confidence: success / 2,
      consecutiveFailures: 1 - success,
      diagnosis: outcome.diagnosis ?? null,
      lastSeen: sql`now()`,
    })
    .onConflictDoUpdate({
      target: [healingPatterns.signature, healingPatterns.strategy],
      set: {
        successCount: sql`${successes}`,
        failureCount: sql`${failures}`,
        totalHealingMs: sql`${totalMs}`,
        avgHealingMs: sql`${totalMs}::double precision / nullif(${successes}, 0)`,
        confidence: confidenceOf(outcome.strategy, successes, failures, healingPatterns.recurrences),
        consecutiveFailures: sql`case when excluded.success_count > 0 then 0 else ${healingPatterns.consecutiveFailures} + 1 end`,
        // Keep what we knew when this outcome does not say.
        category: sql`coalesce(excluded.category, ${healingPatterns.category})`,
        diagnosis: sql`coalesce(excluded.diagnosis, ${healingPatterns.diagnosis})`,
        lastSeen: sql`now()`,
      },
      ...(countIf ? { setWhere: countIf } : {}),
    });
}

/**
 * successes / (successes + failures + 1), the +1 keeping a single lucky success below certainty.
 * A plain re-run's heal that did not hold (db/heal-watches.ts) is no success: it hid the fault. A
 * strategy that addresses the cause keeps the credit: it did fix that occurrence, and it is what a
 * recurring fault needs (the planner's creditedHeals is the same rule).
 */
export function confidenceOf(
  strategy: Strategy,
  successes: SQL,
  failures: SQL,
  recurrences: SQL | typeof healingPatterns.recurrences,
): SQL {
  const credited = STRATEGY_MODULES[strategy].addressesCause
    ? successes
    : sql`greatest(0, ${successes} - ${recurrences})`;
  return sql`${credited}::double precision / (${successes} + ${failures} + 1)`;
}

/** The strategy to try first for this signature, or undefined when it was never seen. */
export async function getHealingPattern(db: Database, signature: string): Promise<HealingPatternRow | undefined> {
  const [best] = await getHealingPatterns(db, { signature, limit: 1 });
  return best;
}

/** A learned pattern with how well its heals, and its signature's, held (db/heal-watches.ts). */
export interface LearnedPattern extends HealingPatternRow {
  /** Heals of its signature, by any strategy, and how many of them held. */
  signatureHeals: number;
  signatureHeld: number;
  /** Its signature is recurring now: its latest heal(s) did not hold. */
  recurring: boolean;
}

/** Heals that held / heals; null before the first heal. A heal still inside its window counts as held. */
export function effectiveness(heals: number, held: number): number | null {
  return heals === 0 ? null : held / heals;
}

const held = sql`greatest(0, ${healingPatterns.successCount} - ${healingPatterns.recurrences})`;

/**
 * Best first: highest confidence, then most successes, then most recently seen. The signature's
 * totals are summed before the limit, so they cover strategies the page leaves out.
 */
export async function getHealingPatterns(
  db: Database,
  filters: { signature?: string; limit?: number } = {},
): Promise<LearnedPattern[]> {
  const query = db
    .select({
      ...getTableColumns(healingPatterns),
      signatureHeals:
        sql<number>`sum(${healingPatterns.successCount}) over (partition by ${healingPatterns.signature})`.mapWith(
          Number,
        ),
      signatureHeld: sql<number>`sum(${held}) over (partition by ${healingPatterns.signature})`.mapWith(Number),
      recurring: sql<boolean>`coalesce(${healWatches.episodeRecurrences} > 0, false)`.mapWith(Boolean),
    })
    .from(healingPatterns)
    .leftJoin(healWatches, eq(healWatches.signature, healingPatterns.signature))
    .where(filters.signature === undefined ? undefined : eq(healingPatterns.signature, filters.signature))
    .orderBy(
      desc(healingPatterns.confidence),
      desc(healingPatterns.successCount),
      desc(healingPatterns.lastSeen),
      healingPatterns.strategy,
    );
  return filters.limit === undefined ? query : query.limit(filters.limit);
}
