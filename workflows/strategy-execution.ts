// How each strategy of the catalogue is carried out, in workflow code: re-runs of the
// operation are activities on the application's task queue, retried and backed off by
// Temporal (retry policies, durable timers), never by loops of our own.
import { isCancellation, proxyActivities, sleep, type ActivityOptions } from '@temporalio/workflow';
import type {
  AppActivities,
  CallerOutcome,
  HealingInput,
  HealingTiming,
  OperationHook,
} from '../common/healing-contract.js';
import type { Strategy } from '../common/types.js';

/** The outcome of one strategy: what the caller gets, or why it did not work. */
export type StrategyOutcome = { ok: true; outcome: CallerOutcome } | { ok: false; reason: string };

const RETRY_DEFAULTS = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' } as const;
const SINGLE_TRY = { maximumAttempts: 1 } as const;
const DEFAULT_RATE_LIMIT_WAIT_MS = 1_000;
const MAX_RATE_LIMIT_WAIT_MS = 10 * 60_000;

const HOOK_OF: Partial<Record<Strategy, OperationHook>> = {
  CLEAR_CACHE_AND_RETRY: 'clearCache',
  RESET_CONNECTION: 'resetConnection',
  ROLLBACK_TRANSACTION: 'rollback',
};

function appActivities(input: HealingInput, timing: HealingTiming, options: Partial<ActivityOptions>): AppActivities {
  return proxyActivities<AppActivities>({
    taskQueue: input.appTaskQueue,
    startToCloseTimeout: timing.operationTimeoutMs,
    ...options,
  });
}

function healed(strategy: Strategy, sealedValue: string): StrategyOutcome {
  return { ok: true, outcome: { status: 'healed', strategy, sealedValue } };
}

function failureReason(error: unknown): string {
  const failure = error as { cause?: { message?: string }; message?: string };
  return failure.cause?.message ?? failure.message ?? String(error);
}

/** Runs one strategy to its end; `onQueued` tells the caller before the durable wait starts. */
export async function executeStrategy(
  strategy: Strategy,
  input: HealingInput,
  timing: HealingTiming,
  onQueued: (outcome: CallerOutcome) => Promise<void>,
): Promise<StrategyOutcome> {
  const operation = { operation: input.operation, sealedArgs: input.sealedArgs };
  const retrying = appActivities(input, timing, {
    retry: { ...RETRY_DEFAULTS, maximumAttempts: timing.maximumAttempts },
    summary: `${strategy}: re-run ${input.operation}`,
  });
  const once = appActivities(input, timing, { retry: SINGLE_TRY, summary: `${strategy}: ${input.operation}` });
  try {
    switch (strategy) {
      case 'RETRY_WITH_BACKOFF':
        return healed(strategy, (await retrying.runOperation(operation)).sealedValue);
      case 'RATE_LIMIT_BACKOFF': {
        // Honour the server's Retry-After on the first wait; later waits come from the failure's
        // nextRetryDelay, which the application worker sets from each new Retry-After.
        const waitMs = Math.min(input.error.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS, MAX_RATE_LIMIT_WAIT_MS);
        await sleep(waitMs, { summary: `Retry-After: wait ${waitMs} ms` });
        return healed(strategy, (await retrying.runOperation(operation)).sealedValue);
      }
      case 'FALLBACK_TO_CACHE': {
        const cached = await once.readCachedResult(operation);
        return cached ? healed(strategy, cached.sealedValue) : { ok: false, reason: 'no cached result for these arguments' };
      }
      case 'SWITCH_API_ENDPOINT':
        return await switchEndpoint(input, timing);
      case 'CLEAR_CACHE_AND_RETRY':
      case 'RESET_CONNECTION':
      case 'ROLLBACK_TRANSACTION':
        await once.runOperationHook({ operation: input.operation, hook: HOOK_OF[strategy]! });
        return healed(strategy, (await retrying.runOperation(operation)).sealedValue);
      case 'USE_DEFAULT_VALUE':
        return { ok: true, outcome: { status: 'healed', strategy, useDefaultValue: true } };
      case 'SKIP_OPERATION':
        return { ok: true, outcome: { status: 'skipped', strategy } };
      case 'QUEUE_FOR_LATER':
        return await queueForLater(input, timing, onQueued);
    }
  } catch (error) {
    // A cancelled workflow must stop here, not escalate to the next strategy.
    if (isCancellation(error)) throw error;
    return { ok: false, reason: failureReason(error) };
  }
}

async function switchEndpoint(input: HealingInput, timing: HealingTiming): Promise<StrategyOutcome> {
  const reasons: string[] = [];
  for (const endpoint of input.policy.alternateEndpoints) {
    const viaEndpoint = appActivities(input, timing, {
      retry: { ...RETRY_DEFAULTS, maximumAttempts: 2 },
      summary: `SWITCH_API_ENDPOINT: ${input.operation} via ${endpoint}`,
    });
    try {
      const { sealedValue } = await viaEndpoint.runOperation({ operation: input.operation, sealedArgs: input.sealedArgs, endpoint });
      return healed('SWITCH_API_ENDPOINT', sealedValue);
    } catch (error) {
      if (isCancellation(error)) throw error;
      reasons.push(`${endpoint}: ${failureReason(error)}`);
    }
  }
  return { ok: false, reason: reasons.join('; ') || 'no alternate endpoint' };
}

async function queueForLater(
  input: HealingInput,
  timing: HealingTiming,
  onQueued: (outcome: CallerOutcome) => Promise<void>,
): Promise<StrategyOutcome> {
  const runAt = new Date(Date.now() + timing.queueDelayMs).toISOString();
  await onQueued({ status: 'queued', strategy: 'QUEUE_FOR_LATER', runAt });
  // A durable timer: it fires even if the app and the workers restarted in between.
  await sleep(timing.queueDelayMs, { summary: `queued ${input.operation} until ${runAt}` });
  const later = appActivities(input, timing, {
    retry: { ...RETRY_DEFAULTS, maximumInterval: '5m', maximumAttempts: 10 },
    summary: `QUEUE_FOR_LATER: run ${input.operation}`,
  });
  return healed('QUEUE_FOR_LATER', (await later.runOperation({ operation: input.operation, sealedArgs: input.sealedArgs })).sealedValue);
}
