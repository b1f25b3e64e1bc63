// FALLBACK_TO_CACHE (degraded, opt-in with cacheResults): serve the last good result cached
// for the same arguments, when the operation could not be healed.
import { RANK, type HealingStrategy } from './strategy.js';

export const fallbackToCache: HealingStrategy = {
  name: 'FALLBACK_TO_CACHE',
  description: 'Serve the last successful result cached for the same arguments.',
  degraded: true,
  rerunsOperation: false,
  addressesCause: false,
  unmet: (policy) => (policy.cacheable ? undefined : 'operation is not cacheable'),
  rank: () => RANK.degraded,
  mayWait: false,
  async execute(context) {
    const app = context.app({
      summary: `FALLBACK_TO_CACHE: ${context.input.operation}`,
      retry: { maximumAttempts: 1 },
    });
    const cached = await app.readCachedResult(context.operation);
    if (!cached) return { ok: false, reason: 'no cached result for these arguments' };
    return { ok: true, outcome: { status: 'healed', strategy: 'FALLBACK_TO_CACHE', sealedValue: cached.sealedValue } };
  },
};
