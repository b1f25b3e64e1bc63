import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toErrorReport } from '../common/error-report.js';
import {
  errorSignature,
  fnv1a64,
  normalizeMessage,
  shortSignature,
  stableHash,
  topStackFrames,
} from '../common/signature.js';
import type { ErrorReport } from '../common/types.js';

/** Reference FNV-1a 64 with BigInt, to check the 16-bit-limb implementation. */
function referenceFnv(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = BigInt.asUintN(64, hash * 0x100000001b3n);
  }
  return hash.toString(16).padStart(16, '0');
}

const hex = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: min, maxLength: max });
const word = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), minLength: 1, maxLength: 10 });
const email = fc
  .tuple(word, fc.constantFrom('', '.', '+', '_'), word, word, fc.constantFrom('com', 'io', 'org', 'co.uk'))
  .map(([a, sep, b, domain, tld]) => `${a}${sep}${b}@${domain}.${tld}`);
const isoDate = fc
  .date({ min: new Date('1990-01-01'), max: new Date('2090-01-01'), noInvalidDate: true })
  .map((d) => d.toISOString());
const smallNumber = fc.integer({ min: 0, max: 9_999_999 });
const bigNumber = fc.integer({ min: 10_000_000, max: Number.MAX_SAFE_INTEGER });
const port = fc.integer({ min: 1, max: 65_535 });
const line = fc.integer({ min: 1, max: 99_999 });
const deployDir = fc.array(word, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);

/** One fault, many occurrences: everything that varies between occurrences is random. */
const occurrence = fc.record({
  uuid: fc.uuid(),
  small: smallNumber,
  big: bigNumber,
  hexId: hex(8, 40),
  email,
  at: isoDate,
  ip: fc.ipV4(),
  ipv6: fc.ipV6(),
  port,
  line,
  column: line,
  dir: deployDir,
  quoted: fc.string({ maxLength: 30 }).filter((s) => !/["\n]/.test(s)),
});
type Occurrence = typeof occurrence extends fc.Arbitrary<infer T> ? T : never;

const TEMPLATES: Array<(o: Occurrence) => string> = [
  (o) => `User ${o.uuid} not found`,
  (o) => `Order ${o.small} failed at ${o.at} after ${o.small}ms`,
  (o) => `Order #${o.big} could not be charged`,
  (o) => `connect ECONNREFUSED ${o.ip}:${o.port}`,
  (o) => `connect ECONNREFUSED [${o.ipv6}]:${o.port}`,
  (o) => `Email ${o.email} already registered (request ${o.hexId})`,
  (o) =>
    `GET https://api.example.com/v1/users/${o.small}/orders/${o.uuid}?token=${o.hexId}&page=${o.small}#top returned 503`,
  (o) => `duplicate key value violates unique constraint "users_email_key" Key (email)=(${o.email}) already exists.`,
  (o) => `Invalid value "${o.quoted}" for field amount`,
  (o) => `Cannot read properties of undefined (reading 'total') in cart ${o.hexId}`,
  (o) => `Timeout of ${o.small}ms exceeded calling http://${o.ip}:${o.port}/health`,
];

function stackFor(o: Occurrence): string {
  return [
    'Error: whatever',
    `    at handleOrder (${o.dir}/src/orders/handler.ts:${o.line}:${o.column})`,
    `    at async Promise.all (index ${o.small % 5})`,
    `    at processTicksAndRejections (node:internal/process/task_queues:${o.line}:5)`,
    `    at OrderService.charge [as chargeCard] (file://${o.dir}/src/orders/service.js:${o.line}:${o.column})`,
    `    at Layer.handle (${o.dir}/node_modules/express/lib/router/layer.js:${o.line}:5)`,
    `    at main (${o.dir}/src/index.ts:${o.line}:${o.column})`,
  ].join('\n');
}

function reportFor(template: number, o: Occurrence, name = 'Error'): ErrorReport {
  return { name, message: TEMPLATES[template]!(o), stack: stackFor(o) };
}

describe('fnv1a64 / stableHash', () => {
  it('matches the published FNV-1a 64 test vectors', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });

  it('equals a BigInt reference implementation for any text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const expected = referenceFnv(
          text.replace(/[\ud800-\udfff]/g, (c, i: number, s: string) => {
            // lone surrogates are hashed as U+FFFD, like TextEncoder does
            const code = c.charCodeAt(0);
            const pairedHigh = code <= 0xdbff && /[\udc00-\udfff]/.test(s[i + 1] ?? '');
            const pairedLow = code >= 0xdc00 && /[\ud800-\udbff]/.test(s[i - 1] ?? '');
            return pairedHigh || pairedLow ? c : '\ufffd';
          }),
        );
        expect(fnv1a64(text)).toBe(expected);
        expect(stableHash(text)).toMatch(/^[0-9a-f]{16}$/);
      }),
    );
  });
});

