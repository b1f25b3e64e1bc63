// Strategies that wait (Retry-After, queue for later) and cancellation, on the time-skipping
// server: durable timers of minutes pass in moments, and nothing here sleeps for real.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { healingStateQuery } from '../common/healing-contract.js';
import { getHealingEvents } from '../db/index.js';
import { startTestSystem, type TestSystem } from './support/system.js';
import { startTimeSkippingEnv } from './support/temporal.js';

let env: TestWorkflowEnvironment;
let system: TestSystem;

beforeAll(async () => {
  env = await startTimeSkippingEnv();
  system = await startTestSystem({ client: env.client, connection: env.nativeConnection });
});

afterAll(async () => {
  await system?.stop();
  await env?.teardown();
});

function rateLimited(retryAfterSeconds: number): Error {
  return Object.assign(new Error('429 Too Many Requests'), {
    status: 429,
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
}

async function onlyEvent(operation: string) {
  const { rows } = await getHealingEvents(system.database.db, { operation });
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

// The time-skipping server implements no workflow updates, so these tests drive the runs
// directly (healer.startHealing) and read their results; what the waiting caller sees is
// covered on the dev server in healing-caller.test.ts.
describe('healing with durable timers', () => {
  it('RATE_LIMIT_BACKOFF waits for Retry-After (a durable timer) before the call is made again', async () => {
    let calls = 0;
    system.healer.withSelfHealing(
      'ratelimit.search',
      async (query: string) => {
        calls++;
        if (calls === 1) throw rateLimited(90);
        return [`result for ${query}`];
      },
      { allowedStrategies: ['RATE_LIMIT_BACKOFF'] },
    );
    const run = await system.healer.startHealing('ratelimit.search', ['shoes'], rateLimited(90));
    const summary = await run.result();
    expect(summary).toMatchObject({ result: 'healed', strategy: 'RATE_LIMIT_BACKOFF' });
    const history = await run.fetchHistory();
    const timers = history.events!.filter((event) => event.timerStartedEventAttributes);
    expect(Number(timers[0]!.timerStartedEventAttributes!.startToFireTimeout!.seconds)).toBe(90);
    expect((await onlyEvent('ratelimit.search')).result).toBe('healed');
  });

  it('QUEUE_FOR_LATER waits 30 minutes on a durable timer, then runs the operation', async () => {
    let calls = 0;
    system.healer.withSelfHealing(
      'queue.sendInvoice',
      async (invoiceId: string) => {
        calls++;
        return `sent ${invoiceId}`;
      },
      { allowedStrategies: ['QUEUE_FOR_LATER'], queueForLater: true, timing: { queueDelayMs: 30 * 60_000 } },
    );
    const unavailable = Object.assign(new Error('mail server unavailable'), { status: 503 });
    const run = await system.healer.startHealing('queue.sendInvoice', ['inv-1'], unavailable);
    const summary = await run.result(); // the time-skipping server fires the 30-minute timer
    expect(summary).toMatchObject({ result: 'healed', strategy: 'QUEUE_FOR_LATER' });
    expect(calls).toBe(1);
    const event = await onlyEvent('queue.sendInvoice');
    expect(event.result).toBe('healed');
    expect(event.attemptLog.map((attempt) => attempt.strategy)).toEqual(['QUEUE_FOR_LATER']);
  });

  it('cancelling a run stops its timer, runs nothing more and records it as cancelled', async () => {
    let calls = 0;
    system.healer.withSelfHealing(
      'cancel.sync',
      async () => {
        calls++;
        return 'synced';
      },
      { allowedStrategies: ['QUEUE_FOR_LATER'], queueForLater: true, timing: { queueDelayMs: 60 * 60_000 } },
    );
    const run = await system.healer.startHealing(
      'cancel.sync',
      [],
      Object.assign(new Error('upstream 503'), { status: 503 }),
    );
    await waitForPhase(run, 'queued');
    await run.cancel();
    const failure = await run.result().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(calls).toBe(0);
    const event = await onlyEvent('cancel.sync');
    expect(event.result).toBe('cancelled');
    expect(event.attemptLog).toEqual([]);
  });
});

async function waitForPhase(run: WorkflowHandle, phase: string): Promise<void> {
  while ((await run.query(healingStateQuery)).phase !== phase) await new Promise((resolve) => setTimeout(resolve, 50));
}
