import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toErrorReport } from '../common/error-report.js';
import { classifyError, diagnoseByRules } from '../common/rules.js';
import { STRATEGY_CATALOG, defaultOperationPolicy } from '../common/strategies.js';
import { ERROR_CATEGORIES, SEVERITIES, STRATEGIES, type ErrorReport, type Strategy } from '../common/types.js';

const ALL: Strategy[] = [...STRATEGIES];

function err(message: string, props: Record<string, unknown> = {}, name = 'Error'): ErrorReport {
  const error = Object.assign(new Error(message), props);
  error.name = name;
  return toErrorReport(error);
}

describe('diagnoseByRules: classification', () => {
  const cases: Array<{ title: string; report: ErrorReport; operation?: string; category: string; transient: boolean; strategy: Strategy }> = [
    { title: 'ECONNRESET', report: err('read ECONNRESET', { code: 'ECONNRESET' }), category: 'network', transient: true, strategy: 'RETRY_WITH_BACKOFF' },
    {
      title: 'fetch failed caused by ECONNREFUSED',
      report: toErrorReport(new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }) })),
      category: 'network',
      transient: true,
      strategy: 'RETRY_WITH_BACKOFF',
    },
    {
      title: 'ECONNREFUSED to postgres',
      report: err('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' }),
      category: 'database_connection',
      transient: true,
      strategy: 'RESET_CONNECTION',
    },
    { title: 'ENOTFOUND', report: err('getaddrinfo ENOTFOUND api.example.com', { code: 'ENOTFOUND' }), category: 'network', transient: true, strategy: 'RETRY_WITH_BACKOFF' },
    { title: '429 with Retry-After', report: err('Too Many Requests', { status: 429, headers: { 'retry-after': '12' } }), category: 'rate_limit', transient: true, strategy: 'RATE_LIMIT_BACKOFF' },
    { title: 'rate limit message', report: err('Rate limit reached for requests'), category: 'rate_limit', transient: true, strategy: 'RATE_LIMIT_BACKOFF' },
    {
      title: '23505 duplicate key',
      report: err('duplicate key value violates unique constraint "users_email_key"', { code: '23505' }, 'DatabaseError'),
      category: 'database_constraint',
      transient: false,
      strategy: 'FALLBACK_TO_CACHE',
    },
    { title: 'duplicate key message only', report: err('duplicate key value violates unique constraint "x"'), category: 'database_constraint', transient: false, strategy: 'FALLBACK_TO_CACHE' },
    { title: '40P01 deadlock', report: err('deadlock detected', { code: '40P01' }), category: 'runtime', transient: true, strategy: 'ROLLBACK_TRANSACTION' },
    { title: '40001 serialization', report: err('could not serialize access due to concurrent update', { code: '40001' }), category: 'runtime', transient: true, strategy: 'ROLLBACK_TRANSACTION' },
    { title: '57P01 admin shutdown', report: err('terminating connection due to administrator command', { code: '57P01' }), category: 'database_connection', transient: true, strategy: 'RESET_CONNECTION' },
    { title: '08006 connection failure', report: err('connection failure', { code: '08006' }), category: 'database_connection', transient: true, strategy: 'RESET_CONNECTION' },
    { title: '28P01 bad password', report: err('password authentication failed for user "app"', { code: '28P01' }), category: 'authentication', transient: false, strategy: 'FALLBACK_TO_CACHE' },
    { title: '401', report: err('Unauthorized', { status: 401 }), category: 'authentication', transient: false, strategy: 'FALLBACK_TO_CACHE' },
    { title: '403', report: err('Forbidden', { statusCode: 403 }), category: 'authentication', transient: false, strategy: 'FALLBACK_TO_CACHE' },
    { title: '404', report: err('Not Found', { status: 404 }), category: 'not_found', transient: false, strategy: 'USE_DEFAULT_VALUE' },
    { title: '400', report: err('Bad Request', { status: 400 }), category: 'validation', transient: false, strategy: 'USE_DEFAULT_VALUE' },
    { title: '422', report: err('Unprocessable', { status: 422 }), category: 'validation', transient: false, strategy: 'USE_DEFAULT_VALUE' },
    { title: 'ZodError', report: err('Expected string, received number', {}, 'ZodError'), category: 'validation', transient: false, strategy: 'USE_DEFAULT_VALUE' },
    { title: 'TypeError', report: toErrorReport(new TypeError("Cannot read properties of undefined (reading 'id')")), category: 'runtime', transient: false, strategy: 'FALLBACK_TO_CACHE' },
    { title: 'ReferenceError', report: toErrorReport(new ReferenceError('foo is not defined')), category: 'runtime', transient: false, strategy: 'FALLBACK_TO_CACHE' },
    { title: 'ETIMEDOUT', report: err('connect ETIMEDOUT', { code: 'ETIMEDOUT' }), category: 'timeout', transient: true, strategy: 'RETRY_WITH_BACKOFF' },
    { title: 'TimeoutError', report: err('The operation was aborted due to timeout', {}, 'TimeoutError'), category: 'timeout', transient: true, strategy: 'RETRY_WITH_BACKOFF' },
    { title: 'timeout message', report: err('Request timed out after 5000ms'), category: 'timeout', transient: true, strategy: 'RETRY_WITH_BACKOFF' },
    { title: '504', report: err('Gateway Timeout', { status: 504 }), category: 'timeout', transient: true, strategy: 'RETRY_WITH_BACKOFF' },
    { title: '503', report: err('Service Unavailable', { status: 503 }), category: 'external_service', transient: true, strategy: 'SWITCH_API_ENDPOINT' },
    { title: '500', report: err('Internal Server Error', { response: { status: 500 } }), category: 'external_service', transient: true, strategy: 'SWITCH_API_ENDPOINT' },
    { title: 'socket hang up', report: err('socket hang up'), category: 'network', transient: true, strategy: 'RETRY_WITH_BACKOFF' },
    { title: 'unknown', report: err('something odd happened'), category: 'unknown', transient: true, strategy: 'RETRY_WITH_BACKOFF' },
    { title: 'thrown string', report: toErrorReport('boom'), category: 'unknown', transient: true, strategy: 'RETRY_WITH_BACKOFF' },
  ];

  it.each(cases)('$title → $category', ({ report, operation, category, transient, strategy }) => {
    const diagnosis = diagnoseByRules(report, { operation: operation ?? 'api.call', allowedStrategies: ALL });
    expect(diagnosis.category).toBe(category);
    expect(diagnosis.transient).toBe(transient);
    expect(diagnosis.recommendedStrategy).toBe(strategy);
    expect(diagnosis.source).toBe('rules');
    expect(diagnosis.fallbackStrategies.length).toBeLessThanOrEqual(2);
    expect(diagnosis.fallbackStrategies).not.toContain(diagnosis.recommendedStrategy);
    expect(diagnosis.rootCause.length).toBeGreaterThan(10);
    expect(diagnosis.explanation.length).toBeGreaterThan(10);
    expect(diagnosis.confidence).toBe(category === 'unknown' ? 0.3 : 0.6);
  });

  it('uses the operation name as a database hint', () => {
    const report = err('Connection terminated unexpectedly');
    expect(classifyError(report, 'db.getUser').category).toBe('database_connection');
    expect(classifyError(err('socket hang up', { code: 'ECONNRESET' }), 'ordersRepository.save').category).toBe('database_connection');
    expect(classifyError(err('socket hang up', { code: 'ECONNRESET' }), 'weather.fetch').category).toBe('network');
  });

  it('mentions Retry-After and gives the rate-limit preference order', () => {
    const diagnosis = diagnoseByRules(err('Too Many Requests', { status: 429, retryAfter: 30 }), { operation: 'x', allowedStrategies: ALL });
    expect(diagnosis.fallbackStrategies).toEqual(['QUEUE_FOR_LATER', 'FALLBACK_TO_CACHE']);
    expect(diagnosis.explanation).toContain('30 s');
  });
});

