// Runs one strategy of the catalogue (common/strategies/) in workflow code: its context gives it
// the application's activities on the app's task queue — retried and backed off by Temporal's
// retry policies, bounded by the waiting caller's deadline — and durable timers.
import { isCancellation, proxyActivities, sleep } from '@temporalio/workflow';
import type { AppActivities, HealingInput, HealingTiming } from '../common/healing-contract.js';
import { failureReason } from '../common/strategies/failure-reason.js';
import { STRATEGY_MODULES, type StrategyOutcome } from '../common/strategies/index.js';
import type { RerunRetry, StrategyContext } from '../common/strategies/strategy.js';
import type { Strategy } from '../common/types.js';

export interface ExecutionHooks {
  /** Milliseconds left before the waiting caller's deadline (Infinity when nobody waits). */
  remainingMs(): number;
  /** Tells the caller its call is queued. */
  tellQueued(runAt: string): Promise<void>;
  /** Tried by exploration: said in its activities' summaries (Temporal UI). */
  explored: boolean;
}

/** Runs `strategy` to its end; a failure becomes a reason, a cancellation goes on up. */
export async function executeStrategy(
  strategy: Strategy,
  input: HealingInput,
  timing: HealingTiming,
  hooks: ExecutionHooks,
): Promise<StrategyOutcome> {
  const context: StrategyContext = {
    input,
    timing,
    operation: { operation: input.operation, sealedArgs: input.sealedArgs },
    app: (options) => {
      const summary = hooks.explored ? `${options.summary} (exploring)` : options.summary;
      return appActivities(input, timing, summary, options.retry, hooks.remainingMs());
    },
    sleep: (ms, summary) => sleep(ms, { summary }),
    remainingMs: hooks.remainingMs,
    tellQueued: hooks.tellQueued,
  };
  try {
    return await STRATEGY_MODULES[strategy].execute(context);
  } catch (error) {
    if (isCancellation(error)) throw error; // a cancelled run stops here, it does not escalate
    return { ok: false, reason: failureReason(error) };
  }
}

function appActivities(
  input: HealingInput,
  timing: HealingTiming,
  summary: string,
  retry: RerunRetry,
  remainingMs: number,
) {
  return proxyActivities<AppActivities>({
    taskQueue: input.appTaskQueue,
    startToCloseTimeout: timing.operationTimeoutMs,
    // The server starts no try after the caller's deadline, even if this worker is down by then.
    ...(Number.isFinite(remainingMs) ? { scheduleToCloseTimeout: Math.max(1, remainingMs) } : {}),
    retry: {
      maximumAttempts: retry.maximumAttempts,
      initialInterval: retry.initialIntervalMs ?? 1_000,
      backoffCoefficient: 2,
      maximumInterval: retry.maximumIntervalMs ?? 30_000,
    },
    summary,
  });
}