describe('normalizeMessage', () => {
  it('replaces what varies with placeholders and keeps the rest', () => {
    expect(
      normalizeMessage(
        'User 12345 (550e8400-e29b-41d4-a716-446655440000) at 2024-01-02T10:00:00.123Z from 10.0.0.1:5432, mail bob@example.com',
      ),
    ).toBe('User <n> (<uuid>) at <ts> from <ip>:<port>, mail <email>');
    expect(normalizeMessage('GET https://api.example.com/v1/users/42/orders?x=1&token=abc#frag failed')).toBe(
      'GET https://api.example.com/v<n>/users/:id/orders failed',
    );
    expect(normalizeMessage('object 5f2b9c1e8a7d6f3b and 0xDEADBEEF')).toBe('object <id> and <id>');
    expect(normalizeMessage('Invalid value "abc 1" for field')).toBe('Invalid value "<str>" for field');
    expect(normalizeMessage('relation "users" does not exist')).toBe('relation "users" does not exist');
    expect(normalizeMessage("Cannot read properties of undefined (reading 'total')")).toBe(
      "Cannot read properties of undefined (reading 'total')",
    );
    expect(normalizeMessage('  many\n\n  spaces\tand Case  ')).toBe('many spaces and Case');
    expect(normalizeMessage('on Mon, 01 Jan 2024 10:00:00 GMT at 10:15:30 day 2024-01-02')).toBe(
      'on <ts> at <time> day <date>',
    );
    expect(normalizeMessage('connect to localhost:3000 and db.internal:5432')).toBe(
      'connect to localhost:<port> and db.internal:<port>',
    );
    expect(normalizeMessage('paid with [REDACTED_CARD]')).toBe('paid with <id>');
    // A masked token and an id left as is give one message (the masking depends on the token).
    expect(normalizeMessage('session [REDACTED] expired')).toBe(normalizeMessage('session 5f2b9c1e8a7d6f3b expired'));
  });

  it('never throws and stays bounded (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 6_000 }), (text) => {
        const out = normalizeMessage(text);
        expect(out.length).toBeLessThanOrEqual(1_000);
      }),
    );
  });
});

describe('topStackFrames', () => {
  it('keeps application frames as function@dir/file, skipping internals and node_modules', () => {
    const stack = [
      'Error: boom',
      '    at Object.handler (/home/alice/app/src/handlers/user.ts:10:5)',
      '    at async Promise.all (index 0)',
      '    at processTicksAndRejections (node:internal/process/task_queues:95:5)',
      '    at Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)',
      '    at new UserService (file:///srv/deploy/src/services/user.js:3:1)',
      '    at Array.map (<anonymous>)',
      '    at /srv/app/src/index.js:1:1',
      '    at C:\\deploy\\app\\src\\win.ts:1:2',
    ].join('\n');
    expect(topStackFrames(stack)).toEqual([
      'Object.handler@handlers/user.ts',
      'UserService@services/user.js',
      '<anonymous>@src/index.js',
    ]);
    expect(topStackFrames(stack, 5)).toEqual([
      'Object.handler@handlers/user.ts',
      'UserService@services/user.js',
      '<anonymous>@src/index.js',
      '<anonymous>@src/win.ts',
    ]);
    expect(
      topStackFrames(
        'fetchUser@https://cdn.example.com/assets/app.js?v=3:10:5\n@https://cdn.example.com/assets/vendor.js:1:1',
      ),
    ).toEqual(['fetchUser@assets/app.js', '<anonymous>@assets/vendor.js']);
    const sandboxed =
      'Error: x\n    at probeWorkflow (/srv/app/workflows/probe.ts:3:9)\n    at __TEMPORAL_CALL_INTO_SCOPE (evalmachine.<anonymous>:1:1)';
    expect(topStackFrames(sandboxed)).toEqual(['probeWorkflow@workflows/probe.ts']);
    expect(topStackFrames(undefined)).toEqual([]);
    expect(topStackFrames('Error: only a message with a@b.com')).toEqual([]);
  });

  it('reads a bounded part of huge stacks: a 10 MB one-line stack returns at once', () => {
    const oneLine = `Error: x    at f (${' ('.repeat(5_000_000)}`;
    expect(topStackFrames(oneLine)).toEqual([]);
    const report = { name: 'Error', message: oneLine, stack: oneLine };
    expect(errorSignature({ report, operation: 'op' }).signature).toMatch(/^[0-9a-f]{16}$/);
    // Frames past the first 64 KB are not read.
    const deep = `Error: x\n${'    at f (node:internal/x:1:1)\n'.repeat(3_000)}    at late (/srv/app/src/late.ts:1:1)`;
    expect(topStackFrames(deep)).toEqual([]);
  });

  it('does not change with the deploy folder or line numbers', () => {
    const a = 'Error: x\n    at f (/srv/release-1/src/a/b.ts:10:5)\n    at g (/srv/release-1/src/a/c.ts:20:1)';
    const b = 'Error: x\n    at f (/opt/release-2/src/a/b.ts:11:9)\n    at g (/opt/release-2/src/a/c.ts:25:3)';
    expect(topStackFrames(a)).toEqual(topStackFrames(b));
  });
});

