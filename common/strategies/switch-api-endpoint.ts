// SWITCH_API_ENDPOINT: run the operation against each alternate endpoint in turn (the operation
// reads its endpoint with currentEndpoint()). A refused connection or an unknown host goes here
// before any retry of the dead endpoint.
import { isCancellation } from '@temporalio/workflow';
import { failureReason } from './failure-reason.js';
import { healedWith, RANK, type HealingStrategy } from './strategy.js';

export const switchApiEndpoint: HealingStrategy = {
  name: 'SWITCH_API_ENDPOINT',
  description: 'Run the operation against each alternate endpoint in turn.',
  degraded: false,
  rerunsOperation: true,
  addressesCause: true,
  unmet: (policy) => (policy.alternateEndpoints.length > 0 ? undefined : 'no alternate endpoints'),
  rank(fault) {
    if (fault.kind === 'unreachable') return RANK.specific;
    if (['network', 'timeout', 'external_service'].includes(fault.category)) return RANK.capability;
    if (fault.category === 'rate_limit' || fault.category === 'unknown') return RANK.possible;
    return undefined;
  },
  mayWait: false,
  async execute(context) {
    const reasons: string[] = [];
    for (const endpoint of context.input.policy.alternateEndpoints) {
      const app = context.app({
        summary: `SWITCH_API_ENDPOINT: ${context.input.operation} via ${endpoint}`,
        retry: { maximumAttempts: 2, initialIntervalMs: 500 },
      });
      try {
        const { sealedValue } = await app.runOperation({ ...context.operation, endpoint });
        return healedWith('SWITCH_API_ENDPOINT', sealedValue, endpoint);
      } catch (error) {
        if (isCancellation(error)) throw error;
        reasons.push(`${endpoint}: ${failureReason(error)}`);
      }
    }
    return { ok: false, reason: reasons.join('; ') };
  },
};
