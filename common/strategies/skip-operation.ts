// SKIP_OPERATION (degraded, opt-in by declaring the operation non-critical with critical: false):
// give up on this call without a result; the caller gets undefined.
import { RANK, type HealingStrategy } from './strategy.js';

export const skipOperation: HealingStrategy = {
  name: 'SKIP_OPERATION',
  description: 'Give up on this call without a result (only for operations declared non-critical).',
  degraded: true,
  rerunsOperation: false,
  addressesCause: false,
  unmet: (policy) => (policy.skippable && !policy.critical ? undefined : 'operation is not declared non-critical'),
  rank: () => RANK.degraded + 3,
  mayWait: false,
  execute: async () => ({ ok: true, outcome: { status: 'skipped', strategy: 'SKIP_OPERATION' } }),
};
