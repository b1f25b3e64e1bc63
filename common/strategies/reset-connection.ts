// RESET_CONNECTION: the application's resetConnection hook (a new pool or client), then the
// operation again. For a lost or stale connection.
import { hookThenRerun } from './hook-then-rerun.js';
import { needsHook } from './policy.js';
import { RANK, type HealingStrategy } from './strategy.js';

export const resetConnection: HealingStrategy = {
  name: 'RESET_CONNECTION',
  description: "Run the application's resetConnection hook (new pool/client), then run the operation again.",
  degraded: false,
  rerunsOperation: true,
  addressesCause: true,
  unmet: needsHook('resetConnection'),
  rank(fault) {
    if (fault.category === 'database_connection' || fault.category === 'network') return RANK.capability;
    return fault.category === 'timeout' ? RANK.possible : undefined;
  },
  mayWait: false,
  execute: (context) => hookThenRerun(context, 'RESET_CONNECTION', 'resetConnection'),
};
