// RATE_LIMIT_BACKOFF: wait as long as the server asked (Retry-After, in seconds or as a date,
// read into ErrorReport.retryAfterMs) on a durable timer, then run the operation again. Later
// waits come from each new failure's nextRetryDelay, which the application worker sets from
// that failure's own Retry-After.
import { healedWith, RANK, type HealingStrategy } from './strategy.js';

/** The wait when a rate-limited server did not say how long. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 1_000;
/** Longer advice is not waited for in a healing run (queue the call instead, if the operation allows). */
export const MAX_RATE_LIMIT_WAIT_MS = 10 * 60_000;

export const rateLimitBackoff: HealingStrategy = {
  name: 'RATE_LIMIT_BACKOFF',
  description: 'Wait as long as the server asked (Retry-After), then run the operation again.',
  degraded: false,
  rerunsOperation: true,
  addressesCause: false,
  unmet: () => undefined,
  rank: (fault) => (fault.category === 'rate_limit' || fault.retryAfterMs !== undefined ? RANK.specific : undefined),
  mayWait: true,
  async execute(context) {
    const waitMs = context.input.error.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS;
    if (waitMs > MAX_RATE_LIMIT_WAIT_MS || waitMs >= context.remainingMs()) {
      return {
        ok: false,
        reason: `the server asks to wait ${Math.round(waitMs / 1000)} s, longer than the caller waits`,
      };
    }
    await context.sleep(waitMs, `Retry-After: wait ${waitMs} ms`);
    const app = context.app({
      summary: `RATE_LIMIT_BACKOFF: re-run ${context.input.operation}`,
      retry: { maximumAttempts: context.timing.maximumAttempts },
    });
    return healedWith('RATE_LIMIT_BACKOFF', (await app.runOperation(context.operation)).sealedValue);
  },
};
