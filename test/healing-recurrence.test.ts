// Heals that are checked, end to end on the dev server and real PostgreSQL: a fault that a retry
// masks but that keeps coming back is escalated (severity, a plan that addresses the cause, one
// alert at the fake Resend and Twilio servers); a fault that stays fixed is not, and its heals
// count as held.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HealingSummary } from '../common/healing-contract.js';
import { getHealingEvents, getHealingPatterns, getHealWatch, type HealingEventRow } from '../db/index.js';
import { getNotifications } from '../db/notifications.js';
import { startFakeResend, type FakeResend } from './support/fake-resend.js';
import { startFakeTwilio, type FakeTwilio } from './support/fake-twilio.js';
import { useTestSystem } from './support/use-test-system.js';

let resend: FakeResend;
let twilio: FakeTwilio;

beforeAll(async () => {
  [resend, twilio] = await Promise.all([startFakeResend(), startFakeTwilio()]);
});

afterAll(async () => {
  await Promise.all([resend?.close(), twilio?.close()]);
});

const system = useTestSystem(() => ({
  activities: {
    // A minute's window (the default is ten), escalated on the second heal in a row that does not hold.
    analysis: { recurrence: { windowMs: 60_000, escalateAfter: 2 } },
    notifications: {
      email: { apiKey: 're_recur', baseUrl: resend.url, from: 'alerts@example.com', to: ['ops@example.com'] },
      sms: {
        accountSid: `AC${'7e'.repeat(16)}`,
        authToken: 'tok',
        from: '+15550000000',
        to: ['+15551112222'],
        baseUrl: twilio.url,
      },
      smsMinSeverity: 'high',
    },
  },
}));

beforeEach(() => {
  resend.reset();
  twilio.reset();
});

function timedOut(): Error {
  return Object.assign(new Error('upstream timed out'), { code: 'ETIMEDOUT' });
}

/** An operation that works, except that its next run fails after breakOnce(): a retry masks each fault. */
function breaksOnce() {
  let failNext = false;
  const resets: number[] = [];
  return {
    fn: async () => {
      if (!failNext) return 'ok';
      failNext = false;
      throw timedOut();
    },
    resets,
    resetConnection: () => void resets.push(Date.now()),
    breakOnce: () => void (failNext = true),
  };
}

/** The runs of `operation`, oldest first, once every one has finished (learning and alerts included). */
async function finishedRuns(operation: string): Promise<HealingEventRow[]> {
  const { rows } = await getHealingEvents(system.database.db, { operation });
  await Promise.all(
    rows.map((row) => system.client.workflow.getHandle(row.workflowId!).result() as Promise<HealingSummary>),
  );
  const { rows: finished } = await getHealingEvents(system.database.db, { operation });
  return finished.reverse();
}

function alertsAbout(signature: string) {
  return resend.delivered.filter((email) => email.text?.includes(signature));
}

describe('heals that are checked', () => {
  it('escalates a fault a retry masks but that keeps recurring: the plan changes and one alert goes out', async () => {
    const operation = 'recur.quote';
    const fault = breaksOnce();
    const quote = system.healer.withSelfHealing(operation, fault.fn, {
      hooks: { resetConnection: fault.resetConnection },
      timing: { maximumAttempts: 2 },
    });

    const firstStrategies: string[] = [];
    for (let occurrence = 1; occurrence <= 5; occurrence++) {
      fault.breakOnce();
      await expect(quote()).resolves.toBe('ok');
      const runs = await finishedRuns(operation);
      expect(runs).toHaveLength(occurrence);
      firstStrategies.push(runs.at(-1)!.attemptLog[0]!.strategy);
    }
    const runs = await finishedRuns(operation);
    const signature = runs[0]!.signature;

    // A timeout: the rules try a plain retry first. Its heal recurs once (not yet escalated), twice:
    // from then on the strategy that addresses the cause goes first.
    expect(firstStrategies).toEqual([
      'RETRY_WITH_BACKOFF',
      'RETRY_WITH_BACKOFF',
      'RESET_CONNECTION',
      'RESET_CONNECTION',
      'RESET_CONNECTION',
    ]);
    expect(runs.every((run) => run.result === 'healed')).toBe(true);
    expect(fault.resets).toHaveLength(3);
    expect(runs.map((run) => run.severity)).toEqual(['medium', 'medium', 'high', 'high', 'high']);

    // Exactly one alert for the episode, by e-mail and (high severity here) by SMS.
    const notifications = await getNotifications(system.database.db, { signature });
    expect(notifications).toHaveLength(1);
    expect(notifications[0]).toMatchObject({
      notificationId: `${signature}:recurring:1`,
      kind: 'alert',
      decision: 'send',
      workflowId: runs[2]!.workflowId,
      severity: 'high',
      emailStatus: 'sent',
      smsStatus: 'sent',
    });
    const [email] = alertsAbout(signature);
    expect(alertsAbout(signature)).toHaveLength(1);
    expect(email!.subject).toContain('recurring despite healing (2 heals in a row did not hold)');
    expect(email!.text).toContain('RETRY_WITH_BACKOFF healed this error 2 time(s); 0 held (0%)');
    expect(twilio.delivered).toHaveLength(1);

    // Learning: no retry heal held; of the resets, all but the latest (still inside its window) recurred.
    const patterns = await getHealingPatterns(system.database.db, { signature });
    const byStrategy = Object.fromEntries(patterns.map((row) => [row.strategy, row]));
    expect(byStrategy.RETRY_WITH_BACKOFF).toMatchObject({ successCount: 2, recurrences: 2, confidence: 0 });
    expect(byStrategy.RESET_CONNECTION).toMatchObject({ successCount: 3, recurrences: 2 });
    expect(await getHealWatch(system.database.db, signature)).toMatchObject({
      healedBy: 'RESET_CONNECTION',
      recurredAt: null,
      episode: 1,
      episodeRecurrences: 4,
      episodeAlertRun: runs[2]!.workflowId,
    });
  });

  it('does not escalate a fault that stays fixed: no alert, and its heals held (100 %)', async () => {
    const operation = 'fixed.quote';
    const fault = breaksOnce();
    // A short window of its own: the next fault, two windows later, is a new one, not a recurrence.
    const quote = system.healer.withSelfHealing(operation, fault.fn, {
      recurrenceWindowMs: 1_500,
      timing: { maximumAttempts: 2 },
    });

    fault.breakOnce();
    await expect(quote()).resolves.toBe('ok');
    await finishedRuns(operation);
    for (let call = 0; call < 3; call++) await expect(quote()).resolves.toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    fault.breakOnce();
    await expect(quote()).resolves.toBe('ok');

    const runs = await finishedRuns(operation);
    expect(runs).toHaveLength(2);
    const signature = runs[0]!.signature;
    expect(runs.map((run) => [run.strategy, run.severity])).toEqual([
      ['RETRY_WITH_BACKOFF', 'medium'],
      ['RETRY_WITH_BACKOFF', 'medium'],
    ]);
    expect(await getNotifications(system.database.db, { signature })).toEqual([]);
    expect(alertsAbout(signature)).toEqual([]);
    const [pattern] = await getHealingPatterns(system.database.db, { signature });
    expect(pattern).toMatchObject({ strategy: 'RETRY_WITH_BACKOFF', successCount: 2, recurrences: 0 });
    expect(await getHealWatch(system.database.db, signature)).toMatchObject({ episode: 0, episodeRecurrences: 0 });
  });
});
