// What the application sees, on the dev server: queued calls, Retry-After, learning across
// occurrences, storms of one fault, captureError, odd throwables and secrets in arguments.
import { describe, expect, it } from 'vitest';
import { OperationQueuedError } from '../client/self-healing.js';
import { getHealingPatterns } from '../db/index.js';
import type { LlmDiagnoser } from '../activities/analysis.js';
import { useTestSystem } from './support/use-test-system.js';
import { historyText } from './support/history-text.js';

const llmCalls: string[] = [];
/** Stands in for the LLM: counts calls per signature and defers to the rules. */
const countingLlm: LlmDiagnoser = async (request) => {
  llmCalls.push(request.signature);
  return undefined;
};

const system = useTestSystem({ activities: { analysis: { llm: countingLlm } } });

function finishedEvents(operation: string) {
  return system.settledEvents(operation, { limit: 500 });
}

describe('the calling application', () => {
  it('is told its call was queued, and the call runs later on its own', async () => {
    let calls = 0;
    const send = system.healer.withSelfHealing(
      'caller.queue',
      async (to: string) => {
        calls++;
        if (calls === 1) throw Object.assign(new Error('SMTP 503 service unavailable'), { status: 503 });
        return `sent to ${to}`;
      },
      { allowedStrategies: ['QUEUE_FOR_LATER'], queueForLater: true, timing: { queueDelayMs: 500 } },
    );
    const queued = await send('ops@example.com').catch((error: unknown) => error);
    expect(queued).toBeInstanceOf(OperationQueuedError);
    const summary = await system.client.workflow.getHandle((queued as OperationQueuedError).healingWorkflowId).result();
    expect(summary).toMatchObject({ result: 'healed', strategy: 'QUEUE_FOR_LATER' });
    expect(calls).toBe(2);
  });

  it('is never re-run on behalf of a caller that was told it failed', async () => {
    let calls = 0;
    const flakyForAWhile = system.healer.withSelfHealing(
      'caller.deadline',
      async () => {
        if (++calls <= 3) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
        return 'late';
      },
      { allowedStrategies: ['RETRY_WITH_BACKOFF'], waitForHealingMs: 1_500 },
    );
    const failure = await flakyForAWhile().catch((error: unknown) => error);
    expect(failure).toMatchObject({ healingOutcome: 'failed' });
    const callsWhenAnswered = calls;
    await new Promise((resolve) => setTimeout(resolve, 4_000)); // the retry policy would have run it again by now
    expect(calls).toBe(callsWhenAnswered);
  });

  it('gets the healed value after a Retry-After wait', async () => {
    let calls = 0;
    const search = system.healer.withSelfHealing(
      'caller.ratelimit',
      async () => {
        calls++;
        if (calls === 1)
          throw Object.assign(new Error('Too Many Requests'), { status: 429, headers: { 'retry-after': '1' } });
        return 'hits';
      },
      { allowedStrategies: ['RATE_LIMIT_BACKOFF'] },
    );
    await expect(search()).resolves.toBe('hits');
    const [event] = await finishedEvents('caller.ratelimit');
    expect(event).toMatchObject({ result: 'healed', strategy: 'RATE_LIMIT_BACKOFF', category: 'rate_limit' });
  });

  it('learns: the next occurrence of a healed fault is diagnosed from the pattern, without the LLM', async () => {
    let failNext = true;
    const lookup = system.healer.withSelfHealing(
      'caller.learn',
      async (id: number) => {
        if (failNext) {
          failNext = false;
          throw Object.assign(new Error(`connect ETIMEDOUT 10.0.0.${id}:5432`), { code: 'ETIMEDOUT' });
        }
        return id;
      },
      // One strategy, so the planner's occasional exploration cannot spread the successes; heals checked
      // for 1 ms, so the three faults are separate ones, not a recurrence (test/healing-recurrence.test.ts).
      { allowedStrategies: ['RETRY_WITH_BACKOFF'], recurrenceWindowMs: 1 },
    );
    for (const id of [1, 2, 3]) {
      failNext = true;
      await expect(lookup(id)).resolves.toBe(id);
      await finishedEvents('caller.learn'); // learning is recorded after the caller got its value
    }
    const events = await finishedEvents('caller.learn');
    expect(new Set(events.map((event) => event.signature)).size).toBe(1); // ids differ, the fault is one
    const sources = events.map((event) => event.diagnosisSource).reverse();
    expect(sources[0]).not.toBe('pattern');
    expect(sources.at(-1)).toBe('pattern');
    const llmCallsForSignature = llmCalls.filter((signature) => signature === events[0]!.signature);
    expect(llmCallsForSignature.length).toBeLessThan(3);
    const [best] = await getHealingPatterns(system.database.db, { signature: events[0]!.signature });
    expect(best).toMatchObject({ successCount: 3 });
  });

  it('records every occurrence of a storm, but analyses the fault once', async () => {
    const storm = system.healer.withSelfHealing(
      'caller.storm',
      async (n: number) => {
        throw Object.assign(new Error(`upstream unavailable for order ${n}`), { status: 503 });
      },
      { allowedStrategies: ['USE_DEFAULT_VALUE'], defaultValue: 'rejected' },
    );
    const results = await Promise.all(Array.from({ length: 60 }, (_, n) => storm(n)));
    expect(results.every((result) => result === 'rejected')).toBe(true);
    const events = await finishedEvents('caller.storm');
    expect(events).toHaveLength(60);
    expect(events.every((event) => event.result === 'healed')).toBe(true);
    expect(llmCalls.filter((signature) => signature === events[0]!.signature)).toHaveLength(1);
  });

  it('captureError records and diagnoses without re-running anything, and never throws', async () => {
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const ids = [
      system.healer.captureError(new TypeError("Cannot read properties of undefined (reading 'id')"), {
        operation: 'caller.capture',
        circular,
      }),
      system.healer.captureError('a plain string was thrown', { operation: 'caller.capture' }),
      system.healer.captureError(null, { operation: 'caller.capture' }),
      system.healer.captureError(
        {
          weird: true,
          toString: () => {
            throw new Error('no');
          },
        },
        { operation: 'caller.capture' },
      ),
    ];
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    await Promise.all(ids.map((id) => waitForWorkflow(id!)));
    const events = await finishedEvents('caller.capture');
    expect(events).toHaveLength(4);
    expect(events.every((event) => event.result === 'skipped' && event.attemptLog.length === 0)).toBe(true);
    expect(events.map((event) => event.errorClass).sort()).toEqual(['TypeError', 'null', 'object', 'string'].sort());
  });

  it('keeps secrets in arguments, messages and context out of the history and the database', async () => {
    const password = 'hunter2-very-secret';
    const bearer = 'Bearer abcdefghijklmnopqrstuvwxyz0123456789';
    const card = '4111 1111 1111 1111';
    let calls = 0;
    const login = system.healer.withSelfHealing(
      'caller.secrets',
      async (credentials: { user: string; password: string }) => {
        calls++;
        if (calls === 1)
          throw Object.assign(
            new Error(`auth proxy reset for ${credentials.user} (${bearer}, card ${card}, password=${password})`),
            { code: 'ECONNRESET' },
          );
        return `welcome ${credentials.user}`;
      },
      { allowedStrategies: ['RETRY_WITH_BACKOFF'] },
    );
    await expect(login({ user: 'ada', password })).resolves.toBe('welcome ada');
    const [event] = await finishedEvents('caller.secrets');
    const stored = JSON.stringify(event);
    const history = await historyText(system.client, event!.workflowId!);
    for (const secret of [password, 'abcdefghijklmnopqrstuvwxyz0123456789', '4111 1111 1111 1111']) {
      expect(stored).not.toContain(secret);
      expect(history).not.toContain(secret);
    }
    expect(history).not.toContain('welcome ada'); // results are sealed too
  });
});

async function waitForWorkflow(workflowId: string): Promise<void> {
  for (;;) {
    try {
      await system.client.workflow.getHandle(workflowId).result();
      return;
    } catch (error) {
      if ((error as Error).name !== 'WorkflowNotFoundError') return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
