// The health-check workflow's pure decisions: streaks, alerts, recoveries, healing back-off, overall status.
import { describe, expect, it } from 'vitest';
import { decideNotice, overallOf, shouldHeal, streakOf } from '../../workflows/health-check.js';

describe('streaks, alerts and recoveries (pure)', () => {
  const history = (runId: string, ...statuses: Array<'healthy' | 'unhealthy' | 'degraded'>) =>
    statuses.map((status, index) => ({ id: 100 - index, status, ...(index === 0 ? { healthRunId: runId } : {}) }));

  it('alerts exactly when a streak reaches the threshold, once', () => {
    const decisions = [
      history('r1', 'unhealthy', 'healthy'),
      history('r2', 'unhealthy', 'unhealthy', 'healthy'),
      history('r3', 'unhealthy', 'unhealthy', 'unhealthy', 'healthy'),
      history('r4', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy'),
    ].map((entries, index) => decideNotice('database', streakOf(entries, `r${index + 1}`)!, 3));
    expect(decisions.map((decision) => decision?.kind)).toEqual([undefined, undefined, 'alert', undefined]);
    // Keyed by the streak's first failure: a retried run sends nothing new.
    expect(decisions[2]!.notificationId).toBe('health-alert:database:98');
  });

  it('sends a recovery notice only after an alerted streak, and never flaps', () => {
    expect(
      decideNotice('sms', streakOf(history('r', 'healthy', 'unhealthy', 'unhealthy', 'unhealthy'), 'r')!, 3),
    ).toEqual({
      kind: 'recovery',
      notificationId: 'health-recovery:sms:100',
    });
    expect(
      decideNotice('sms', streakOf(history('r', 'degraded', 'unhealthy', 'unhealthy', 'unhealthy'), 'r')!, 3)?.kind,
    ).toBe('recovery');
    expect(
      decideNotice('sms', streakOf(history('r', 'healthy', 'unhealthy', 'unhealthy', 'healthy'), 'r')!, 3),
    ).toBeUndefined();
    expect(
      decideNotice('sms', streakOf(history('r', 'healthy', 'healthy', 'unhealthy', 'unhealthy'), 'r')!, 3),
    ).toBeUndefined();
  });

  it('decides nothing when this run was not recorded', () => {
    expect(streakOf(history('other-run', 'unhealthy', 'unhealthy'), 'this-run')).toBeUndefined();
    expect(streakOf([], 'this-run')).toBeUndefined();
  });

  it('heals each of the first N failures of a streak, then backs off to 2N, 4N, 8N…', () => {
    const healed = Array.from({ length: 24 }, (_, i) => i + 1).filter((streak) => shouldHeal(streak, 3));
    expect(healed).toEqual([1, 2, 3, 6, 12, 24]);
    expect([1, 2, 3, 4, 5, 8].filter((streak) => shouldHeal(streak, 1))).toEqual([1, 2, 4, 8]);
  });

  it('overall status is the worst one, skipped checks aside', () => {
    expect(overallOf(['healthy', 'skipped'])).toBe('healthy');
    expect(overallOf(['healthy', 'degraded', 'skipped'])).toBe('degraded');
    expect(overallOf(['degraded', 'unhealthy'])).toBe('unhealthy');
  });
});
