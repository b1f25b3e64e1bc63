import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toErrorReport } from '../common/error-report.js';
import { DEFAULT_SANITIZE_LIMITS, sanitize, sanitizeText } from '../common/sanitize.js';
import { isSecretKey, PROJECT_SECRET_SETTINGS } from '../common/secrets/key-names.js';
import { maskPii } from '../common/secrets/pii.js';
import { looksRandom } from '../common/secrets/random-token.js';

// Planted secrets: each `text` must never leave sanitize/toErrorReport with any `cores` intact.
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const SECRETS = [
  { text: 'Authorization: Bearer q7Zt9XbL2mN4pR8sV1wY3', cores: ['q7Zt9XbL2mN4pR8sV1wY3'] },
  { text: 'Bearer q7Zt9XbL2mN4pR8sV1wY3', cores: ['q7Zt9XbL2mN4pR8sV1wY3'] },
  {
    text: `session ${JWT}`,
    cores: [JWT, 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c', 'eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ'],
  },
  { text: 'paid with 4111 1111 1111 1111 today', cores: ['4111111111111111'] },
  { text: 'card=5555-5555-5555-4444', cores: ['5555555555554444'] },
  { text: 'amex 378282246310005', cores: ['378282246310005'] },
  { text: 'postgres://app_user:S3cr3tPgPass@db.internal:5432/app', cores: ['S3cr3tPgPass'] },
  { text: 'redis://:R3disPassw0rd@cache:6379/0', cores: ['R3disPassw0rd'] },
  {
    text: 'OPENAI key sk-proj-Ab12Cd34Ef56Gh78Ij90Kl',
    cores: ['sk-proj-Ab12Cd34Ef56Gh78Ij90Kl', 'Ab12Cd34Ef56Gh78Ij90Kl'],
  },
  { text: 'GET /login?user=bob&password=Hunter2Hunter2&x=1', cores: ['Hunter2Hunter2'] },
  { text: '{"client_secret":"cl13ntS3cr3tValue","id":1}', cores: ['cl13ntS3cr3tValue'] },
  { text: 'token=tok_9f8e7d6c5b4a', cores: ['tok_9f8e7d6c5b4a'] },
];
const PASSWORD_VALUE = 'Pa55w0rd-in-a-key!';
const SENSITIVE_KEYS = [
  'password',
  'Password',
  'db_password',
  'DB-PASSWORD',
  'userPwd',
  'passwd',
  'token',
  'accessToken',
  'refresh_token',
  'secret',
  'client-secret',
  'api key',
  'apiKey',
  'api_key',
  'X-Api-Key',
  'authorization',
  'Cookie',
  'set-cookie',
  'privateKey',
  'private_key',
  'credentials',
  'sessionId',
  'SESSION',
];

function assertNoSecrets(output: unknown) {
  const json = JSON.stringify(output);
  expect(typeof json).toBe('string');
  const flattened = json.replace(/[ -]/g, '');
  for (const secret of SECRETS) {
    for (const core of secret.cores) {
      expect(json).not.toContain(core);
      if (/^\d+$/.test(core)) expect(flattened).not.toContain(core);
    }
  }
  expect(json).not.toContain(PASSWORD_VALUE);
}

const anything = fc.anything({
  maxDepth: 6,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
});
const secretText = fc.constantFrom(...SECRETS.map((s) => s.text));
const context = fc.string({ maxLength: 40 });
/** A secret inside random text, separated by spaces. */
const textWithSecret = fc.tuple(context, secretText, context).map(([a, s, b]) => `${a} ${s} ${b}`);

function deep(levels: number, leaf: unknown): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < levels; i++) value = { level: i, child: value, list: [value] };
  return value;
}

