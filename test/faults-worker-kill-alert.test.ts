// Fault: the central worker process is killed (SIGKILL) while the alert activity is in its
// call to the e-mail provider (the fake Resend server holds the request without answering).
// After the restart the activity is retried — once its start-to-close timeout (60 s, set in
// workflows/healing.ts) has passed, as Temporal cannot know sooner that the worker died — and
// the admins get exactly one e-mail: every attempt carries the same idempotency key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingAnnotations } from '../client/self-healing.js';
import type { HealingSummary } from '../common/healing-contract.js';
import { recordsOf, startFaultHarness, type FaultHarness } from './support/fault-harness.js';

let harness: FaultHarness;
let unreachable: (orderId: number) => Promise<string>;

beforeAll(async () => {
  harness = await startFaultHarness('faults-kill-alert');
  unreachable = harness.healer.withSelfHealing(
    'faults.kill.alert',
    async (orderId: number) => {
      throw Object.assign(new Error(`connect ECONNREFUSED 10.5.5.5:443 (order ${orderId})`), { code: 'ECONNREFUSED' });
    },
    { allowedStrategies: ['RETRY_WITH_BACKOFF'], timing: { maximumAttempts: 1 } },
  );
  await harness.start();
});

afterAll(async () => {
  await harness?.stop();
});

describe('the central worker is killed (SIGKILL) and restarted', () => {
  it('while the alert activity waits on the e-mail provider: one e-mail after the restart, one decision, one event row', async () => {
    harness.resend.hang(); // the provider receives the first request and never answers it
    const call = unreachable(3).catch((error: HealingAnnotations) => error);
    await harness.until(() => harness.resend.emailRequests().length >= 1, 'the alert activity to call the provider');
    await harness.killCentral();
    await harness.startCentral();

    const outcome = (await call) as HealingAnnotations;
    expect(outcome).toMatchObject({ healingOutcome: 'failed' });
    const workflowId = outcome.healingWorkflowId!;
    const summary = (await harness.client.workflow.getHandle(workflowId).result()) as HealingSummary;
    expect(summary.result).toBe('failed');

    const requests = harness.resend.emailRequests();
    expect(requests.length).toBeGreaterThanOrEqual(2); // the interrupted call and its retry
    expect(new Set(requests.map((request) => request.headers['idempotency-key'])).size).toBe(1);
    expect(harness.resend.delivered).toHaveLength(1);
    const { notifications, events } = await recordsOf(harness.direct, workflowId);
    expect(notifications).toEqual([{ decision: 'send', email_status: 'sent' }]);
    expect(events).toHaveLength(1);
    const attemptIds = events[0]!.attempt_log.map((attempt) => attempt.id);
    expect(new Set(attemptIds).size).toBe(attemptIds.length);
  }, 150_000);
});
