import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CircuitBreakerSettingsError, DEFAULT_CIRCUIT_BREAKER, resolveCircuitBreaker } from './settings.js';
import { addBuckets, openDelayMs, summarize, type OutcomeWindow } from './window.js';

const settings = resolveCircuitBreaker('op', { failureRate: 0.5, windowMs: 10_000, minimumCalls: 10, quorum: 2 });
const NOW = 1_000_000;

function windowOf(instances: Record<string, [calls: number, failures: number]>, at = NOW): OutcomeWindow {
  const window: OutcomeWindow = {};
  for (const [instance, [calls, failures]] of Object.entries(instances))
    addBuckets(window, instance, [{ at, calls, failures }], NOW, settings.windowMs);
  return window;
}

describe('the breaker window', () => {
  it('opens when the instances together fail at the rate, with a quorum of failing instances', () => {
    const summary = summarize(windowOf({ a: [10, 8], b: [10, 9], c: [10, 0] }), settings, NOW);
    expect(summary).toMatchObject({ calls: 30, failures: 17, failingInstances: 2, requiredQuorum: 2, open: true });
  });

  it('stays closed when one partitioned instance fails alone, whatever the overall rate', () => {
    const summary = summarize(windowOf({ a: [2, 0], b: [2, 0], c: [40, 40] }), settings, NOW);
    expect(summary.failureRate).toBeGreaterThan(0.9);
    expect(summary).toMatchObject({ failingInstances: 1, requiredQuorum: 2, open: false });
    expect(summary.reason).toContain('only 1 of 3 instances');
  });

  it('needs every instance when fewer than the quorum report', () => {
    expect(summarize(windowOf({ a: [12, 12] }), settings, NOW)).toMatchObject({ requiredQuorum: 1, open: true });
    const three = resolveCircuitBreaker('op', { ...settings, quorum: 3 });
    expect(summarize(windowOf({ a: [10, 10], b: [10, 0] }), three, NOW)).toMatchObject({
      requiredQuorum: 2,
      open: false,
    });
  });

  it('stays closed under the minimum of calls and under the rate', () => {
    expect(summarize(windowOf({ a: [4, 4], b: [4, 4] }), settings, NOW)).toMatchObject({ open: false });
    expect(summarize(windowOf({ a: [10, 4], b: [10, 4] }), settings, NOW)).toMatchObject({ open: false });
  });

  it('merges the buckets of an instance into granules of a twentieth of the window', () => {
    const window: OutcomeWindow = {};
    const buckets = Array.from({ length: 40 }, (_, i) => ({ at: NOW - 9_900 + i * 250, calls: 2, failures: 1 }));
    addBuckets(window, 'a', buckets, NOW, settings.windowMs);
    expect(window.a!.length).toBe(20);
    expect(summarize(window, settings, NOW)).toMatchObject({ calls: 80, failures: 40 });
  });

  it('forgets what left the window', () => {
    const window = windowOf({ a: [10, 10], b: [10, 10] }, NOW - 10_001);
    expect(window).toEqual({});
    const kept = windowOf({ a: [10, 10], b: [10, 10] }, NOW - 5_000);
    expect(summarize(kept, settings, NOW + 5_001)).toMatchObject({ calls: 0, open: false });
  });

  it('never opens without a quorum of failing instances (property)', () => {
    const instance = fc
      .tuple(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 100 }))
      .map(([calls, f]) => [calls, Math.min(calls, f)] as [number, number]);
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e'), instance, { minKeys: 1 }), (instances) => {
        const summary = summarize(windowOf(instances), settings, NOW);
        const failing = Object.values(instances).filter(
          ([calls, failures]) => failures > 0 && failures / calls >= 0.5,
        ).length;
        const quorum = Math.min(2, Object.keys(instances).length);
        if (summary.open) expect(failing).toBeGreaterThanOrEqual(quorum);
        if (summary.open) expect(summary.failureRate).toBeGreaterThanOrEqual(0.5);
      }),
    );
  });

  it('doubles the open time after each failed probe, up to the bound', () => {
    const s = resolveCircuitBreaker('op', { openMs: 1_000, maxOpenMs: 5_000 });
    expect([0, 1, 2, 3, 50].map((failed) => openDelayMs(s, failed))).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
  });
});

describe('breaker settings', () => {
  it('fills in the defaults', () => {
    expect(resolveCircuitBreaker('op')).toEqual(DEFAULT_CIRCUIT_BREAKER);
    expect(resolveCircuitBreaker('op', { openMs: 600_000 }).maxOpenMs).toBe(600_000);
  });

  it.each([
    [{ failureRate: 0 }, 'failureRate'],
    [{ failureRate: 1.5 }, 'failureRate'],
    [{ windowMs: 10 }, 'windowMs'],
    [{ minimumCalls: 2.5 }, 'minimumCalls'],
    [{ quorum: 0 }, 'quorum'],
    [{ openMs: Number.NaN }, 'openMs'],
    [{ openMs: 10_000, maxOpenMs: 1_000 }, 'maxOpenMs'],
    [{ windows: 3 } as never, 'unknown'],
  ])('refuses %o', (overrides, named) => {
    expect(() => resolveCircuitBreaker('checkout', overrides)).toThrow(CircuitBreakerSettingsError);
    expect(() => resolveCircuitBreaker('checkout', overrides)).toThrow(named);
  });
});