describe('diagnoseByRules: severity', () => {
  const allowed = { allowedStrategies: ALL };
  it('grades by category', () => {
    expect(diagnoseByRules(err('x', { status: 401 }), { operation: 'o', ...allowed }).severity).toBe('critical');
    expect(diagnoseByRules(err('x', { code: '57P01' }), { operation: 'o', ...allowed }).severity).toBe('critical');
    expect(diagnoseByRules(err('x', { code: '23505' }), { operation: 'o', ...allowed }).severity).toBe('high');
    expect(diagnoseByRules(err('x', { status: 503 }), { operation: 'o', ...allowed }).severity).toBe('high');
    expect(diagnoseByRules(err('x', { code: 'ECONNRESET' }), { operation: 'o', ...allowed }).severity).toBe('medium');
    expect(diagnoseByRules(err('x', { status: 429 }), { operation: 'o', ...allowed }).severity).toBe('medium');
    expect(diagnoseByRules(err('x', { status: 404 }), { operation: 'o', ...allowed }).severity).toBe('low');
    expect(diagnoseByRules(err('x', { status: 400 }), { operation: 'o', ...allowed }).severity).toBe('low');
  });

  it('raises critical operations, and makes them critical when nothing allowed can heal them', () => {
    expect(diagnoseByRules(err('x', { status: 404 }), { operation: 'o', critical: true, ...allowed }).severity).toBe('high');
    const stuck = diagnoseByRules(err('x', { status: 404 }), { operation: 'o', critical: true, allowedStrategies: ['RETRY_WITH_BACKOFF'] });
    expect(stuck.severity).toBe('critical');
  });
});

