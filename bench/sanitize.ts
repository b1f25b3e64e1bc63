// Benchmark: the cost of secret redaction on 10 MB of input, each subject beside a reference over
// the same input in the same process (ratios, CPU time of this process, median of paired rounds):
//   - sanitizeText on 10 MB of log-like text, every character scanned, vs one regex pass and JSON.stringify;
//   - sanitize on a 10 MB object, with the default limits (what the client does) and with limits that keep everything;
//   - the Node-side pass for outgoing text (secretlint + personal data), on the same 10 MB;
//   - topStackFrames / errorSignature on a 10 MB one-line stack vs splitting it into lines;
// and how often random tokens of each alphabet are recognised as random (2,000 of each).
import { randomBytes } from 'node:crypto';
import { sanitize, sanitizeText } from '../common/sanitize.js';
import { looksRandom } from '../common/secrets/random-token.js';
import { errorSignature, topStackFrames } from '../common/signature.js';
import { scrubOutgoingText } from '../lib/outgoing-text.js';
import { fmt, median, table } from './lib/stats.js';

const TEN_MB = 10 * 1024 * 1024;

const LINES = [
  'GET https://api.example.com/v1/orders/{n}?page=2&token=tok_{n}abc returned 503 after 1200 ms',
  'connect ECONNREFUSED 10.0.0.{n}:5432 while saving order {n} for customer bob@example.com',
  'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ{n}In0.c2lnbmF0dXJl{n}',
  'config: {"user":"svc","password":"Hunter{n}!","retries":3,"region":"eu-west-1"}',
  'payment declined for card 4111 1111 1111 1111 (order {n}), upstream said: insufficient funds',
  "TypeError: Cannot read properties of undefined (reading 'total') at handleOrder (/srv/app/src/orders.ts:{n}:5)",
  'session q8Zt2XbL9mN4pR7sV1wY3kJ6 expired for request 550e8400-e29b-41d4-a716-446655440000',
  'relation "orders" does not exist; statement: select * from orders where id = {n}',
];

function logText(size: number): string {
  const parts: string[] = [];
  let length = 0;
  for (let n = 0; length < size; n++) {
    const line = LINES[n % LINES.length]!.replaceAll('{n}', String(n));
    parts.push(line);
    length += line.length + 1;
  }
  return parts.join('\n').slice(0, size);
}

function logObject(size: number): Record<string, unknown> {
  const text = logText(size);
  const entries: Record<string, unknown> = {};
  const chunk = 10_000;
  for (let i = 0; i * chunk < text.length; i++) {
    entries[`entry${i}`] = {
      message: text.slice(i * chunk, (i + 1) * chunk),
      attempt: i,
      password: `pw-${i}`,
      tags: ['a', 'b'],
    };
  }
  return entries;
}

/** CPU milliseconds of this process while `run` (sync or async) runs. */
async function cpuMs(run: () => unknown): Promise<number> {
  const start = process.cpuUsage();
  await run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1_000;
}

interface Row {
  subject: string;
  reference: string;
  subjectMs: number;
  referenceMs: number;
  ratio: number;
}

/** Median over rounds of subject and reference measured side by side (order alternating). */
async function paired(
  subject: string,
  reference: string,
  run: () => unknown,
  base: () => unknown,
  rounds: number,
): Promise<Row> {
  const subjectTimes: number[] = [];
  const referenceTimes: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    let subjectMs: number;
    let referenceMs: number;
    if (round % 2 === 0) {
      subjectMs = await cpuMs(run);
      referenceMs = await cpuMs(base);
    } else {
      referenceMs = await cpuMs(base);
      subjectMs = await cpuMs(run);
    }
    subjectTimes.push(subjectMs);
    referenceTimes.push(referenceMs);
    ratios.push(subjectMs / Math.max(referenceMs, 0.001));
  }
  return {
    subject,
    reference,
    subjectMs: median(subjectTimes),
    referenceMs: median(referenceTimes),
    ratio: median(ratios),
  };
}