describe('sanitizeText', () => {
  it.each(SECRETS)('redacts $text', ({ text, cores }) => {
    const out = sanitizeText(text);
    for (const core of cores) expect(out).not.toContain(core);
    expect(out).toMatch(/REDACTED/);
  });

  it('keeps scheme and host of a connection string', () => {
    expect(sanitizeText('postgres://app_user:S3cr3tPgPass@db.internal:5432/app')).toBe(
      'postgres://[REDACTED]@db.internal:5432/app',
    );
  });

  it('leaves ordinary text, timestamps and non-Luhn numbers alone', () => {
    const text = 'Order 1234567890123456 failed at 1712345678901 (attempt 3) for bob: relation "users" does not exist';
    expect(sanitizeText(text)).toBe(text);
    expect(sanitizeText('https://host:8080/p?email=a@b.com')).toBe('https://host:8080/p?email=[REDACTED]');
  });

  it('bounds the length, marker included, and never splits a surrogate pair', () => {
    const out = sanitizeText('a'.repeat(10_000), 100);
    expect(out.length).toBeLessThanOrEqual(100);
    expect(out).toMatch(/…\[truncated \d+ chars\]$/);
    expect(sanitizeText('x' + '😀'.repeat(50), 41)).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it('redacts a secret that straddles the truncation point', () => {
    const text = 'x'.repeat(1_990) + ' Bearer q7Zt9XbL2mN4pR8sV1wY3';
    expect(sanitizeText(text, 2_005)).not.toContain('q7Zt9X');
  });

  it('never throws and stays bounded for arbitrary and huge strings (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 3_000 }), fc.integer({ min: 0, max: 5_000 }), (text, max) => {
        const out = sanitizeText(text, max);
        expect(typeof out).toBe('string');
        expect(out.length).toBeLessThanOrEqual(max);
      }),
    );
    const huge = 'z'.repeat(3_000_000) + ' password=Hunter2Hunter2';
    expect(sanitizeText(huge).length).toBeLessThanOrEqual(DEFAULT_SANITIZE_LIMITS.maxStringLength);
  });

  it('never lets a planted secret through, whatever surrounds it (property)', () => {
    fc.assert(
      fc.property(textWithSecret, (text) => assertNoSecrets(sanitizeText(text))),
      { numRuns: 300 },
    );
  });
});

