// ROLLBACK_TRANSACTION: the application's rollback hook, then the operation (its transaction)
// again. For deadlocks and serialization failures (the rules' 'transaction-conflict' kind).
import { hookThenRerun } from './hook-then-rerun.js';
import { needsHook } from './policy.js';
import { RANK, type HealingStrategy } from './strategy.js';

export const rollbackTransaction: HealingStrategy = {
  name: 'ROLLBACK_TRANSACTION',
  description: "Run the application's rollback hook, then run the operation (its transaction) again.",
  degraded: false,
  rerunsOperation: true,
  addressesCause: false,
  unmet: needsHook('rollback'),
  rank: (fault) => (fault.kind === 'transaction-conflict' ? RANK.specific : undefined),
  mayWait: false,
  execute: (context) => hookThenRerun(context, 'ROLLBACK_TRANSACTION', 'rollback'),
};
