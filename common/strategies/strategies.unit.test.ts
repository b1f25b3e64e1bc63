// Each strategy of the catalogue on its own, with a fake context (test/support/strategy-context.ts).
import { describe, expect, it } from 'vitest';
import { fakeStrategyRun } from '../../test/support/strategy-context.js';
import { STRATEGIES } from '../types.js';
import {
  defaultOperationPolicy,
  fittingStrategies,
  isStrategyApplicable,
  STRATEGY_MODULES,
  unmetRequirements,
} from './index.js';

const ok = async () => ({ sealedValue: 'value' });
const transient = { transient: true };
const equipped = defaultOperationPolicy('op', {
  alternateEndpoints: ['https://b.example', 'https://c.example'],
  hooks: ['clearCache', 'resetConnection', 'rollback'],
  cacheable: true,
  hasDefaultValue: true,
  queueable: true,
  skippable: true,
});

describe('the catalogue', () => {
  it('has one module per strategy, named after it', () => {
    expect(Object.keys(STRATEGY_MODULES).sort()).toEqual([...STRATEGIES].sort());
    for (const name of STRATEGIES) expect(STRATEGY_MODULES[name].name).toBe(name);
  });

  it('makes degraded answers opt-in: a bare operation gets only the re-runs', () => {
    const bare = defaultOperationPolicy('op');
    expect(STRATEGIES.filter((s) => isStrategyApplicable(s, bare, transient)).sort()).toEqual([
      'RATE_LIMIT_BACKOFF',
      'RETRY_WITH_BACKOFF',
    ]);
    expect(unmetRequirements('SKIP_OPERATION', bare)).toEqual(['operation is not declared non-critical']);
    expect(unmetRequirements('QUEUE_FOR_LATER', bare)).toEqual(['operation did not opt in to queueing']);
    expect(unmetRequirements('SKIP_OPERATION', { ...equipped, critical: true })).toEqual([
      'operation is not declared non-critical',
    ]);
  });

  it('gives a permanent error nothing at all, whatever the operation opted into', () => {
    expect(STRATEGIES.filter((s) => isStrategyApplicable(s, equipped, { transient: false }))).toEqual([]);
  });

  it('respects the allowed list', () => {
    const policy = { ...equipped, allowedStrategies: [STRATEGIES[0]] };
    expect(STRATEGIES.filter((s) => isStrategyApplicable(s, policy, transient))).toEqual([STRATEGIES[0]]);
  });

  it('ranks registered capabilities ahead of plain re-runs, degraded answers last', () => {
    expect(fittingStrategies({ category: 'network', transient: true, kind: 'unreachable' }, equipped)).toEqual([
      'SWITCH_API_ENDPOINT',
      'RESET_CONNECTION',
      'RETRY_WITH_BACKOFF',
      'FALLBACK_TO_CACHE',
      'USE_DEFAULT_VALUE',
      'QUEUE_FOR_LATER',
      'SKIP_OPERATION',
    ]);
    expect(
      fittingStrategies({ category: 'rate_limit', transient: true, retryAfterMs: 5_000 }, defaultOperationPolicy('op')),
    ).toEqual(['RATE_LIMIT_BACKOFF']);
  });
});

describe('RETRY_WITH_BACKOFF', () => {
  it('re-runs the operation with the run timing’s attempts', async () => {
    const run = fakeStrategyRun({ runOperation: ok });
    expect(await STRATEGY_MODULES.RETRY_WITH_BACKOFF.execute(run.context)).toMatchObject({
      ok: true,
      outcome: { status: 'healed', sealedValue: 'value' },
    });
    expect(run.calls).toEqual(['runOperation@primary']);
    expect(run.retries).toEqual([{ maximumAttempts: 4 }]);
  });
});

