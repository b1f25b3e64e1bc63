// The shape shared by CLEAR_CACHE_AND_RETRY, RESET_CONNECTION and ROLLBACK_TRANSACTION: run one
// of the application's hooks once, then run the operation again with retries.
import type { OperationHook } from '../healing-contract.js';
import type { Strategy } from '../types.js';
import { healedWith, type StrategyContext, type StrategyOutcome } from './strategy.js';

export async function hookThenRerun(
  context: StrategyContext,
  strategy: Strategy,
  hook: OperationHook,
): Promise<StrategyOutcome> {
  const { operation } = context.input;
  await context
    .app({ summary: `${strategy}: ${hook}`, retry: { maximumAttempts: 1 } })
    .runOperationHook({ operation, hook });
  const app = context.app({
    summary: `${strategy}: re-run ${operation}`,
    retry: { maximumAttempts: context.timing.maximumAttempts },
  });
  return healedWith(strategy, (await app.runOperation(context.operation)).sealedValue);
}
