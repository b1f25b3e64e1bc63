import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STRATEGIES, type Strategy } from '../types.js';
import { defaultOperationPolicy, isStrategyApplicable, STRATEGY_MODULES, type FaultFacts } from './index.js';
import { planStrategies, type LearnedStrategyStats, type PlanInput } from './planner.js';

const equipped = defaultOperationPolicy('op', {
  alternateEndpoints: ['https://b.example'],
  hooks: ['clearCache', 'resetConnection', 'rollback'],
  cacheable: true,
  hasDefaultValue: true,
  queueable: true,
  skippable: true,
});
const flaky: FaultFacts = { category: 'network', transient: true };

function plan(overrides: Partial<PlanInput> = {}) {
  return planStrategies({
    diagnosis: { recommendedStrategy: 'RETRY_WITH_BACKOFF', fallbackStrategies: [] },
    fault: flaky,
    policy: equipped,
    learned: [],
    random: 0.99,
    callerWaits: true,
    ...overrides,
  });
}

function stats(
  strategy: Strategy,
  successCount: number,
  failureCount: number,
  extra: Partial<LearnedStrategyStats> = {},
): LearnedStrategyStats {
  return {
    strategy,
    successCount,
    failureCount,
    confidence: successCount / (successCount + failureCount + 1),
    consecutiveFailures: 0,
    avgHealingMs: successCount > 0 ? 100 : null,
    recurrences: 0,
    ...extra,
  };
}

