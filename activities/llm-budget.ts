// A budget of LLM calls per hour (sliding window), per worker process: once spent, the rules
// decide until the oldest call of the window is an hour old.

export const HOUR_MS = 60 * 60 * 1000;

export interface LlmCallBudget {
  /** Takes one call from the budget; false (and nothing taken) when it is spent. */
  tryAcquire(): boolean;
  /** Calls still available right now. */
  remaining(): number;
  readonly callsPerHour: number;
}

export interface LlmCallBudgetOptions {
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
  // Times of the calls in the current window, oldest first; never longer than callsPerHour.
  const calls: number[] = [];

  const expire = (at: number) => {
    while (calls.length > 0 && calls[0]! <= at - windowMs) calls.shift();
  };

  return {
    callsPerHour,
    tryAcquire() {
      const at = now();
      expire(at);
      if (calls.length >= callsPerHour) return false;
      calls.push(at);
      return true;
    },
    remaining() {
      expire(now());
      return Math.max(0, callsPerHour - calls.length);
    },
  };
}
