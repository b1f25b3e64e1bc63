import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toErrorReport } from '../common/error-report.js';
import { classifyError, diagnoseByRules } from '../common/rules.js';
import { defaultOperationPolicy, STRATEGY_MODULES, type OperationPolicy } from '../common/strategies/index.js';
import { ERROR_CATEGORIES, SEVERITIES, STRATEGIES, type ErrorReport, type Strategy } from '../common/types.js';

/** An operation that registered nothing and opted into no degraded answer: re-runs only. */
const plain = defaultOperationPolicy('api.call');
/** An operation that registered every capability and opted into every degraded answer. */
const equipped = defaultOperationPolicy('api.call', {
  alternateEndpoints: ['https://backup.example'],
  hooks: ['clearCache', 'resetConnection', 'rollback'],
  cacheable: true,
  hasDefaultValue: true,
  queueable: true,
  skippable: true,
});
const rules = (report: ErrorReport, policy: OperationPolicy = plain, operation = 'api.call') =>
  diagnoseByRules(report, { operation, policy });

function err(message: string, props: Record<string, unknown> = {}, name = 'Error'): ErrorReport {
  const error = Object.assign(new Error(message), props);
  error.name = name;
  return toErrorReport(error);
}

describe('diagnoseByRules: classification', () => {
  const cases: Array<{
    title: string;
    report: ErrorReport;
    operation?: string;
    category: string;
    transient: boolean;
    strategy: Strategy | null;
  }> = [
    {
      title: 'ECONNRESET',
      report: err('read ECONNRESET', { code: 'ECONNRESET' }),
      category: 'network',
      transient: true,
      strategy: 'RETRY_WITH_BACKOFF',
    },
    {
      title: 'fetch failed caused by ECONNREFUSED',
      report: toErrorReport(
        new TypeError('fetch failed', {
          cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }),
        }),
      ),
      category: 'network',
      transient: true,
      strategy: 'RETRY_WITH_BACKOFF',
    },
    {
      title: 'ECONNREFUSED to postgres',
      report: err('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' }),
      category: 'database_connection',
      transient: true,
      strategy: 'RETRY_WITH_BACKOFF',
    },
    {
      title: 'ENOTFOUND',
      report: err('getaddrinfo ENOTFOUND api.example.com', { code: 'ENOTFOUND' }),
      category: 'network',
      transient: true,
      strategy: 'RETRY_WITH_BACKOFF',
    },
    {
      title: '429 with Retry-After',
      report: err('Too Many Requests', { status: 429, headers: { 'retry-after': '12' } }),
      category: 'rate_limit',
      transient: true,
      strategy: 'RATE_LIMIT_BACKOFF',
    },
    {
      title: 'rate limit message',
      report: err('Rate limit reached for requests'),
      category: 'rate_limit',
      transient: true,
      strategy: 'RATE_LIMIT_BACKOFF',
    },
    {
      title: '23505 duplicate key',
      report: err(
        'duplicate key value violates unique constraint "users_email_key"',
        { code: '23505' },
        'DatabaseError',
      ),
      category: 'database_constraint',
      transient: false,
      strategy: null,
    },
    {
      title: 'duplicate key message only',
      report: err('duplicate key value violates unique constraint "x"'),
      category: 'database_constraint',
      transient: false,
      strategy: null,
    },
    {
      title: '40P01 deadlock',
      report: err('deadlock detected', { code: '40P01' }),
      category: 'runtime',
      transient: true,
      strategy: 'RETRY_WITH_BACKOFF',
    },
    {
      title: '40001 serialization',
      report: err('could not serialize access due to concurrent update', { code: '40001' }),
      category: 'runtime',
      transient: true,
      strategy: 'RETRY_WITH_BACKOFF',
    },
    {
      title: '57P01 admin shutdown',
      report: err('terminating connection due to administrator command', { code: '57P01' }),
      category: 'database_connection',
      transient: true,
      strategy: 'RETRY_WITH_BACKOFF',
    },
    {
      title: '08006 connection failure',
      report: err('connection failure', { code: '08006' }),
      category: 'database_connection',
      transient: true,
      strategy: 'RETRY_WITH_BACKOFF',
    },
    {
      title: '28P01 bad password',
      report: err('password authentication failed for user "app"', { code: '28P01' }),
      category: 'authentication',
      transient: false,
      strategy: null,
    },
    {
      title: '401',
      report: err('Unauthorized', { status: 401 }),
      category: 'authentication',
      transient: false,
      strategy: null,
    },
    {
      title: '403',
      report: err('Forbidden', { statusCode: 403 }),
      category: 'authentication',
      transient: false,
      strategy: null,
    },
    {
      title: '404',
      report: err('Not Found', { status: 404 }),
      category: 'not_found',
      transient: false,
      strategy: null,
    },
    {
      title: '400',
      report: err('Bad Request', { status: 400 }),
      category: 'validation',
      transient: false,
      strategy: null,
    },
    {
      title: '422',
      report: err('Unprocessable', { status: 422 }),
      category: 'validation',
      transient: false,
      strategy: null,
    },
    {
      title: 'ZodError',
      report: err('Expected string, received number', {}, 'ZodError'),
      category: 'validation',
      transient: false,
      strategy: null,
    },
    {
      title: 'TypeError',
      report: toErrorReport(new TypeError("Cannot read properties of undefined (reading 'id')")),
      category: 'runtime',
      transient: false,
      strategy: null,
    },
    {
      title: 'ReferenceError',
      report: toErrorReport(new ReferenceError('foo is not defined')),
      category: 'runtime',
      transient: false,
      strategy: null,
    },
    {
      title: 'ETIMEDOUT',
      report: err('connect ETIMEDOUT', { code: 'ETIMEDOUT' }),
      category: 'timeout',
      transient: true,
      strategy: 'RETRY_WITH_BACKOFF',
    },
    {
      title: 'TimeoutError',
      report: err('The operation was aborted due to timeout', {}, 'TimeoutError'),
      category: 'timeout',
      transient: true,
      strategy: 'RETRY_WITH_BACKOFF',
    },
    {
      title: 'timeout message',
      report: err('Request timed out after 5000ms'),
      category: 'timeout',
      transient: true,
      strategy: 'RETRY_WITH_BACKOFF',
    },
    {
      title: '504',
      report: err('Gateway Timeout', { status: 504 }),
      category: 'timeout',
      transient: true,
      strategy: 'RETRY_WITH_BACKOFF',
    },
    {
      title: '503',
      report: err('Service Unavailable', { status: 503 }),
      category: 'external_service',
      transient: true,
      strategy: 'RETRY_WITH_BACKOFF',
    },
    {
      title: '500',
      report: err('Internal Server Error', { response: { status: 500 } }),
      category: 'external_service',
      transient: true,
      strategy: 'RETRY_WITH_BACKOFF',
    },
    {
      title: 'socket hang up',
      report: err('socket hang up'),
      category: 'network',
      transient: true,
      strategy: 'RETRY_WITH_BACKOFF',
    },
    {
      title: 'unknown',
      report: err('something odd happened'),
      category: 'unknown',
      transient: true,
      strategy: 'RETRY_WITH_BACKOFF',
    },
    {
      title: 'thrown string',
      report: toErrorReport('boom'),
      category: 'unknown',
      transient: true,
      strategy: 'RETRY_WITH_BACKOFF',
    },
  ];

  it.each(cases)('$title → $category', ({ report, operation, category, transient, strategy }) => {
    const diagnosis = rules(report, plain, operation);
    expect(diagnosis.category).toBe(category);
    expect(diagnosis.transient).toBe(transient);
    expect(diagnosis.source).toBe('rules');
    expect(diagnosis.fallbackStrategies.length).toBeLessThanOrEqual(2);
    expect(diagnosis.fallbackStrategies).not.toContain(diagnosis.recommendedStrategy);
    expect(diagnosis.rootCause.length).toBeGreaterThan(10);
    if (strategy === null) {
      expect(diagnosis.explanation).toContain('reaches the caller as it is');
      expect(diagnosis.confidence).toBe(0.2);
    } else {
      expect(diagnosis.recommendedStrategy).toBe(strategy);
      expect(diagnosis.confidence).toBe(category === 'unknown' ? 0.3 : 0.6);
    }
  });

  it('puts registered capabilities first where they fit', () => {
    const first = (report: ErrorReport, operation?: string) => rules(report, equipped, operation).recommendedStrategy;
    expect(first(err('connect ECONNREFUSED 10.0.0.1:443', { code: 'ECONNREFUSED' }))).toBe('SWITCH_API_ENDPOINT');
    expect(first(err('getaddrinfo ENOTFOUND api.example.com', { code: 'ENOTFOUND' }))).toBe('SWITCH_API_ENDPOINT');
    expect(first(err('Service Unavailable', { status: 503 }))).toBe('SWITCH_API_ENDPOINT');
    expect(first(err('terminating connection due to administrator command', { code: '57P01' }))).toBe(
      'RESET_CONNECTION',
    );
    expect(first(err('deadlock detected', { code: '40P01' }))).toBe('ROLLBACK_TRANSACTION');
    expect(first(err('stale cache entry for key user:42'))).toBe('CLEAR_CACHE_AND_RETRY');
    expect(first(err('Too Many Requests', { status: 429 }))).toBe('RATE_LIMIT_BACKOFF');
    expect(rules(err('stale cache entry for key user:42')).transient).toBe(true);
  });

  it('never gives a permanent error a strategy, even to an operation that opted into every degraded answer', () => {
    for (const report of [
      err('x', { status: 400 }),
      err('x', { code: '23505' }),
      err('x', { status: 401 }),
      err('x', { status: 404 }),
    ]) {
      const diagnosis = rules(report, equipped);
      expect(diagnosis.transient).toBe(false);
      expect(diagnosis.fallbackStrategies).toEqual([]);
      expect(diagnosis.explanation).toContain('reaches the caller as it is');
    }
  });

  it('uses the operation name as a database hint', () => {
    const report = err('Connection terminated unexpectedly');
    expect(classifyError(report, 'db.getUser').category).toBe('database_connection');
    expect(classifyError(err('socket hang up', { code: 'ECONNRESET' }), 'ordersRepository.save').category).toBe(
      'database_connection',
    );
    expect(classifyError(err('socket hang up', { code: 'ECONNRESET' }), 'weather.fetch').category).toBe('network');
  });

  it('mentions Retry-After; degraded answers come after every re-run', () => {
    const diagnosis = rules(err('Too Many Requests', { status: 429, retryAfter: 30 }), equipped);
    expect(diagnosis.recommendedStrategy).toBe('RATE_LIMIT_BACKOFF');
    expect(diagnosis.fallbackStrategies).toEqual(['SWITCH_API_ENDPOINT', 'FALLBACK_TO_CACHE']);
    expect(diagnosis.explanation).toContain('30 s');
  });
});

