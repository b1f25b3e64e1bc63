// Each strategy end to end on the real dev server and real PostgreSQL: the caller's result,
// the audit row, the learned pattern and the search attributes of the run.
import { describe, expect, it } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import { healingStateQuery } from '../common/healing-contract.js';
import * as attributes from '../common/search-attributes.js';
import { currentEndpoint } from '../client/operation-context.js';
import { getHealingEvents, getHealingPatterns, type HealingEventRow } from '../db/index.js';
import { useTestSystem } from './support/use-test-system.js';

const system = useTestSystem();

function networkError(message = 'read ECONNRESET'): Error {
  return Object.assign(new Error(message), { code: 'ECONNRESET' });
}

function unavailable(): Error {
  return Object.assign(new Error('Service Unavailable'), { status: 503 });
}

function validationError(): Error {
  return Object.assign(new Error('email is not valid'), { name: 'ValidationError', status: 422 });
}

/** Fails `failures` times with `makeError`, then returns `value`. */
function flaky<T>(failures: number, value: T, makeError: () => unknown = networkError) {
  let calls = 0;
  const fn = async (..._args: unknown[]) => {
    calls++;
    if (calls <= failures) throw makeError();
    return value;
  };
  return Object.assign(fn, { calls: () => calls });
}

async function eventOf(operation: string): Promise<HealingEventRow> {
  // The audit trail is written off the caller's critical path: wait for the run to finish.
  const { rows } = await getHealingEvents(system.database.db, { operation });
  expect(rows).toHaveLength(1);
  await system.client.workflow
    .getHandle(rows[0]!.workflowId!)
    .result()
    .catch(() => undefined);
  const { rows: finished } = await getHealingEvents(system.database.db, { operation });
  return finished[0]!;
}

async function searchAttributesOf(workflowId: string) {
  const description = await system.client.workflow.getHandle(workflowId).describe();
  return description.typedSearchAttributes;
}

