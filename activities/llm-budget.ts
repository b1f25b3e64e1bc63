// A budget of LLM calls per hour (sliding window), shared by every worker through the database
// (db/llm-calls.ts): once spent, the rules decide until the oldest call of the window is an hour old.
import { claimLlmCall, countLlmCalls, type Database } from '../db/index.js';

export const HOUR_MS = 60 * 60 * 1000;

export interface LlmCallBudget {
  /** Takes one call from the budget; false (and nothing taken) when it is spent. */
  tryAcquire(): Promise<boolean>;
  /** Calls still available right now. */
  remaining(): Promise<number>;
  readonly callsPerHour: number;
}

export interface LlmCallBudgetOptions {
  db: Database;
  /** 0 disables LLM calls altogether. */
  callsPerHour: number;
  /** Epoch milliseconds; injectable so tests move time instead of waiting. */
  now?: () => number;
  /** Window length; an hour unless a test says otherwise. */
  windowMs?: number;
}

export function createLlmCallBudget(options: LlmCallBudgetOptions): LlmCallBudget {
  const callsPerHour = Number.isFinite(options.callsPerHour) ? Math.max(0, Math.floor(options.callsPerHour)) : 0;
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? HOUR_MS;
  const window = () => ({ at: new Date(now()), windowMs });
  return {
    callsPerHour,
    async tryAcquire() {
      return callsPerHour > 0 && claimLlmCall(options.db, callsPerHour, window());
    },
    async remaining() {
      return Math.max(0, callsPerHour - (await countLlmCalls(options.db, window())));
    },
  };
}