describe('errorSignature', () => {
  it('is 16 hex chars; shortSignature keeps 8', () => {
    const { signature, normalizedMessage, frames } = errorSignature({
      report: { name: 'Error', message: 'Order 42 failed', stack: 'Error\n    at f (/a/b/c.ts:1:1)' },
      operation: 'orders.create',
    });
    expect(signature).toMatch(/^[0-9a-f]{16}$/);
    expect(shortSignature(signature)).toBe(signature.slice(0, 8));
    expect(normalizedMessage).toBe('Order <n> failed');
    expect(frames).toEqual(['f@b/c.ts']);
  });

  it('is stable across occurrences of one fault (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: TEMPLATES.length - 1 }),
        occurrence,
        occurrence,
        (template, first, second) => {
          const a = errorSignature({ report: reportFor(template, first), operation: 'orders.create' });
          const b = errorSignature({ report: reportFor(template, second), operation: 'orders.create' });
          expect(b.normalizedMessage).toBe(a.normalizedMessage);
          expect(b.frames).toEqual(a.frames);
          expect(b.signature).toBe(a.signature);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is stable through toErrorReport (sanitising first)', () => {
    fc.assert(
      fc.property(occurrence, occurrence, (first, second) => {
        const make = (o: Occurrence) => {
          const error = new Error(`charge ${o.big} for ${o.email} failed at ${o.at} with card 4111 1111 1111 1111`);
          error.stack = stackFor(o);
          return errorSignature({ report: toErrorReport(error), operation: 'pay' }).signature;
        };
        expect(make(second)).toBe(make(first));
      }),
    );
  });

  it('differs between faults, operations and error classes', () => {
    fc.assert(
      fc.property(occurrence, (o) => {
        const signatures = TEMPLATES.map(
          (_, i) => errorSignature({ report: reportFor(i, o), operation: 'op' }).signature,
        );
        expect(new Set(signatures).size).toBe(TEMPLATES.length);
        const base = errorSignature({ report: reportFor(0, o), operation: 'op' }).signature;
        expect(errorSignature({ report: reportFor(0, o), operation: 'other-op' }).signature).not.toBe(base);
        expect(errorSignature({ report: reportFor(0, o, 'TypeError'), operation: 'op' }).signature).not.toBe(base);
        expect(errorSignature({ report: { ...reportFor(0, o), code: 'E_X' }, operation: 'op' }).signature).not.toBe(
          base,
        );
        const otherFrame = { ...reportFor(0, o), stack: stackFor(o).replace('handleOrder', 'handleRefund') };
        expect(errorSignature({ report: otherFrame, operation: 'op' }).signature).not.toBe(base);
      }),
      { numRuns: 50 },
    );
    const sig = (message: string) => errorSignature({ report: { name: 'Error', message }, operation: 'op' }).signature;
    expect(sig('relation "users" does not exist')).not.toBe(sig('relation "orders" does not exist'));
    expect(sig("Cannot read properties of undefined (reading 'a')")).not.toBe(
      sig("Cannot read properties of undefined (reading 'b')"),
    );
    expect(sig('connect ECONNREFUSED')).not.toBe(sig('connect ECONNRESET'));
  });

  it('never throws for any report or thrown value (property)', () => {
    const report = fc.record(
      {
        name: fc.string(),
        message: fc.string({ unit: 'binary', maxLength: 5_000 }),
        stack: fc.string({ unit: 'binary', maxLength: 5_000 }),
        code: fc.string(),
        status: fc.integer(),
      },
      { requiredKeys: ['name', 'message'] },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          report,
          fc.anything().map((thrown) => toErrorReport(thrown)),
        ),
        fc.string(),
        (r, operation) => {
          const out = errorSignature({ report: r, operation });
          expect(out.signature).toMatch(/^[0-9a-f]{16}$/);
          expect(out.frames.length).toBeLessThanOrEqual(3);
        },
      ),
      { numRuns: 300 },
    );
  });
});