describe('sanitize', () => {
  it('redacts values of sensitive keys, whatever the case or separator', () => {
    for (const key of SENSITIVE_KEYS) {
      expect(isSecretKey(key)).toBe(true);
      expect(sanitize({ [key]: PASSWORD_VALUE, other: 'kept' })).toEqual({ [key]: '[REDACTED]', other: 'kept' });
    }
    expect(isSecretKey('username')).toBe(false);
    // Counters and flags under such names are not secrets.
    expect(sanitize({ max_tokens: 512, hasPassword: true, pwd: 1234 })).toEqual({
      max_tokens: 512,
      hasPassword: true,
      pwd: '[REDACTED]',
    });
  });

  it('converts the special values', () => {
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const out = sanitize({
      when: new Date('2024-05-01T10:00:00.000Z'),
      invalid: new Date(Number.NaN),
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, 'two'],
      ]),
      set: new Set([1, 2]),
      big: 12345678901234567890n,
      fn: function namedFn() {},
      sym: Symbol('tag'),
      bytes: new Uint8Array(16),
      buffer: new ArrayBuffer(8),
      nodeBuffer: Buffer.from('hello'),
      jsonBuffer: { type: 'Buffer', data: [1, 2, 3] },
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      undef: undefined,
      circular,
      url: new URL('https://user:S3cr3tPgPass@example.com/a?b=1'),
    });
    expect(out).toEqual({
      when: '2024-05-01T10:00:00.000Z',
      invalid: 'Invalid Date',
      map: { a: 1, '2': 'two' },
      set: [1, 2],
      big: '12345678901234567890',
      fn: '[Function: namedFn]',
      sym: 'Symbol(tag)',
      bytes: '[Binary 16 bytes]',
      buffer: '[Binary 8 bytes]',
      nodeBuffer: '[Binary 5 bytes]',
      jsonBuffer: '[Binary 3 bytes]',
      nan: 'NaN',
      inf: 'Infinity',
      circular: { name: 'loop', self: '[Circular]' },
      url: 'https://[REDACTED]@example.com/a?b=[REDACTED]',
    });
    expect(sanitize(undefined)).toBeNull();
  });

  it('describes errors with name, message, stack, own props and cause, sanitised', () => {
    const error = Object.assign(
      new Error('login failed with password=Hunter2Hunter2', { cause: new TypeError('inner') }),
      {
        code: 'E_LOGIN',
        token: 'tok_9f8e7d6c5b4a',
      },
    );
    const out = sanitize(error) as Record<string, unknown>;
    expect(out.name).toBe('Error');
    expect(out.message).toBe('login failed with password=[REDACTED]');
    expect(typeof out.stack).toBe('string');
    expect(out.code).toBe('E_LOGIN');
    expect(out.token).toBe('[REDACTED]');
    expect((out.cause as Record<string, unknown>).name).toBe('TypeError');
    assertNoSecrets(out);
  });

  it('applies depth, array, string and key limits', () => {
    expect(JSON.stringify(sanitize(deep(10, 'leaf')))).toContain('[MaxDepth]');
    const arr = sanitize(Array.from({ length: 120 }, (_, i) => i)) as unknown[];
    expect(arr).toHaveLength(51);
    expect(arr[50]).toBe('[+70 more]');
    const str = sanitize('y'.repeat(5_000)) as string;
    expect(str.length).toBeLessThanOrEqual(2_000);
    expect(str).toContain('…[truncated');
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(sanitize(many) as object)).toHaveLength(101);
    expect(sanitize([1, [2, [3]]], { maxDepth: 2 })).toEqual([1, [2, '[MaxDepth]']]);
  });

  it('keeps the serialised size within the budget', () => {
    const wide = Array.from({ length: 50 }, () => Array.from({ length: 50 }, () => 'w'.repeat(2_000)));
    const json = JSON.stringify(sanitize(wide));
    expect(json.length).toBeLessThanOrEqual(32 * 1024);
    expect(JSON.stringify(sanitize(wide, { maxTotalSize: 1_000 })).length).toBeLessThanOrEqual(1_000);
    // Escaping-heavy strings (each control char serialises to 6 chars).
    const escapes = Array.from({ length: 40 }, () => '\u0001'.repeat(2_000));
    expect(JSON.stringify(sanitize(escapes)).length).toBeLessThanOrEqual(32 * 1024);
  });

  it('survives hostile objects: throwing getters, Proxies, null prototypes, __proto__ keys', () => {
    const getter = Object.defineProperty({ ok: 1 }, 'boom', {
      enumerable: true,
      get() {
        throw new Error('nope');
      },
    });
    expect(sanitize(getter)).toEqual({ ok: 1, boom: '[Unreadable: getter threw]' });
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no keys');
        },
        get() {
          throw new Error('no get');
        },
        getPrototypeOf() {
          throw new Error('no proto');
        },
      },
    );
    expect(() => sanitize(hostile)).not.toThrow();
    expect(() => sanitize({ nested: [hostile] })).not.toThrow();
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    expect(() => sanitize(revocable.proxy)).not.toThrow();
    const bare = Object.create(null) as Record<string, unknown>;
    bare.secret = 'cl13ntS3cr3tValue';
    bare.value = 1;
    expect(sanitize(bare)).toEqual({ secret: '[REDACTED]', value: 1 });
    const proto = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
    const out = sanitize(proto) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never throws, is JSON-serialisable and bounded for anything (property)', () => {
    fc.assert(
      fc.property(anything, (value) => {
        const out = sanitize(value);
        const json = JSON.stringify(out);
        expect(typeof json).toBe('string');
        expect(json.length).toBeLessThanOrEqual(32 * 1024);
        expect(JSON.parse(json)).toEqual(out);
      }),
      { numRuns: 300 },
    );
  });

  it('stays bounded for deep objects and huge strings (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 200_000 }),
        fc.string(),
        (levels, size, text) => {
          const value = deep(levels, {
            blob: text.repeat(1 + (size % 7)) + 'q'.repeat(size),
            arr: new Array(size % 500).fill(text),
          });
          const json = JSON.stringify(sanitize(value));
          expect(json.length).toBeLessThanOrEqual(32 * 1024);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('never lets planted secrets through, in keys, values, errors, maps or deep structures (property)', () => {
    fc.assert(
      fc.property(
        anything,
        textWithSecret,
        fc.constantFrom(...SENSITIVE_KEYS),
        fc.integer({ min: 0, max: 4 }),
        (noise, text, key, levels) => {
          const planted = {
            noise,
            note: text,
            [key]: PASSWORD_VALUE,
            nested: deep(levels, { [key]: PASSWORD_VALUE, text }),
            list: [noise, text, { [key]: PASSWORD_VALUE }],
            map: new Map<string, unknown>([
              [key, PASSWORD_VALUE],
              ['text', text],
            ]),
            error: Object.assign(new Error(text), { [key]: PASSWORD_VALUE, detail: text }),
            [text]: 'secret in a key',
          };
          const out = sanitize(planted);
          assertNoSecrets(out);
          assertNoSecrets(toErrorReport(planted.error));
          assertNoSecrets(toErrorReport(planted));
          assertNoSecrets(toErrorReport(text));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('toErrorReport', () => {
  it('describes Errors with code, status and Retry-After', () => {
    const error = Object.assign(new Error('Too Many Requests'), {
      status: 429,
      headers: { 'Retry-After': '30' },
      code: 'E_RATE',
    });
    const report = toErrorReport(error);
    expect(report).toMatchObject({
      name: 'Error',
      message: 'Too Many Requests',
      code: 'E_RATE',
      status: 429,
      retryAfterMs: 30_000,
    });
    expect(report.stack).toContain('common-sanitize.unit.test.ts');
  });

  it('reads status and Retry-After from the usual places', () => {
    expect(toErrorReport(Object.assign(new Error('x'), { statusCode: 503 })).status).toBe(503);
    expect(toErrorReport(Object.assign(new Error('x'), { response: { status: '502' } })).status).toBe(502);
    expect(toErrorReport(Object.assign(new Error('x'), { status: 99 })).status).toBeUndefined();
    expect(toErrorReport(Object.assign(new Error('x'), { retryAfterMs: 1500 })).retryAfterMs).toBe(1_500);
    expect(toErrorReport(Object.assign(new Error('x'), { retryAfter: 2 })).retryAfterMs).toBe(2_000);
    const headers = new Headers({ 'retry-after': '7' });
    expect(toErrorReport(Object.assign(new Error('x'), { response: { status: 429, headers } })).retryAfterMs).toBe(
      7_000,
    );
    expect(toErrorReport(Object.assign(new Error('x'), { headers: { 'retry-after-ms': '250' } })).retryAfterMs).toBe(
      250,
    );
    const now = Date.parse('2024-01-01T00:00:00Z');
    const dated = Object.assign(new Error('x'), { headers: { 'retry-after': 'Mon, 01 Jan 2024 00:01:30 GMT' } });
    expect(toErrorReport(dated, { now }).retryAfterMs).toBe(90_000);
    expect(toErrorReport(dated, now).retryAfterMs).toBe(90_000);
    expect(toErrorReport(dated).retryAfterMs).toBeUndefined();
  });

  it('adds the first cause and lifts its code (fetch failed → ECONNREFUSED)', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3000'), { code: 'ECONNREFUSED' });
    const report = toErrorReport(new TypeError('fetch failed', { cause }));
    expect(report.name).toBe('TypeError');
    expect(report.message).toBe('fetch failed [cause: Error: connect ECONNREFUSED 127.0.0.1:3000]');
    expect(report.code).toBe('ECONNREFUSED');
  });

  it('uses the first member of an AggregateError with an empty message', () => {
    const member = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' });
    const report = toErrorReport(new AggregateError([member, new Error('connect ECONNREFUSED 127.0.0.1:5432')]));
    expect(report.name).toBe('AggregateError');
    expect(report.message).toBe('[cause: Error: connect ECONNREFUSED ::1:5432]');
    expect(report.code).toBe('ECONNREFUSED');
  });

  it('unwraps Temporal failures and uses ApplicationFailure.type', () => {
    const application = Object.assign(new Error('boom'), { name: 'ApplicationFailure', type: 'PaymentDeclinedError' });
    const activity = Object.assign(new Error('Activity task failed', { cause: application }), {
      name: 'ActivityFailure',
    });
    expect(toErrorReport(activity)).toMatchObject({ name: 'PaymentDeclinedError', message: 'boom' });
  });

  it('describes non-Error throwables', () => {
    expect(toErrorReport('plain failure')).toEqual({ name: 'string', message: 'plain failure' });
    expect(toErrorReport(42)).toEqual({ name: 'number', message: '42' });
    expect(toErrorReport(false)).toEqual({ name: 'boolean', message: 'false' });
    expect(toErrorReport(null)).toEqual({ name: 'null', message: 'null' });
    expect(toErrorReport(undefined)).toEqual({ name: 'undefined', message: 'undefined' });
    expect(toErrorReport(Symbol('s'))).toEqual({ name: 'symbol', message: 'Symbol(s)' });
    expect(toErrorReport(10n)).toEqual({ name: 'bigint', message: '10' });
    expect(toErrorReport({ message: 'from object', code: 'ECONNRESET', status: 503 })).toEqual({
      name: 'object',
      message: 'from object',
      code: 'ECONNRESET',
      status: 503,
    });
    const json = toErrorReport({ reason: 'quota', password: PASSWORD_VALUE });
    expect(json.name).toBe('object');
    expect(json.message).toBe('{"reason":"quota","password":"[REDACTED]"}');
  });

  it('bounds message and stack', () => {
    const error = new Error('m'.repeat(50_000));
    error.stack = 's'.repeat(50_000);
    const report = toErrorReport(error);
    expect(report.message.length).toBeLessThanOrEqual(2_000);
    expect(report.stack!.length).toBeLessThanOrEqual(8_000);
  });

  it('never throws and returns bounded, serialisable reports for anything (property)', () => {
    const thrown = fc.oneof(
      anything,
      fc.string().map((m) => new Error(m)),
      fc
        .tuple(fc.string(), anything, anything)
        .map(([m, code, status]) => Object.assign(new Error(m), { code, status, cause: code })),
      fc
        .tuple(anything, anything)
        .map(([headers, retryAfter]) => Object.assign(new RangeError('r'), { headers, retryAfter })),
    );
    fc.assert(
      fc.property(thrown, (value) => {
        const report = toErrorReport(value, { now: 0 });
        expect(typeof report.name).toBe('string');
        expect(typeof report.message).toBe('string');
        expect(report.name.length).toBeLessThanOrEqual(200);
        expect(report.message.length).toBeLessThanOrEqual(2_000);
        if (report.stack !== undefined) expect(report.stack.length).toBeLessThanOrEqual(8_000);
        if (report.status !== undefined) expect(report.status).toBeGreaterThanOrEqual(100);
        if (report.retryAfterMs !== undefined) expect(report.retryAfterMs).toBeGreaterThanOrEqual(0);
        expect(JSON.parse(JSON.stringify(report))).toEqual(report);
      }),
      { numRuns: 300 },
    );
  });

  it('survives hostile thrown values', () => {
    const hostile = new Proxy(new Error('x'), {
      get() {
        throw new Error('trap');
      },
      getPrototypeOf() {
        throw new Error('trap');
      },
    });
    expect(() => toErrorReport(hostile)).not.toThrow();
    const getterError = Object.defineProperty(new Error('x'), 'code', {
      get() {
        throw new Error('no code');
      },
    });
    expect(toErrorReport(getterError).message).toBe('x');
  });
});

describe('secret key names', () => {
  const SECRET_NAMES = [
    ...PROJECT_SECRET_SETTINGS,
    'pass',
    'pw',
    'auth',
    'key',
    'otp',
    'pin',
    'cvv',
    'signing_key',
    'master_key',
    'encryptionKey',
    'auth_key',
    'X-Api-Key',
    'otp_code',
    'Passwort',
    'contraseña',
    'mot_de_passe',
    'пароль',
    '密码',
    'パスワード',
    '비밀번호',
  ];
  const PLAIN_NAMES = [
    'username',
    'cacheKey',
    'idempotency_key',
    'keyId',
    'authMethod',
    'errorCode',
    'statusCode',
    'pinned',
    'footprint',
    'bypass',
    'primary key',
  ];

  it("names the project's own settings, the short and the foreign ones; leaves identifiers alone", () => {
    for (const name of SECRET_NAMES) expect(isSecretKey(name), name).toBe(true);
    for (const name of PLAIN_NAMES) expect(isSecretKey(name), name).toBe(false);
  });

  it('judges a key the same as an object key and in text (property)', () => {
    const value = 'Zq9v-Wm2';
    const key = fc.oneof(
      fc.constantFrom(...SECRET_NAMES, ...PLAIN_NAMES.filter((name) => !name.includes(' '))),
      fc.stringMatching(/^[a-z][a-z0-9]{0,8}(?:[_-][a-z0-9]{1,8}){0,2}$/),
    );
    fc.assert(
      fc.property(key, (name) => {
        const asKey = (sanitize({ [name]: value }) as Record<string, unknown>)[name] === '[REDACTED]';
        for (const text of [
          `${name}=${value}`,
          `"${name}": "${value}"`,
          `<${name}>${value}</${name}>`,
          `${name}: ${value}`,
        ]) {
          expect(!sanitizeText(text).includes(value), text).toBe(asKey);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('secrets in text', () => {
  it('redacts the whole value of credential headers, whatever the scheme', () => {
    for (const scheme of [
      'Bearer',
      'Basic',
      'Token',
      'ApiKey',
      'Digest username="a", response="6629fae4"',
      'AWS4-HMAC-SHA256 Credential=AKIA/x',
      'Custom',
    ]) {
      expect(sanitizeText(`Authorization: ${scheme} v4lue-0f-the-header`)).toBe('Authorization: [REDACTED]');
    }
    expect(sanitizeText('Cookie: theme=dark; sid=abc123')).toBe('Cookie: [REDACTED]');
  });

  it('redacts every query value, URL user-info and tokens in paths', () => {
    expect(sanitizeText('GET https://h/p?page=2&sig=abc')).toBe('GET https://h/p?page=[REDACTED]&sig=[REDACTED]');
    expect(sanitizeText('https://app/cb#access_token=tok123&x=1')).toBe(
      'https://app/cb#access_token=[REDACTED]&x=[REDACTED]',
    );
    expect(sanitizeText('DATABASE_URL="u:S3cret@db:5432/x"')).toBe('DATABASE_URL="u:[REDACTED]@db:5432/x"');
    expect(sanitizeText('https://hooks.slack.com/services/T0/B0/XXXXXXXXXXXXXXXX')).toBe(
      'https://hooks.slack.com/services/[REDACTED]',
    );
    expect(
      sanitizeText('https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe'),
    ).not.toContain('AAHdqTcv');
  });

  it('redacts private key blocks of any kind, to their END line or the end of the text', () => {
    const pgp =
      '-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: x\n\nlQOYBF0=\n-----END PGP PRIVATE KEY BLOCK----- after';
    expect(sanitizeText(pgp)).toBe('[REDACTED_PRIVATE_KEY] after');
    expect(sanitizeText('key: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk')).not.toContain('b3BlbnNzaC1rZXk');
  });

  it('redacts multi-word passphrases, XML, PHP and URL-encoded forms', () => {
    expect(sanitizeText('passphrase: correct horse battery staple')).toBe('passphrase: [REDACTED]');
    expect(sanitizeText('<ns:Password>pw1</ns:Password>')).toBe('<ns:Password>[REDACTED]</ns:Password>');
    expect(sanitizeText("'password' => 'pw2', define('DB_PASSWORD', 'pw3');")).toBe(
      "'password' => '[REDACTED]', define('DB_PASSWORD', '[REDACTED]');",
    );
    expect(sanitizeText('password%3Dpw4%26user%3Dbob')).toBe('password%3D[REDACTED]%26user%3Dbob');
  });

  it('redacts cards with any separator and IBANs; keeps other numbers', () => {
    for (const card of [
      '4111.1111.1111.1111',
      '4111\u00a01111\u00a01111\u00a01111',
      '4111\u20091111\u20091111\u20091111',
    ]) {
      expect(sanitizeText(`card ${card}`)).toBe('card [REDACTED_CARD]');
    }
    expect(sanitizeText('IBAN DE89 3704 0044 0532 0130 00.')).toBe('IBAN [REDACTED_IBAN].');
    expect(sanitizeText('version 1.2.3, order 1234567890123, 2024-01-02 10:00')).toBe(
      'version 1.2.3, order 1234567890123, 2024-01-02 10:00',
    );
  });

  it('masks tokens that look random, keeps identifiers, UUIDs and short hashes', () => {
    expect(sanitizeText('session q8Zt2XbL9mN4pR7sV1wY3kJ6 expired')).toBe('session [REDACTED] expired');
    expect(looksRandom('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08')).toBe(true);
    for (const kept of [
      'ERR_STREAM_PREMATURE_CLOSE',
      'processTicksAndRejections',
      '550e8400-e29b-41d4-a716-446655440000',
      'gpt-4o-mini-2024-07-18',
      '5f2b9c1e8a7d6f3b',
    ]) {
      expect(looksRandom(kept), kept).toBe(false);
    }
  });
});

describe('maskPii', () => {
  it('masks e-mail addresses and phone numbers, not dates, times or ids', () => {
    expect(maskPii('mail anna.berg+x@example.org, call +49 30 1234567 or (555) 010-9999')).toBe(
      'mail [EMAIL], call [PHONE] or [PHONE]',
    );
    const kept = 'order 12345678 at 2024-01-02 10:00:00 from 10.0.0.1:5432, version 1.2.3';
    expect(maskPii(kept)).toBe(kept);
  });
});
