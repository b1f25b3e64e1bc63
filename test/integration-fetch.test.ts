// healingFetch against real HTTP servers: how failures are classified, the base URL switched by
// SWITCH_API_ENDPOINT, and a non-idempotent request never sent twice unless declared safe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toErrorReport } from '../common/error-report.js';
import { classifyError } from '../common/rules.js';
import { healingFetch, HttpResponseError, NetworkError, TimeoutError } from '../client/healing-fetch.js';
import { freePort } from '../lib/free-port.js';
import { startFakeHttpServer, type FakeHttpServer } from './support/fake-http.js';
import { useTestSystem } from './support/use-test-system.js';

let primary: FakeHttpServer;
let backup: FakeHttpServer;

beforeAll(async () => {
  primary = await startFakeHttpServer(() => ({ kind: 'json', status: 503, body: { error: 'down' } }));
  backup = await startFakeHttpServer((request) => ({ kind: 'json', body: { from: 'backup', path: request.path } }));
});

afterAll(async () => {
  await primary?.close();
  await backup?.close();
});

const system = useTestSystem();

/** The category the healing layer's rules give the error healingFetch threw. */
async function categoryOf(
  call: Promise<unknown>,
): Promise<{ error: unknown; category: string; retryAfterMs?: number }> {
  const error = await call.then(
    () => expect.fail('expected a failure'),
    (thrown: unknown) => thrown,
  );
  const report = toErrorReport(error);
  return { error, category: classifyError(report).category, retryAfterMs: report.retryAfterMs };
}

describe('failures the healing layer understands', () => {
  it('5xx: HttpResponseError with its status and the start of the body', async () => {
    const { error, category } = await categoryOf(healingFetch(`${primary.url}/rates?key=secret`));
    expect(error).toBeInstanceOf(HttpResponseError);
    expect(error).toMatchObject({ status: 503, body: '{"error":"down"}', url: `${primary.url}/rates` });
    expect(category).toBe('external_service');
  });

  it('429 with Retry-After in seconds or as an HTTP date', async () => {
    primary.enqueue({ kind: 'json', status: 429, body: {}, headers: { 'retry-after': '3' } });
    expect(await categoryOf(healingFetch(`${primary.url}/a`))).toMatchObject({
      category: 'rate_limit',
      retryAfterMs: 3_000,
    });
    const at = new Date(Date.now() + 20_000).toUTCString();
    primary.enqueue({ kind: 'json', status: 429, body: {}, headers: { 'retry-after': at } });
    const { retryAfterMs } = await categoryOf(healingFetch(`${primary.url}/b`));
    expect(retryAfterMs).toBeGreaterThan(15_000);
    expect(retryAfterMs).toBeLessThanOrEqual(20_000);
  });

  it('a timeout: TimeoutError, code ETIMEDOUT', async () => {
    primary.enqueue({ kind: 'hang' });
    const { error, category } = await categoryOf(healingFetch(`${primary.url}/slow`, {}, { timeoutMs: 200 }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(category).toBe('timeout');
  });

  it('a refused connection: NetworkError, code ECONNREFUSED', async () => {
    const { error, category } = await categoryOf(healingFetch(`http://127.0.0.1:${await freePort()}/x`));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(category).toBe('network');
  });

  it("the caller's own abort stays an abort", async () => {
    primary.enqueue({ kind: 'hang' });
    const abort = new AbortController();
    const call = healingFetch(`${primary.url}/slow`, { signal: abort.signal });
    abort.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('inside a wrapped operation', () => {
  it('switches to an alternate base URL (path and query kept)', async () => {
    const getRates = system.healer.withSelfHealing(
      'fetch.rates',
      async (currency: string) => (await healingFetch(`${primary.url}/v1/rates?currency=${currency}`)).json(),
      { alternateEndpoints: [`${backup.url}/mirror`], allowedStrategies: ['SWITCH_API_ENDPOINT'], critical: true },
    );
    await expect(getRates('EUR')).resolves.toEqual({ from: 'backup', path: '/mirror/v1/rates' });
    expect(backup.requests.at(-1)?.query.get('currency')).toBe('EUR');
  });

  it('never sends a POST twice unless it has an idempotency key', async () => {
    primary.reset();
    const charge = system.healer.withSelfHealing(
      'fetch.charge',
      async (amount: number, idempotencyKey?: string) =>
        (
          await healingFetch(
            `${primary.url}/charges`,
            { method: 'POST', body: JSON.stringify({ amount }) },
            { idempotencyKey },
          )
        ).json(),
      { allowedStrategies: ['RETRY_WITH_BACKOFF'], critical: true },
    );
    const unsafe = await charge(10).catch((error: unknown) => error);
    expect(unsafe).toBeInstanceOf(HttpResponseError);
    expect(unsafe).toMatchObject({ status: 503, healingWorkflowId: expect.any(String) });
    expect(primary.requests.filter((request) => request.path === '/charges')).toHaveLength(1);

    primary.reset();
    primary.enqueue({ kind: 'json', status: 503, body: {} }, { kind: 'json', status: 201, body: { charged: 20 } });
    await expect(charge(20, 'order-7')).resolves.toEqual({ charged: 20 });
    expect(primary.requests.map((request) => request.headers['idempotency-key'])).toEqual(['order-7', 'order-7']);
  });
});
