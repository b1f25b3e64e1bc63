// RETRY_WITH_BACKOFF: run the operation again as it was; Temporal's retry policy backs off
// exponentially between tries (timing.maximumAttempts runs, from 1 s, doubling, at most 30 s).
import { healedWith, RANK, type HealingStrategy } from './strategy.js';

export const retryWithBackoff: HealingStrategy = {
  name: 'RETRY_WITH_BACKOFF',
  description: 'Run the operation again, backing off exponentially between tries.',
  degraded: false,
  rerunsOperation: true,
  addressesCause: false,
  unmet: () => undefined,
  // Rate limits get RATE_LIMIT_BACKOFF, which honours the server's Retry-After.
  rank: (fault) => (fault.category === 'rate_limit' || fault.retryAfterMs !== undefined ? undefined : RANK.generic),
  mayWait: false,
  async execute(context) {
    const app = context.app({
      summary: `RETRY_WITH_BACKOFF: re-run ${context.input.operation}`,
      retry: { maximumAttempts: context.timing.maximumAttempts },
    });
    return healedWith('RETRY_WITH_BACKOFF', (await app.runOperation(context.operation)).sealedValue);
  },
};
