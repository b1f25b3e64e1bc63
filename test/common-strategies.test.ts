import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SAFETY_ORDER,
  STRATEGY_CATALOG,
  applicableStrategies,
  defaultOperationPolicy,
  isStrategyApplicable,
  planStrategies,
  planStrategiesDetailed,
  unmetRequirements,
  type LearnedStrategyStats,
  type OperationPolicy,
  type StrategyHook,
} from '../common/strategies.js';
import { STRATEGIES, type Diagnosis, type Strategy } from '../common/types.js';

const FULL: OperationPolicy = {
  operation: 'orders.fetch',
  cacheable: true,
  hasDefaultValue: true,
  critical: false,
  alternateEndpoints: ['https://backup.example.com'],
  hooks: ['clearCache', 'resetConnection', 'rollback'],
};

function diagnosis(overrides: Partial<Diagnosis> = {}): Diagnosis {
  return {
    category: 'network',
    severity: 'medium',
    transient: true,
    rootCause: 'network',
    recommendedStrategy: 'RETRY_WITH_BACKOFF',
    fallbackStrategies: ['SWITCH_API_ENDPOINT', 'FALLBACK_TO_CACHE'],
    confidence: 0.6,
    explanation: 'test',
    source: 'rules',
    ...overrides,
  };
}

const strategy = fc.constantFrom(...STRATEGIES);
const hook = fc.constantFrom<StrategyHook>('clearCache', 'resetConnection', 'rollback');
const policyArb: fc.Arbitrary<OperationPolicy> = fc.record({
  operation: fc.string(),
  allowedStrategies: fc.option(fc.subarray([...STRATEGIES]), { nil: undefined }),
  cacheable: fc.boolean(),
  hasDefaultValue: fc.boolean(),
  critical: fc.boolean(),
  alternateEndpoints: fc.array(fc.webUrl(), { maxLength: 2 }),
  hooks: fc.uniqueArray(hook),
  requiresApproval: fc.option(fc.subarray([...STRATEGIES]), { nil: undefined }),
});
const diagnosisArb = fc.record({
  transient: fc.boolean(),
  recommendedStrategy: strategy,
  fallbackStrategies: fc.array(strategy, { maxLength: 3 }),
});
const learnedArb: fc.Arbitrary<LearnedStrategyStats[]> = fc.array(
  fc.record({
    strategy,
    confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    successCount: fc.nat(20),
    failureCount: fc.nat(20),
  }),
  { maxLength: 12 },
);

describe('STRATEGY_CATALOG', () => {
  it('describes all ten strategies consistently', () => {
    expect(Object.keys(STRATEGY_CATALOG).sort()).toEqual([...STRATEGIES].sort());
    expect([...SAFETY_ORDER].sort()).toEqual([...STRATEGIES].sort());
    for (const s of STRATEGIES) {
      const entry = STRATEGY_CATALOG[s];
      expect(entry.strategy).toBe(s);
      expect(entry.description.length).toBeGreaterThan(10);
      expect(entry.retriesOnPermanentError).toBe(false);
      expect(entry.retry.maximumAttempts).toBeGreaterThanOrEqual(1);
      expect(entry.retry.initialInterval).toBeGreaterThan(0);
      expect(entry.retry.maximumInterval).toBeGreaterThanOrEqual(entry.retry.initialInterval);
      expect(entry.retry.backoffCoefficient).toBeGreaterThanOrEqual(1);
    }
    const rerunning = STRATEGIES.filter((s) => STRATEGY_CATALOG[s].rerunsOperation).sort();
    expect(rerunning).toEqual(
      ['CLEAR_CACHE_AND_RETRY', 'QUEUE_FOR_LATER', 'RATE_LIMIT_BACKOFF', 'RESET_CONNECTION', 'RETRY_WITH_BACKOFF', 'ROLLBACK_TRANSACTION', 'SWITCH_API_ENDPOINT'].sort(),
    );
  });
});