describe('planStrategies', () => {
  it('tries the diagnosis, then what fits, and the opted-in degraded answers last', () => {
    expect(plan().strategies).toEqual([
      'RETRY_WITH_BACKOFF',
      'SWITCH_API_ENDPOINT',
      'RESET_CONNECTION',
      'FALLBACK_TO_CACHE',
      'USE_DEFAULT_VALUE',
      'QUEUE_FOR_LATER',
      'SKIP_OPERATION',
    ]);
  });

  it('never puts a degraded answer before a real one, even when the diagnosis recommends it', () => {
    const strategies = plan({
      diagnosis: { recommendedStrategy: 'SKIP_OPERATION', fallbackStrategies: ['USE_DEFAULT_VALUE'] },
    }).strategies;
    expect(strategies.slice(0, 3)).toEqual(['SWITCH_API_ENDPOINT', 'RESET_CONNECTION', 'RETRY_WITH_BACKOFF']);
    expect(strategies.indexOf('SKIP_OPERATION')).toBeLessThan(strategies.indexOf('USE_DEFAULT_VALUE'));
  });

  it('gives a permanent error an empty plan', () => {
    expect(plan({ fault: { category: 'validation', transient: false } }).strategies).toEqual([]);
  });

  it('puts a working learned strategy first', () => {
    const result = plan({ learned: [stats('RESET_CONNECTION', 3, 0)] });
    expect(result.strategies[0]).toBe('RESET_CONNECTION');
    expect(result.learnedBest).toBe('RESET_CONNECTION');
  });

  it('moves on as soon as the best strategy failed since its last success', () => {
    const learned = [stats('RESET_CONNECTION', 50, 0, { consecutiveFailures: 1 }), stats('SWITCH_API_ENDPOINT', 1, 0)];
    expect(plan({ learned }).strategies[0]).toBe('SWITCH_API_ENDPOINT');
  });

  it('puts strategies that never healed this signature after the others', () => {
    const strategies = plan({ learned: [stats('RETRY_WITH_BACKOFF', 0, 3)] }).strategies;
    expect(strategies.indexOf('RETRY_WITH_BACKOFF')).toBe(strategies.length - 5);
  });

  describe('a recurring fault (its heals did not hold)', () => {
    it('tries the strategies that address the cause before plain retries', () => {
      expect(plan({ recurring: true }).strategies).toEqual([
        'SWITCH_API_ENDPOINT',
        'RESET_CONNECTION',
        'RETRY_WITH_BACKOFF',
        'FALLBACK_TO_CACHE',
        'USE_DEFAULT_VALUE',
        'QUEUE_FOR_LATER',
        'SKIP_OPERATION',
      ]);
    });

    it('puts the cause first even over a retry learned as working', () => {
      const result = plan({ recurring: true, learned: [stats('RETRY_WITH_BACKOFF', 10, 0)] });
      expect(result.strategies.slice(0, 3)).toEqual(['SWITCH_API_ENDPOINT', 'RESET_CONNECTION', 'RETRY_WITH_BACKOFF']);
      expect(result.learnedBest).toBeUndefined();
    });

    it('keeps the learned order among the strategies that address the cause, and never explores', () => {
      const learned = [stats('RESET_CONNECTION', 5, 3), stats('RETRY_WITH_BACKOFF', 9, 0)];
      const result = plan({ recurring: true, random: 0, learned });
      expect(result.strategies.slice(0, 3)).toEqual(['RESET_CONNECTION', 'SWITCH_API_ENDPOINT', 'RETRY_WITH_BACKOFF']);
      expect(result.explored).toBeUndefined();
    });

    it('still tries a plain retry first when nothing that addresses the cause applies', () => {
      const bare = defaultOperationPolicy('op');
      expect(plan({ recurring: true, policy: bare }).strategies).toEqual(['RETRY_WITH_BACKOFF']);
    });

    it('leaves a strategy that never healed this signature last, even one that addresses the cause', () => {
      const strategies = plan({ recurring: true, learned: [stats('SWITCH_API_ENDPOINT', 0, 3)] }).strategies;
      expect(strategies.slice(0, 3)).toEqual(['RESET_CONNECTION', 'RETRY_WITH_BACKOFF', 'SWITCH_API_ENDPOINT']);
    });
  });

  describe('heals that did not hold', () => {
    it('are not learned as a cure: a retry whose heals all recurred is not put first by its record', () => {
      const masked = stats('RETRY_WITH_BACKOFF', 4, 0, { recurrences: 4, confidence: 0 });
      const result = plan({
        diagnosis: { recommendedStrategy: 'RESET_CONNECTION', fallbackStrategies: [] },
        learned: [masked],
      });
      expect(result.strategies[0]).toBe('RESET_CONNECTION');
      expect(result.learnedBest).toBeUndefined();
    });

    it('count against the reliability that stops exploration', () => {
      const reliableOnPaper = stats('RETRY_WITH_BACKOFF', 20, 1, { recurrences: 10 });
      expect(plan({ random: 0, learned: [reliableOnPaper] }).explored).toBeDefined();
      expect(plan({ random: 0, learned: [stats('RETRY_WITH_BACKOFF', 20, 1)] }).explored).toBeUndefined();
    });

    it('leave the credit of a strategy that addresses the cause: it fixed each occurrence', () => {
      const resetEachTime = stats('RESET_CONNECTION', 20, 1, { recurrences: 20 });
      const result = plan({ random: 0, recurring: true, learned: [resetEachTime, stats('SWITCH_API_ENDPOINT', 0, 0)] });
      expect(result.strategies[0]).toBe('RESET_CONNECTION');
      expect(result.learnedBest).toBe('RESET_CONNECTION');
    });

    it('are read as none from runs recorded before heals were checked (no recurrences field)', () => {
      const { recurrences: _, ...recordedBefore } = stats('RESET_CONNECTION', 3, 0);
      expect(plan({ learned: [recordedBefore] }).learnedBest).toBe('RESET_CONNECTION');
    });
  });

  describe('exploration', () => {
    it('does not explore before a working strategy is known', () => {
      expect(plan({ random: 0 }).explored).toBeUndefined();
    });

    it('does not explore while the best strategy keeps working', () => {
      expect(plan({ random: 0, learned: [stats('RESET_CONNECTION', 20, 1)] }).explored).toBeUndefined();
    });

    it('explores a less tried strategy when the best one is unreliable, and says so', () => {
      const result = plan({ random: 0, learned: [stats('RESET_CONNECTION', 5, 3)] });
      expect(result.explored).toBeDefined();
      expect(result.strategies[0]).toBe(result.explored);
      expect(STRATEGY_MODULES[result.explored!].degraded).toBe(false);
      expect(plan({ random: 0.5, learned: [stats('RESET_CONNECTION', 5, 3)] }).explored).toBeUndefined();
    });

    it('never explores a strategy known to fail or to be slow, nor one that waits on a waiting caller', () => {
      const learned = [
        stats('RESET_CONNECTION', 5, 3, { avgHealingMs: 100 }),
        stats('SWITCH_API_ENDPOINT', 0, 1),
        stats('RETRY_WITH_BACKOFF', 2, 0, { avgHealingMs: 5_000 }),
      ];
      expect(plan({ random: 0, learned }).explored).toBeUndefined();
      const failedLastTime = [
        stats('SWITCH_API_ENDPOINT', 2, 1),
        stats('RESET_CONNECTION', 50, 2, { consecutiveFailures: 1 }),
      ];
      expect(
        plan({
          random: 0,
          learned: failedLastTime,
          policy: { ...equipped, allowedStrategies: ['SWITCH_API_ENDPOINT', 'RESET_CONNECTION'] },
        }).explored,
      ).toBeUndefined();
      const rateLimited: FaultFacts = { category: 'rate_limit', transient: true };
      const waiting = { random: 0, fault: rateLimited, learned: [stats('SWITCH_API_ENDPOINT', 5, 3)] };
      const diagnosis = { recommendedStrategy: 'RATE_LIMIT_BACKOFF' as const, fallbackStrategies: [] };
      expect(plan({ ...waiting, diagnosis }).explored).toBeUndefined();
      expect(plan({ ...waiting, diagnosis, callerWaits: false }).explored).toBe('RATE_LIMIT_BACKOFF');
    });
  });

  it('plans only applicable strategies, each once, real ones before degraded ones (property)', () => {
    const strategy = fc.constantFrom(...STRATEGIES);
    const learned = fc.array(
      fc.record({
        strategy,
        confidence: fc.double({ min: 0, max: 1, noNaN: true }),
        successCount: fc.nat(20),
        failureCount: fc.nat(20),
        consecutiveFailures: fc.nat(5),
        avgHealingMs: fc.option(fc.nat(10_000), { nil: null }),
        recurrences: fc.option(fc.nat(20), { nil: undefined }),
      }),
      { maxLength: 12 },
    );
    const fault = fc.record({
      category: fc.constantFrom('network', 'timeout', 'rate_limit', 'validation', 'unknown', 'database_connection'),
      transient: fc.boolean(),
    }) as fc.Arbitrary<FaultFacts>;
    fc.assert(
      fc.property(
        fault,
        learned,
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        strategy,
        fc.boolean(),
        (f, l, random, recommended, recurring) => {
          const result = plan({
            fault: f,
            learned: l,
            random,
            recurring,
            diagnosis: { recommendedStrategy: recommended, fallbackStrategies: [] },
          });
          expect(new Set(result.strategies).size).toBe(result.strategies.length);
          for (const s of result.strategies) expect(isStrategyApplicable(s, equipped, f)).toBe(true);
          const firstDegraded = result.strategies.findIndex((s) => STRATEGY_MODULES[s].degraded);
          if (firstDegraded >= 0)
            expect(result.strategies.slice(firstDegraded).every((s) => STRATEGY_MODULES[s].degraded)).toBe(true);
          if (result.explored) expect(result.strategies[0]).toBe(result.explored);
        },
      ),
      { numRuns: 500 },
    );
  });
});
