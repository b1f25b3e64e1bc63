// A StrategyContext for running one strategy outside a workflow: the application's activities are
// plain functions, timers are recorded instead of slept.
import type { AppActivities, HealingInput } from '../../common/healing-contract.js';
import { DEFAULT_HEALING_TIMING } from '../../common/healing-contract.js';
import { defaultOperationPolicy, type OperationPolicy } from '../../common/strategies/index.js';
import type { RerunRetry, StrategyContext } from '../../common/strategies/strategy.js';

export interface FakeRun {
  context: StrategyContext;
  /** Calls made, in order: `runOperation@<endpoint>`, `hook:<name>`, `readCachedResult`, `sleep:<ms>`, `queued`. */
  calls: string[];
  /** The retry settings each activity call was given. */
  retries: RerunRetry[];
}

export function fakeStrategyRun(
  app: Partial<AppActivities>,
  options: { policy?: Partial<OperationPolicy>; input?: Partial<HealingInput>; remainingMs?: number } = {},
): FakeRun {
  const calls: string[] = [];
  const retries: RerunRetry[] = [];
  const input: HealingInput = {
    workflowId: 'heal-test',
    operation: 'test.op',
    error: { name: 'Error', message: 'boom' },
    signature: 'sig',
    policy: defaultOperationPolicy('test.op', options.policy),
    detectedAt: new Date(0).toISOString(),
    appTaskQueue: 'app',
    sealedArgs: 'sealed-args',
    ...options.input,
  };
  const activities: AppActivities = {
    async runOperation(run) {
      calls.push(`runOperation@${run.endpoint ?? 'primary'}`);
      if (!app.runOperation) throw new Error('no runOperation');
      return app.runOperation(run);
    },
    async readCachedResult(read) {
      calls.push('readCachedResult');
      return app.readCachedResult ? app.readCachedResult(read) : null;
    },
    async runOperationHook(hook) {
      calls.push(`hook:${hook.hook}`);
      await app.runOperationHook?.(hook);
    },
  };
  const context: StrategyContext = {
    input,
    timing: DEFAULT_HEALING_TIMING,
    operation: { operation: input.operation, sealedArgs: input.sealedArgs },
    app: ({ retry }) => {
      retries.push(retry);
      return activities;
    },
    sleep: async (ms) => void calls.push(`sleep:${ms}`),
    remainingMs: () => options.remainingMs ?? Infinity,
    tellQueued: async () => void calls.push('queued'),
  };
  return { context, calls, retries };
}
