// The interface every healing strategy implements, and what a strategy is given to run.
// Strategies are pure and deterministic: everything with a side effect (the application's
// activities, durable timers, telling the caller) comes in through the StrategyContext.
import type {
  AppActivities,
  CallerOutcome,
  HealingInput,
  HealingTiming,
  RunOperationInput,
} from '../healing-contract.js';
import type { ErrorCategory, Strategy } from '../types.js';
import type { OperationPolicy } from './policy.js';

/** The facts about a fault that decide which strategies fit it (from the diagnosis and the rules). */
export interface FaultFacts {
  category: ErrorCategory;
  transient: boolean;
  /** What the rules recognised beyond the category. */
  kind?: 'transaction-conflict' | 'stale-cache' | 'unreachable';
  /** The server asked to wait this long (Retry-After). */
  retryAfterMs?: number;
}

/** How re-runs of the operation are retried by Temporal (an activity retry policy). */
export interface RerunRetry {
  maximumAttempts: number;
  initialIntervalMs?: number;
  maximumIntervalMs?: number;
}

export interface StrategyContext {
  input: HealingInput;
  timing: HealingTiming;
  /** The operation and its sealed arguments, as runOperation takes them. */
  operation: RunOperationInput;
  /** The application's activities on its task queue, retried as asked, bounded by the caller's deadline. */
  app(options: { summary: string; retry: RerunRetry }): AppActivities;
  /** A durable timer. */
  sleep(ms: number, summary: string): Promise<void>;
  /** Milliseconds left before the waiting caller's deadline (Infinity when nobody waits). */
  remainingMs(): number;
  /** Tells the waiting caller that its call is queued, before the durable wait starts. */
  tellQueued(runAt: string): Promise<void>;
}

/** What the caller gets, or why the strategy did not work. */
export type StrategyOutcome = { ok: true; outcome: CallerOutcome } | { ok: false; reason: string };

/** One healing strategy: what it needs, what kind of answer it gives, where it fits, how it runs. */
export interface HealingStrategy {
  readonly name: Strategy;
  readonly description: string;
  /**
   * Its success is a degraded answer (not the operation's real result): used only when the
   * operation opted in, only for transient faults, never learned or explored.
   */
  readonly degraded: boolean;
  /** Runs the operation again: never after a permanent error. */
  readonly rerunsOperation: boolean;
  /**
   * It changes something before the operation runs again (another endpoint, a new connection, a
   * cleared cache): preferred over plain re-runs for a fault whose heals do not hold.
   */
  readonly addressesCause: boolean;
  /** Why the operation's policy does not let it run; undefined when it does. */
  unmet(policy: OperationPolicy): string | undefined;
  /** Where it fits a fault: lower goes earlier; undefined when it does not fit. */
  rank(fault: FaultFacts): number | undefined;
  /** It may wait longer than the operation itself before its outcome (a durable timer). */
  readonly mayWait: boolean;
  execute(context: StrategyContext): Promise<StrategyOutcome>;
}

/** The caller gets the operation's real result, produced by `strategy`. */
export function healedWith(strategy: Strategy, sealedValue: string, endpoint?: string): StrategyOutcome {
  return { ok: true, outcome: { status: 'healed', strategy, sealedValue, ...(endpoint ? { endpoint } : {}) } };
}

/** Ranks shared by the strategies, so their order reads in one place. */
export const RANK = {
  /** The remedy for exactly this kind of fault (rollback for a deadlock, Retry-After for a 429). */
  specific: 10,
  /** A capability the application registered that fits (an alternate endpoint, a hook). */
  capability: 20,
  /** Running the operation again as it was. */
  generic: 30,
  /** A capability that may help but does not address the usual cause. */
  possible: 40,
  /** Degraded answers, in the order they are tried: the closest to a real result first. */
  degraded: 100,
} as const;