describe('isStrategyApplicable', () => {
  const transient = { transient: true };
  it('checks each requirement against the policy', () => {
    const bare = defaultOperationPolicy('op');
    expect(applicableStrategies(bare, transient)).toEqual(['RETRY_WITH_BACKOFF', 'RATE_LIMIT_BACKOFF', 'QUEUE_FOR_LATER', 'SKIP_OPERATION']);
    expect(applicableStrategies(FULL, transient)).toEqual(SAFETY_ORDER);
    expect(isStrategyApplicable('FALLBACK_TO_CACHE', { ...FULL, cacheable: false }, transient)).toBe(false);
    expect(isStrategyApplicable('SWITCH_API_ENDPOINT', { ...FULL, alternateEndpoints: [] }, transient)).toBe(false);
    expect(isStrategyApplicable('CLEAR_CACHE_AND_RETRY', { ...FULL, hooks: ['rollback'] }, transient)).toBe(false);
    expect(isStrategyApplicable('RESET_CONNECTION', { ...FULL, hooks: ['clearCache'] }, transient)).toBe(false);
    expect(isStrategyApplicable('ROLLBACK_TRANSACTION', { ...FULL, hooks: [] }, transient)).toBe(false);
    expect(isStrategyApplicable('USE_DEFAULT_VALUE', { ...FULL, hasDefaultValue: false }, transient)).toBe(false);
    expect(isStrategyApplicable('SKIP_OPERATION', { ...FULL, critical: true }, transient)).toBe(false);
    expect(unmetRequirements('SKIP_OPERATION', { ...FULL, critical: true })).toEqual(['operation is critical']);
  });

  it('respects the allowed list', () => {
    const policy = { ...FULL, allowedStrategies: ['FALLBACK_TO_CACHE'] as Strategy[] };
    expect(applicableStrategies(policy, transient)).toEqual(['FALLBACK_TO_CACHE']);
    expect(applicableStrategies({ ...FULL, allowedStrategies: [] }, transient)).toEqual([]);
  });

  it('never re-runs the operation after a permanent error', () => {
    expect(applicableStrategies(FULL, { transient: false })).toEqual(['FALLBACK_TO_CACHE', 'USE_DEFAULT_VALUE', 'SKIP_OPERATION']);
  });
});