describe('diagnoseByRules: severity', () => {
  it('grades by category', () => {
    expect(rules(err('x', { status: 401 })).severity).toBe('critical');
    expect(rules(err('x', { code: '57P01' })).severity).toBe('critical');
    expect(rules(err('x', { code: '23505' })).severity).toBe('high');
    expect(rules(err('x', { status: 503 })).severity).toBe('high');
    expect(rules(err('x', { code: 'ECONNRESET' })).severity).toBe('medium');
    expect(rules(err('x', { status: 429 })).severity).toBe('medium');
    expect(rules(err('x', { status: 404 })).severity).toBe('low');
    expect(rules(err('x', { status: 400 })).severity).toBe('low');
  });

  it('raises critical operations, and makes them critical when nothing can heal them', () => {
    const critical = defaultOperationPolicy('o', { critical: true });
    expect(rules(err('x', { status: 503 }), critical).severity).toBe('high');
    expect(rules(err('x', { status: 404 }), critical).severity).toBe('critical');
  });
});

describe('diagnoseByRules: what the operation allows', () => {
  it('recommends only allowed strategies', () => {
    const d = rules(err('x', { code: 'ECONNRESET' }), {
      ...equipped,
      allowedStrategies: ['FALLBACK_TO_CACHE', 'QUEUE_FOR_LATER', 'SKIP_OPERATION'],
    });
    expect(d.recommendedStrategy).toBe('FALLBACK_TO_CACHE');
    expect(d.fallbackStrategies).toEqual(['QUEUE_FOR_LATER', 'SKIP_OPERATION']);
  });

  it('recommends only what the policy can carry out', () => {
    const d = rules(err('x', { status: 503 }));
    expect(d.recommendedStrategy).toBe('RETRY_WITH_BACKOFF');
    expect(d.fallbackStrategies).toEqual([]);
  });

  it('is well-formed and honours the policy for any input (property)', () => {
    const report = fc.oneof(
      fc.anything().map((thrown) => toErrorReport(thrown)),
      fc.record(
        {
          name: fc.constantFrom('Error', 'TypeError', 'TimeoutError', 'DatabaseError', 'RateLimitError', 'x'),
          message: fc.string(),
          code: fc.constantFrom(
            'ECONNRESET',
            '23505',
            '40P01',
            '57P01',
            '28P01',
            'ETIMEDOUT',
            '08006',
            'E_WHATEVER',
            '22P02',
          ),
          status: fc.constantFrom(400, 401, 403, 404, 408, 409, 422, 429, 500, 501, 503, 504, 302),
          retryAfterMs: fc.nat(),
        },
        { requiredKeys: ['name', 'message'] },
      ),
    );
    const all: Strategy[] = [...STRATEGIES];
    fc.assert(
      fc.property(report, fc.subarray(all), fc.boolean(), fc.string(), (r, allowedStrategies, critical, operation) => {
        const d = rules(r, { ...equipped, allowedStrategies, critical }, operation);
        expect(ERROR_CATEGORIES).toContain(d.category);
        expect(SEVERITIES).toContain(d.severity);
        expect(STRATEGIES).toContain(d.recommendedStrategy);
        expect(d.confidence).toBeGreaterThan(0);
        expect(d.confidence).toBeLessThanOrEqual(1);
        for (const s of d.fallbackStrategies) expect(allowedStrategies).toContain(s);
        if (d.fallbackStrategies.length > 0) expect(allowedStrategies).toContain(d.recommendedStrategy);
        if (!d.transient) {
          for (const s of d.fallbackStrategies)
            expect(STRATEGY_MODULES[s].rerunsOperation || STRATEGY_MODULES[s].degraded).toBe(false);
        }
        expect(new Set([d.recommendedStrategy, ...d.fallbackStrategies]).size).toBe(1 + d.fallbackStrategies.length);
      }),
      { numRuns: 500 },
    );
  });
});
