// USE_DEFAULT_VALUE (degraded, opt-in with defaultValue): give the caller the default value
// it supplied, when the operation could not be healed.
import { RANK, type HealingStrategy } from './strategy.js';

export const useDefaultValue: HealingStrategy = {
  name: 'USE_DEFAULT_VALUE',
  description: 'Give the caller the default value it supplied.',
  degraded: true,
  rerunsOperation: false,
  addressesCause: false,
  unmet: (policy) => (policy.hasDefaultValue ? undefined : 'no default value'),
  rank: () => RANK.degraded + 1,
  mayWait: false,
  execute: async () => ({
    ok: true,
    outcome: { status: 'healed', strategy: 'USE_DEFAULT_VALUE', useDefaultValue: true },
  }),
};