describe('planStrategies', () => {
  it('orders: diagnosis recommendation, its fallbacks, then the safety order; within the budget', () => {
    expect(planStrategies({ diagnosis: diagnosis(), policy: FULL, random: 0.99 })).toEqual([
      'RETRY_WITH_BACKOFF',
      'SWITCH_API_ENDPOINT',
      'FALLBACK_TO_CACHE',
    ]);
    expect(planStrategies({ diagnosis: diagnosis(), policy: FULL, random: 0.99, budget: 5 })).toEqual([
      'RETRY_WITH_BACKOFF',
      'SWITCH_API_ENDPOINT',
      'FALLBACK_TO_CACHE',
      'RATE_LIMIT_BACKOFF',
      'RESET_CONNECTION',
    ]);
    expect(planStrategies({ diagnosis: diagnosis(), policy: FULL, random: 0.99, budget: 0 })).toEqual([]);
  });

  it('skips what the policy cannot do', () => {
    const policy = defaultOperationPolicy('op', { critical: true });
    expect(planStrategies({ diagnosis: diagnosis(), policy, random: 0.5, budget: 10 })).toEqual([
      'RETRY_WITH_BACKOFF',
      'RATE_LIMIT_BACKOFF',
      'QUEUE_FOR_LATER',
    ]);
    const permanent = diagnosis({ transient: false, category: 'validation', recommendedStrategy: 'USE_DEFAULT_VALUE', fallbackStrategies: [] });
    expect(planStrategies({ diagnosis: permanent, policy, random: 0.5 })).toEqual([]);
  });

  it('puts a confident learned strategy first', () => {
    const learned: LearnedStrategyStats[] = [
      { strategy: 'RESET_CONNECTION', confidence: 0.7, successCount: 7, failureCount: 3 },
      { strategy: 'FALLBACK_TO_CACHE', confidence: 0.9, successCount: 9, failureCount: 1 },
      { strategy: 'QUEUE_FOR_LATER', confidence: 0.3, successCount: 1, failureCount: 2 },
    ];
    const plan = planStrategiesDetailed({ diagnosis: diagnosis(), policy: FULL, learned, random: 0.5 });
    expect(plan.strategies).toEqual(['FALLBACK_TO_CACHE', 'RESET_CONNECTION', 'RETRY_WITH_BACKOFF']);
    expect(plan.learnedBest).toBe('FALLBACK_TO_CACHE');
    expect(plan.explored).toBeUndefined();
  });

  it('ignores unconfident or inapplicable learned strategies, and demotes ones that only ever failed', () => {
    const learned: LearnedStrategyStats[] = [
      { strategy: 'QUEUE_FOR_LATER', confidence: 0.3, successCount: 1, failureCount: 2 },
      { strategy: 'SWITCH_API_ENDPOINT', confidence: 0.95, successCount: 20, failureCount: 0 },
      { strategy: 'RETRY_WITH_BACKOFF', confidence: 0.05, successCount: 0, failureCount: 6 },
    ];
    const policy = { ...FULL, alternateEndpoints: [] };
    expect(planStrategies({ diagnosis: diagnosis(), policy, learned, random: 0.5, budget: 10 })).toEqual([
      'FALLBACK_TO_CACHE',
      'RATE_LIMIT_BACKOFF',
      'RESET_CONNECTION',
      'CLEAR_CACHE_AND_RETRY',
      'ROLLBACK_TRANSACTION',
      'QUEUE_FOR_LATER',
      'USE_DEFAULT_VALUE',
      'SKIP_OPERATION',
      'RETRY_WITH_BACKOFF',
    ]);
  });

  it('explores an untried strategy first when random < explorationRate', () => {
    const learned: LearnedStrategyStats[] = [
      { strategy: 'RETRY_WITH_BACKOFF', confidence: 0.9, successCount: 9, failureCount: 1 },
      { strategy: 'FALLBACK_TO_CACHE', confidence: 0.6, successCount: 3, failureCount: 2 },
    ];
    const policy = defaultOperationPolicy('op', { cacheable: true });
    // applicable: RETRY (10 tries), RATE_LIMIT (0), FALLBACK (5); QUEUE and SKIP are degraded
    // answers that teach nothing, so they are never explored.
    for (const random of [0.01, 0.07]) {
      const explored = planStrategiesDetailed({ diagnosis: diagnosis(), policy, learned, random });
      expect(explored.explored).toBe('RATE_LIMIT_BACKOFF');
      expect(explored.strategies).toEqual(['RATE_LIMIT_BACKOFF', 'RETRY_WITH_BACKOFF', 'FALLBACK_TO_CACHE']);
    }
    const none = planStrategiesDetailed({ diagnosis: diagnosis(), policy, learned, random: 0.1 });
    expect(none.explored).toBeUndefined();
    expect(none.strategies[0]).toBe('RETRY_WITH_BACKOFF');
    const off = planStrategiesDetailed({ diagnosis: diagnosis(), policy, learned, random: 0, explorationRate: 0 });
    expect(off.explored).toBeUndefined();
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(diagnosisArb, policyArb, learnedArb, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (d, policy, learned, random) => {
        expect(planStrategies({ diagnosis: d, policy, learned, random })).toEqual(planStrategies({ diagnosis: d, policy, learned, random }));
      }),
    );
  });

  it('never returns a disallowed or inapplicable strategy, repeats none, and respects the budget (property)', () => {
    fc.assert(
      fc.property(
        diagnosisArb,
        policyArb,
        fc.option(learnedArb, { nil: undefined }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
        (d, policy, learned, random, explorationRate, budget) => {
          const plan = planStrategies({ diagnosis: d, policy, learned, random, explorationRate, budget });
          expect(plan.length).toBeLessThanOrEqual(budget ?? 3);
          expect(new Set(plan).size).toBe(plan.length);
          for (const s of plan) {
            expect(isStrategyApplicable(s, policy, d)).toBe(true);
            if (policy.allowedStrategies) expect(policy.allowedStrategies).toContain(s);
            if (!d.transient) expect(STRATEGY_CATALOG[s].rerunsOperation).toBe(false);
            if (policy.critical) expect(s).not.toBe('SKIP_OPERATION');
          }
          // Nothing applicable is left out while the budget has room.
          const applicable = applicableStrategies(policy, d);
          expect(plan.length).toBe(Math.min(applicable.length, budget ?? 3));
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('survives malformed input', () => {
    const junk = [{ strategy: 'NOPE', confidence: Number.NaN, successCount: -1, failureCount: Infinity }] as unknown as LearnedStrategyStats[];
    expect(() =>
      planStrategies({ diagnosis: diagnosis({ recommendedStrategy: 'NOPE' as Strategy }), policy: FULL, learned: junk, random: Number.NaN, budget: Number.NaN }),
    ).not.toThrow();
    expect(planStrategies({ diagnosis: diagnosis(), policy: {} as OperationPolicy, random: 0.5 })).toEqual(['RETRY_WITH_BACKOFF', 'RATE_LIMIT_BACKOFF', 'QUEUE_FOR_LATER']);
  });
});