describe('healing strategies on the dev server', () => {
  it('RETRY_WITH_BACKOFF: a transient network fault heals with the retried value', async () => {
    const operation = flaky(2, { id: 7 });
    const getUser = system.healer.withSelfHealing('retry.getUser', operation, {
      allowedStrategies: ['RETRY_WITH_BACKOFF'],
    });
    await expect(getUser('user-7')).resolves.toEqual({ id: 7 });
    expect(operation.calls()).toBe(3);

    const event = await eventOf('retry.getUser');
    expect(event).toMatchObject({
      result: 'healed',
      strategy: 'RETRY_WITH_BACKOFF',
      category: 'network',
      diagnosisSource: 'rules',
    });
    expect(event.attemptLog).toHaveLength(1);
    const patterns = await getHealingPatterns(system.database.db, { signature: event.signature });
    expect(patterns[0]).toMatchObject({ strategy: 'RETRY_WITH_BACKOFF', successCount: 1 });

    const found = await searchAttributesOf(event.workflowId!);
    expect(found.get(attributes.OPERATION)).toBe('retry.getUser');
    expect(found.get(attributes.ERROR_CATEGORY)).toBe('network');
    expect(found.get(attributes.HEALING_STRATEGY)).toBe('RETRY_WITH_BACKOFF');
    expect(found.get(attributes.HEALING_OUTCOME)).toBe('healed');
    expect(found.get(attributes.ERROR_SIGNATURE)).toBe(event.signature);
  });

  it('a permanent validation error is never retried; the original error comes back with the run id', async () => {
    const operation = flaky(5, 'never', validationError);
    const save = system.healer.withSelfHealing('permanent.save', operation, { critical: true });
    const failure = await save({ email: 'x' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe('email is not valid');
    expect((failure as { healingWorkflowId?: string }).healingWorkflowId).toMatch(/^heal-permanent\.save-/);
    expect(operation.calls()).toBe(1);
    const event = await eventOf('permanent.save');
    expect(event).toMatchObject({ result: 'failed', category: 'validation' });
    expect(event.attemptLog).toEqual([]);
  });

  it('a permanent error reaches the caller as itself even when every degraded answer is opted into', async () => {
    const thrown = validationError();
    let calls = 0;
    const create = system.healer.withSelfHealing(
      'permanent.create',
      async () => {
        calls++;
        throw thrown;
      },
      { critical: false, queueForLater: true, cacheResults: true, defaultValue: 'default' },
    );
    const failure = await create().catch((error: unknown) => error);
    expect(failure).toBe(thrown);
    expect(failure).toMatchObject({ healingOutcome: 'failed' });
    expect(calls).toBe(1);
    expect((await eventOf('permanent.create')).attemptLog).toEqual([]);
  });

  it('FALLBACK_TO_CACHE: the last good result for the same arguments is served', async () => {
    let up = true;
    const prices = system.healer.withSelfHealing(
      'cache.prices',
      async (currency: string) => {
        if (!up) throw unavailable();
        return { currency, rate: 1.1 };
      },
      { cacheResults: true, allowedStrategies: ['FALLBACK_TO_CACHE'] },
    );
    await expect(prices('EUR')).resolves.toEqual({ currency: 'EUR', rate: 1.1 });
    up = false;
    await expect(prices('EUR')).resolves.toEqual({ currency: 'EUR', rate: 1.1 });
    expect((await eventOf('cache.prices')).result).toBe('healed');
  });

  it('SWITCH_API_ENDPOINT: a dead primary endpoint is replaced by an alternate one', async () => {
    const seen: string[] = [];
    const fetchQuote = system.healer.withSelfHealing(
      'endpoint.quote',
      async () => {
        const endpoint = currentEndpoint('https://primary.invalid');
        seen.push(endpoint);
        if (endpoint !== 'https://backup.invalid')
          throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        return `quote from ${endpoint}`;
      },
      {
        alternateEndpoints: ['https://dead.invalid', 'https://backup.invalid'],
        allowedStrategies: ['SWITCH_API_ENDPOINT'],
      },
    );
    await expect(fetchQuote()).resolves.toBe('quote from https://backup.invalid');
    expect(seen[0]).toBe('https://primary.invalid');
    expect(seen.at(-1)).toBe('https://backup.invalid');
    expect((await eventOf('endpoint.quote')).strategy).toBe('SWITCH_API_ENDPOINT');
  });

  it.each([
    ['CLEAR_CACHE_AND_RETRY', 'clearCache'],
    ['RESET_CONNECTION', 'resetConnection'],
    ['ROLLBACK_TRANSACTION', 'rollback'],
  ] as const)('%s runs the %s hook, then the operation again', async (strategy, hook) => {
    let hookRuns = 0;
    let healthy = false;
    const fault = {
      clearCache: () => new Error('stale cache entry for user 7'),
      resetConnection: () => networkError('stale connection: socket hang up'),
      rollback: () => Object.assign(new Error('deadlock detected'), { code: '40P01' }),
    }[hook];
    const operation = system.healer.withSelfHealing(
      `hook.${hook}`,
      async () => {
        if (!healthy) throw fault();
        return 'ok';
      },
      { allowedStrategies: [strategy], hooks: { [hook]: () => ((healthy = true), hookRuns++) } },
    );
    await expect(operation()).resolves.toBe('ok');
    expect(hookRuns).toBe(1);
    expect(await eventOf(`hook.${hook}`)).toMatchObject({ result: 'healed', strategy });
  });

  it('USE_DEFAULT_VALUE returns the configured default without a payload round trip', async () => {
    const recommendations = system.healer.withSelfHealing('default.recommend', flaky(9, ['x'], unavailable), {
      defaultValue: ['bestsellers'],
      allowedStrategies: ['USE_DEFAULT_VALUE'],
    });
    await expect(recommendations()).resolves.toEqual(['bestsellers']);
    expect((await eventOf('default.recommend')).result).toBe('healed');
  });

  it('SKIP_OPERATION skips an operation declared non-critical, and never a critical one', async () => {
    const track = system.healer.withSelfHealing('skip.track', flaky(9, 'x', unavailable), {
      allowedStrategies: ['SKIP_OPERATION'],
      critical: false,
    });
    await expect(track()).resolves.toBeUndefined();
    expect((await eventOf('skip.track')).result).toBe('skipped');

    const charge = system.healer.withSelfHealing('skip.charge', flaky(9, 'x', unavailable), {
      allowedStrategies: ['SKIP_OPERATION'],
      critical: true,
    });
    await expect(charge()).rejects.toThrow('Service Unavailable');
    expect((await eventOf('skip.charge')).result).toBe('failed');
  });

  it('never applies a strategy the operation did not allow, and escalates within the budget', async () => {
    const operation = flaky(99, 'x');
    const call = system.healer.withSelfHealing('escalate.op', operation, {
      allowedStrategies: ['RETRY_WITH_BACKOFF', 'USE_DEFAULT_VALUE'],
      defaultValue: 'fallback',
      timing: { maximumAttempts: 2 },
    });
    await expect(call()).resolves.toBe('fallback');
    const event = await eventOf('escalate.op');
    expect(event.attemptLog.map((attempt) => attempt.strategy)).toEqual(['RETRY_WITH_BACKOFF', 'USE_DEFAULT_VALUE']);
    expect(event.attemptLog[0]!.result).toBe('failed');
    expect(operation.calls()).toBe(3); // the original call and two Temporal-managed retries
  });

  it('answers a query with its state', async () => {
    const operation = flaky(1, 'v');
    const call = system.healer.withSelfHealing('query.op', operation, { allowedStrategies: ['RETRY_WITH_BACKOFF'] });
    await call();
    const event = await eventOf('query.op');
    const handle: WorkflowHandle = system.client.workflow.getHandle(event.workflowId!);
    const state = await handle.query(healingStateQuery);
    expect(state).toMatchObject({ phase: 'done', result: 'healed', currentStrategy: 'RETRY_WITH_BACKOFF' });
    expect(state.attempts).toHaveLength(1);
  });
});
