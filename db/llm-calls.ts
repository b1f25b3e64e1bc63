// llm_calls: the LLM requests of the last window, shared by every worker so that the hourly
// budget is one budget however many workers run.
import { and, count, gt, lte, sql } from 'drizzle-orm';
import type { Database } from './connection.js';
import { llmCalls } from './schema.js';

/** Serialises claims (pg_advisory_xact_lock key): two workers cannot both take the last call. */
const LLM_BUDGET_LOCK = 0x11_6d_b0_d6;

export interface LlmCallWindow {
  /** The claim's time (the end of the window). */
  at: Date;
  windowMs: number;
}

/** Records a call at `at` unless `limit` calls were made in the window before it; true when recorded. */
export async function claimLlmCall(db: Database, limit: number, window: LlmCallWindow): Promise<boolean> {
  const since = new Date(window.at.getTime() - window.windowMs);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${LLM_BUDGET_LOCK})`);
    await tx.delete(llmCalls).where(lte(llmCalls.calledAt, since));
    const [row] = await tx
      .select({ calls: count() })
      .from(llmCalls)
      .where(and(gt(llmCalls.calledAt, since), lte(llmCalls.calledAt, window.at)));
    if ((row?.calls ?? 0) >= limit) return false;
    await tx.insert(llmCalls).values({ calledAt: window.at });
    return true;
  });
}

/** Calls made in the window ending at `window.at`. */
export async function countLlmCalls(db: Database, window: LlmCallWindow): Promise<number> {
  const since = new Date(window.at.getTime() - window.windowMs);
  const [row] = await db
    .select({ calls: count() })
    .from(llmCalls)
    .where(and(gt(llmCalls.calledAt, since), lte(llmCalls.calledAt, window.at)));
  return row?.calls ?? 0;
}