function detectionRates(samples: number): Array<[string, string]> {
  const alphabet = (chars: string) => (length: number) =>
    [...randomBytes(length)].map((byte) => chars[byte % chars.length]).join('');
  const base62 = alphabet('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');
  const base36 = alphabet('abcdefghijklmnopqrstuvwxyz0123456789');
  const kinds: Array<[string, () => string]> = [
    ['hex, 32 chars', () => randomBytes(16).toString('hex')],
    ['base64url, 32 chars', () => randomBytes(24).toString('base64url')],
    ['base64, 44 chars', () => randomBytes(33).toString('base64')],
    ['base62, 20 chars', () => base62(20)],
    ['base62, 32 chars', () => base62(32)],
    ['base36, 20 chars', () => base36(20)],
    ['base36, 32 chars', () => base36(32)],
  ];
  return kinds.map(([name, make]) => {
    let found = 0;
    for (let i = 0; i < samples; i++) if (looksRandom(make())) found++;
    return [name, `${fmt((100 * found) / samples)} %`];
  });
}

export async function benchSanitize(options: { rounds: number }): Promise<string> {
  const text = logText(TEN_MB);
  const object = logObject(TEN_MB);
  const stack = `Error: boom\n    at f (${'a ('.repeat(TEN_MB / 3)}`;
  const all = {
    maxDepth: 8,
    maxKeys: 100_000,
    maxArrayLength: 100_000,
    maxStringLength: 10_000_000,
    maxTotalSize: 100_000_000,
  };
  const regexPass = () => text.match(/[A-Za-z0-9_+=-]{20,}/g)?.length;
  const textJson = () => JSON.stringify(text);
  const objectJson = () => JSON.stringify(object);
  const splitStack = () => stack.split('\n');
  const signatureOfStack = () => [
    topStackFrames(stack),
    errorSignature({ report: { name: 'Error', message: stack, stack }, operation: 'op' }),
  ];
  type Case = [subject: string, reference: string, run: () => unknown, base: () => unknown];
  const cases: Case[] = [
    ['sanitizeText(10 MB text, keep all)', 'one regex pass', () => sanitizeText(text, TEN_MB), regexPass],
    ['sanitizeText(10 MB text, keep all)', 'JSON.stringify(text)', () => sanitizeText(text, TEN_MB), textJson],
    ['sanitize(10 MB object), default limits', 'JSON.stringify(object)', () => sanitize(object), objectJson],
    ['sanitize(10 MB object), keep all', 'JSON.stringify(object)', () => sanitize(object, all), objectJson],
    ['scrubOutgoingText(10 MB), secretlint + PII', 'one regex pass', () => scrubOutgoingText(text), regexPass],
    ['topStackFrames + errorSignature(10 MB one-line stack)', "split('\\n')", signatureOfStack, splitStack],
  ];
  const rows: Row[] = [];
  for (const [subject, reference, run, base] of cases) {
    rows.push(await paired(subject, reference, run, base, options.rounds));
  }
  return [
    '## 9. Secret redaction (sanitize)',
    '',
    `CPU time of this process, median of ${options.rounds} rounds; each subject measured right next to its ` +
      'reference over the same 10 MB input (log-like text with URLs, tokens, JSON, cards, e-mail addresses). ' +
      '"keep all" raises the limits so every character is scanned and kept; the default limits are what the ' +
      'client applies (32 KB out).',
    '',
    table(
      ['subject', 'ms', 'reference', 'ms', 'ratio'],
      rows.map((row) => [row.subject, fmt(row.subjectMs), row.reference, fmt(row.referenceMs), fmt(row.ratio, 1)]),
    ),
    '',
    'Random tokens recognised by `looksRandom` (2,000 of each; the rest are masked only when a rule or a key ' +
      'names them):',
    '',
    table(['token', 'recognised'], detectionRates(2_000)),
  ].join('\n');
}