describe('RATE_LIMIT_BACKOFF', () => {
  it('waits as long as Retry-After says, then re-runs', async () => {
    const run = fakeStrategyRun(
      { runOperation: ok },
      { input: { error: { name: 'Error', message: '429', retryAfterMs: 7_000 } } },
    );
    expect((await STRATEGY_MODULES.RATE_LIMIT_BACKOFF.execute(run.context)).ok).toBe(true);
    expect(run.calls).toEqual(['sleep:7000', 'runOperation@primary']);
  });

  it('does not wait past the caller’s deadline', async () => {
    const run = fakeStrategyRun(
      { runOperation: ok },
      { input: { error: { name: 'Error', message: '429', retryAfterMs: 60_000 } }, remainingMs: 30_000 },
    );
    expect(await STRATEGY_MODULES.RATE_LIMIT_BACKOFF.execute(run.context)).toMatchObject({ ok: false });
    expect(run.calls).toEqual([]);
  });
});

describe('SWITCH_API_ENDPOINT', () => {
  it('tries each alternate in turn and says which one worked', async () => {
    const run = fakeStrategyRun(
      {
        runOperation: async ({ endpoint }) =>
          endpoint === 'https://c.example' ? { sealedValue: 'c' } : Promise.reject(new Error('down')),
      },
      { policy: equipped },
    );
    const outcome = await STRATEGY_MODULES.SWITCH_API_ENDPOINT.execute(run.context);
    expect(outcome).toEqual({
      ok: true,
      outcome: { status: 'healed', strategy: 'SWITCH_API_ENDPOINT', sealedValue: 'c', endpoint: 'https://c.example' },
    });
    expect(run.calls).toEqual(['runOperation@https://b.example', 'runOperation@https://c.example']);
  });
});

describe('CLEAR_CACHE_AND_RETRY, RESET_CONNECTION, ROLLBACK_TRANSACTION', () => {
  it.each([
    ['CLEAR_CACHE_AND_RETRY', 'clearCache'],
    ['RESET_CONNECTION', 'resetConnection'],
    ['ROLLBACK_TRANSACTION', 'rollback'],
  ] as const)('%s runs the %s hook once, then re-runs', async (name, hook) => {
    const run = fakeStrategyRun({ runOperation: ok }, { policy: equipped });
    expect((await STRATEGY_MODULES[name].execute(run.context)).ok).toBe(true);
    expect(run.calls).toEqual([`hook:${hook}`, 'runOperation@primary']);
    expect(STRATEGY_MODULES[name].unmet(defaultOperationPolicy('op'))).toBe(`no ${hook} hook`);
  });
});

describe('FALLBACK_TO_CACHE', () => {
  it('serves the cached result, or fails without one', async () => {
    const hit = fakeStrategyRun({ readCachedResult: async () => ({ sealedValue: 'cached' }) }, { policy: equipped });
    expect(await STRATEGY_MODULES.FALLBACK_TO_CACHE.execute(hit.context)).toMatchObject({
      ok: true,
      outcome: { sealedValue: 'cached' },
    });
    const miss = fakeStrategyRun({}, { policy: equipped });
    expect(await STRATEGY_MODULES.FALLBACK_TO_CACHE.execute(miss.context)).toEqual({
      ok: false,
      reason: 'no cached result for these arguments',
    });
  });
});

describe('QUEUE_FOR_LATER', () => {
  it('tells the caller first, waits durably (at least Retry-After), then runs the operation', async () => {
    const run = fakeStrategyRun(
      { runOperation: ok },
      { policy: equipped, input: { error: { name: 'Error', message: 'x', retryAfterMs: 120_000 } } },
    );
    expect((await STRATEGY_MODULES.QUEUE_FOR_LATER.execute(run.context)).ok).toBe(true);
    expect(run.calls).toEqual(['queued', 'sleep:120000', 'runOperation@primary']);
  });
});

describe('USE_DEFAULT_VALUE and SKIP_OPERATION', () => {
  it('answer at once without running anything', async () => {
    const run = fakeStrategyRun({}, { policy: equipped });
    expect(await STRATEGY_MODULES.USE_DEFAULT_VALUE.execute(run.context)).toMatchObject({
      ok: true,
      outcome: { useDefaultValue: true },
    });
    expect(await STRATEGY_MODULES.SKIP_OPERATION.execute(run.context)).toMatchObject({
      ok: true,
      outcome: { status: 'skipped' },
    });
    expect(run.calls).toEqual([]);
  });
});
