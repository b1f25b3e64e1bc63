// CLEAR_CACHE_AND_RETRY: the application's clearCache hook, then the operation again. For a
// stale or corrupt cache entry (the rules' 'stale-cache' kind).
import { hookThenRerun } from './hook-then-rerun.js';
import { needsHook } from './policy.js';
import { RANK, type HealingStrategy } from './strategy.js';

export const clearCacheAndRetry: HealingStrategy = {
  name: 'CLEAR_CACHE_AND_RETRY',
  description: "Run the application's clearCache hook, then run the operation again.",
  degraded: false,
  rerunsOperation: true,
  addressesCause: true,
  unmet: needsHook('clearCache'),
  rank(fault) {
    if (fault.kind === 'stale-cache') return RANK.specific;
    return fault.category === 'unknown' ? RANK.possible : undefined;
  },
  mayWait: false,
  execute: (context) => hookThenRerun(context, 'CLEAR_CACHE_AND_RETRY', 'clearCache'),
};
