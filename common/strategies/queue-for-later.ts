// QUEUE_FOR_LATER (degraded, opt-in with queueForLater): tell the caller its call is queued,
// wait on a durable timer (it fires even if the application and the workers restarted), then
// run the operation with generous retries. The only strategy that may run the operation after
// its caller was answered: the caller was told so.
import { RANK, healedWith, type HealingStrategy } from './strategy.js';

export const queueForLater: HealingStrategy = {
  name: 'QUEUE_FOR_LATER',
  description: 'Tell the caller the call is queued, wait durably, then run the operation again.',
  degraded: true,
  rerunsOperation: true,
  addressesCause: false,
  unmet: (policy) => (policy.queueable ? undefined : 'operation did not opt in to queueing'),
  rank: () => RANK.degraded + 2,
  mayWait: true,
  async execute(context) {
    const { input, timing } = context;
    const delayMs = Math.max(timing.queueDelayMs, input.error.retryAfterMs ?? 0);
    const runAt = new Date(Date.now() + delayMs).toISOString();
    await context.tellQueued(runAt);
    await context.sleep(delayMs, `queued ${input.operation} until ${runAt}`);
    const app = context.app({
      summary: `QUEUE_FOR_LATER: run ${input.operation}`,
      retry: { maximumAttempts: 10, maximumIntervalMs: 5 * 60_000 },
    });
    return healedWith('QUEUE_FOR_LATER', (await app.runOperation(context.operation)).sealedValue);
  },
};