describe('diagnoseByRules: allowed strategies', () => {
  it('filters the preference list to the allowed strategies', () => {
    const d = diagnoseByRules(err('x', { code: 'ECONNRESET' }), {
      operation: 'o',
      allowedStrategies: ['FALLBACK_TO_CACHE', 'QUEUE_FOR_LATER', 'SKIP_OPERATION'],
    });
    expect(d.recommendedStrategy).toBe('FALLBACK_TO_CACHE');
    expect(d.fallbackStrategies).toEqual(['QUEUE_FOR_LATER']);
  });

  it('filters to what the policy can carry out, when given', () => {
    const policy = defaultOperationPolicy('o', { cacheable: false, alternateEndpoints: [] });
    const d = diagnoseByRules(err('x', { status: 503 }), { operation: 'o', allowedStrategies: ALL, policy });
    expect(d.recommendedStrategy).toBe('RETRY_WITH_BACKOFF');
    expect(d.fallbackStrategies).toEqual(['QUEUE_FOR_LATER']);
  });

  it('never gives a re-running strategy for a permanent error', () => {
    const d = diagnoseByRules(err('x', { status: 400 }), { operation: 'o', allowedStrategies: ['RETRY_WITH_BACKOFF', 'SKIP_OPERATION'] });
    expect(d.recommendedStrategy).toBe('SKIP_OPERATION');
    expect(d.fallbackStrategies).toEqual([]);
  });

  it('outside the preference list, picks an allowed compatible strategy with less confidence', () => {
    const d = diagnoseByRules(err('x', { code: 'ECONNRESET' }), { operation: 'o', allowedStrategies: ['CLEAR_CACHE_AND_RETRY'] });
    expect(d.recommendedStrategy).toBe('CLEAR_CACHE_AND_RETRY');
    expect(d.confidence).toBeLessThan(0.6);
  });

  it('with nothing allowed: a valid strategy, no fallbacks, low confidence', () => {
    const d = diagnoseByRules(err('x', { status: 404 }), { operation: 'o', allowedStrategies: [] });
    expect(STRATEGIES).toContain(d.recommendedStrategy);
    expect(STRATEGY_CATALOG[d.recommendedStrategy].rerunsOperation).toBe(false);
    expect(d.fallbackStrategies).toEqual([]);
    expect(d.confidence).toBeLessThanOrEqual(0.2);
  });

  it('is well-formed and honours the allowed list for any input (property)', () => {
    const report = fc.oneof(
      fc.anything().map((thrown) => toErrorReport(thrown)),
      fc.record(
        {
          name: fc.constantFrom('Error', 'TypeError', 'TimeoutError', 'DatabaseError', 'RateLimitError', 'x'),
          message: fc.string(),
          code: fc.constantFrom('ECONNRESET', '23505', '40P01', '57P01', '28P01', 'ETIMEDOUT', '08006', 'E_WHATEVER', '22P02'),
          status: fc.constantFrom(400, 401, 403, 404, 408, 409, 422, 429, 500, 501, 503, 504, 302),
          retryAfterMs: fc.nat(),
        },
        { requiredKeys: ['name', 'message'] },
      ),
    );
    fc.assert(
      fc.property(report, fc.subarray(ALL), fc.boolean(), fc.string(), (r, allowedStrategies, critical, operation) => {
        const d = diagnoseByRules(r, { operation, critical, allowedStrategies });
        expect(ERROR_CATEGORIES).toContain(d.category);
        expect(SEVERITIES).toContain(d.severity);
        expect(STRATEGIES).toContain(d.recommendedStrategy);
        expect(d.confidence).toBeGreaterThan(0);
        expect(d.confidence).toBeLessThanOrEqual(1);
        for (const s of d.fallbackStrategies) expect(allowedStrategies).toContain(s);
        if (d.fallbackStrategies.length > 0) expect(allowedStrategies).toContain(d.recommendedStrategy);
        if (!d.transient) {
          for (const s of [d.recommendedStrategy, ...d.fallbackStrategies]) expect(STRATEGY_CATALOG[s].rerunsOperation).toBe(false);
        }
        expect(new Set([d.recommendedStrategy, ...d.fallbackStrategies]).size).toBe(1 + d.fallbackStrategies.length);
      }),
      { numRuns: 500 },
    );
  });
});
