// Fault: the central worker process is killed (SIGKILL) in the middle of healing runs and
// started again (test/support/fault-harness.ts: the worker as its own process, built from the
// same parts as `npm start`, against the suite's dev server, a real PostgreSQL database, the
// real LLM diagnoser and notifier in front of fake OpenAI and Resend servers). After the
// restart each run completes, with exactly one e-mail and no duplicate rows.
// The kill during the alert activity itself is in faults-worker-kill-alert.test.ts.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HealingAnnotations } from '../client/self-healing.js';
import type { HealingSummary } from '../common/healing-contract.js';
import { recordsOf, startFaultHarness, type FaultHarness } from './support/fault-harness.js';

let harness: FaultHarness;
let rateLimited: (orderId: number) => Promise<string>;
let unreachable: (orderId: number) => Promise<string>;

beforeAll(async () => {
  harness = await startFaultHarness('faults-kill');
  // Always rate limited: RATE_LIMIT_BACKOFF waits Retry-After on a durable workflow timer, re-runs once, fails.
  rateLimited = harness.healer.withSelfHealing(
    'faults.kill.timer',
    async (orderId: number) => {
      throw Object.assign(new Error(`429 Too Many Requests for order ${orderId}`), {
        status: 429,
        headers: { 'retry-after': '4' },
      });
    },
    { allowedStrategies: ['RATE_LIMIT_BACKOFF'], timing: { maximumAttempts: 1 } },
  );
  // Always unreachable: RETRY_WITH_BACKOFF re-runs once and fails.
  unreachable = harness.healer.withSelfHealing(
    'faults.kill.activity',
    async (orderId: number) => {
      throw Object.assign(new Error(`connect ECONNREFUSED 10.4.4.4:443 (order ${orderId})`), { code: 'ECONNREFUSED' });
    },
    { allowedStrategies: ['RETRY_WITH_BACKOFF'], timing: { maximumAttempts: 1 } },
  );
  await harness.start();
});

afterAll(async () => {
  await harness?.stop();
});

beforeEach(() => {
  harness.resend.reset();
  harness.openai.reset();
});

async function historyEvents(workflowId: string) {
  return (await harness.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

/** One e-mail (every attempt with one idempotency key), one decision, one event row, no attempt logged twice. */
async function expectExactlyOnce(workflowId: string, summary: HealingSummary): Promise<void> {
  expect(summary.result).toBe('failed');
  expect(harness.resend.delivered).toHaveLength(1);
  expect(harness.resend.delivered[0]!.subject).toContain('faults.kill');
  expect(new Set(harness.resend.emailRequests().map((request) => request.headers['idempotency-key'])).size).toBe(1);
  const { notifications, events } = await recordsOf(harness.direct, workflowId);
  expect(notifications).toEqual([{ decision: 'send', email_status: 'sent' }]);
  expect(events).toHaveLength(1);
  expect(events[0]!.result).toBe('failed');
  const attemptIds = events[0]!.attempt_log.map((attempt) => attempt.id);
  expect(new Set(attemptIds).size).toBe(attemptIds.length);
  expect(attemptIds).toHaveLength(summary.attempts.length);
}

describe('the central worker is killed (SIGKILL) and restarted', () => {
  it('while a healing run waits on its backoff timer: the run completes after the restart', async () => {
    const call = rateLimited(1).catch((error: HealingAnnotations) => error);
    const workflowId = await harness.workflowIdOf('faults.kill.timer');
    // Kill once the Retry-After timer is running (started, not fired).
    const killedAt = await harness.until(async () => {
      const events = await historyEvents(workflowId);
      const started = events.some((event) => event.timerStartedEventAttributes);
      return started && !events.some((event) => event.timerFiredEventAttributes) ? events.length : undefined;
    }, 'the backoff timer');
    await harness.killCentral();
    await harness.startCentral();

    expect(await call).toMatchObject({ healingWorkflowId: workflowId, healingOutcome: 'failed' });
    const summary = (await harness.client.workflow.getHandle(workflowId).result()) as HealingSummary;
    expect(summary.attempts.map((attempt) => attempt.strategy)).toEqual(['RATE_LIMIT_BACKOFF']);
    const fired = (await historyEvents(workflowId)).find((event) => event.timerFiredEventAttributes);
    expect(Number(fired?.eventId)).toBeGreaterThan(killedAt); // the timer fired after the kill
    await expectExactlyOnce(workflowId, summary);
  });

  it('while an activity runs (the analysis, waiting on the LLM): it runs again after the restart and the run completes', async () => {
    harness.openai.hang(); // the first diagnosis request never answers
    const call = unreachable(2).catch((error: HealingAnnotations) => error);
    await harness.until(() => harness.openai.completionRequests().length >= 1, 'the analysis to call the LLM');
    await harness.killCentral();
    await harness.startCentral();

    const outcome = (await call) as HealingAnnotations;
    expect(outcome).toMatchObject({ healingOutcome: 'failed' });
    const summary = (await harness.client.workflow.getHandle(outcome.healingWorkflowId!).result()) as HealingSummary;
    expect(harness.openai.completionRequests().length).toBeGreaterThanOrEqual(2); // the analysis ran again in the new process
    expect(summary.diagnosis?.source).toBe('rules');
    await expectExactlyOnce(outcome.healingWorkflowId!, summary);
  });
});
