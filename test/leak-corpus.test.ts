// The leak corpus: every planted secret of test/fixtures/leak-corpus.json, carried by errors,
// cause chains, strings, objects, Maps, Sets, class instances and buffers, checked in every
// channel that leaves the process: the error report, the sanitised context, the signature, the
// LLM request (at the fake OpenAI server), e-mail and SMS (at the fake Resend and Twilio servers),
// the Temporal history and the healing_events rows. Personal data (e-mail, phone) is checked where
// it must be masked: the LLM request, e-mail and SMS. Each planted value carries a witness word
// next to it: a channel counts as checked for a value only when its witness arrived there.
// Target: 0 survivors; the counts per channel are printed.
import { readFileSync } from 'node:fs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLlmDiagnoser, type LlmDiagnoserHandle } from '../activities/llm-diagnosis.js';
import { createNotificationActivities, type NotifyAdminsInput } from '../activities/notifications/index.js';
import { toErrorReport } from '../common/error-report.js';
import { sanitize } from '../common/sanitize.js';
import { errorSignature } from '../common/signature.js';
import { defaultOperationPolicy } from '../common/strategies/index.js';
import type { Diagnosis } from '../common/types.js';
import { getHealingEvents } from '../db/index.js';
import { startFakeOpenAi, type FakeOpenAi } from './support/fake-openai.js';
import { startFakeResend, type FakeResend } from './support/fake-resend.js';
import { startFakeTwilio, type FakeTwilio } from './support/fake-twilio.js';
import { historyText } from './support/history-text.js';
import { useTestSystem } from './support/use-test-system.js';

interface Corpus {
  text: Array<{ shape: string; text: string; cores: string[] }>;
  keyed: Array<{ shape: string; key: string; value: string }>;
  pii: Array<{ shape: string; text: string; cores: string[] }>;
}

const corpus = JSON.parse(readFileSync(new URL('./fixtures/leak-corpus.json', import.meta.url), 'utf8')) as Corpus;

/** One planted value: what throws it, what context carries it, what must never show. */
interface Planted {
  witness: string;
  shape: string;
  pii: boolean;
  cores: string[];
  /** Free text that carries it (the LLM is told to echo it as its root cause). */
  text: string;
  thrown: unknown;
  context: Record<string, unknown>;
}

class RequestLog {
  constructor(readonly detail: string) {}
}
class Settings {}

/** "leakaaa", "leakaab", …: letters only, so no rule and no normalisation touches it. */
function witnessOf(index: number): string {
  const letter = (n: number) => String.fromCharCode(97 + (n % 26));
  return `leak${letter(index / 676)}${letter(index / 26)}${letter(index)}`.replace(/NaN/g, 'a');
}

function withStack(error: Error, line: string): Error {
  const frames = `    at handler (/srv/app/src/${line}.ts:1:1)\n    at main (/srv/app/src/index.ts:2:2)`;
  error.stack = `${error.name}: ${error.message}\n${frames}`;
  return error;
}

/** Free text, in turn: message, cause chain, response body, Set, class instance, thrown string, stack and buffer,
 *  AggregateError. */
function plantText(witness: string, text: string, index: number): Pick<Planted, 'thrown' | 'context'> {
  switch (index % 8) {
    case 0:
      return { thrown: new Error(`${witness} ${text}`), context: { [witness]: { note: text } } };
    case 1:
      return {
        thrown: new Error(`${witness} failed`, { cause: new Error(text) }),
        context: { [witness]: { a: { b: { c: [text] } } } },
      };
    case 2:
      return {
        thrown: Object.assign(new Error(`${witness} ${text}`), { status: 502, response: { data: text } }),
        context: { [witness]: new Map([['detail', text]]) },
      };
    case 3:
      return { thrown: new TypeError(`${witness} ${text}`), context: { [witness]: new Set([text]) } };
    case 4:
      return {
        thrown: Object.assign(new Error(`${witness} ${text}`), { code: 'E_UPSTREAM' }),
        context: { [witness]: new RequestLog(text) },
      };
    case 5:
      return { thrown: `${witness} ${text}`, context: { [witness]: [1, text] } };
    case 6:
      return {
        thrown: withStack(new Error(`${witness} ${text}`), text),
        context: { [witness]: { body: Buffer.from(text), text } },
      };
    default:
      return {
        thrown: new AggregateError([new Error(text)], `${witness} batch failed`),
        context: { [witness]: { error: new Error(text) } },
      };
  }
}

/** A value under a secret-named key, in turn: object, Map, class instance, array, error property, headers, JSON
 *  text, nested Map. */
function plantKeyed(
  witness: string,
  key: string,
  value: string,
  index: number,
): Pick<Planted, 'thrown' | 'context' | 'text'> {
  const text = JSON.stringify({ [key]: value });
  const carriers: unknown[] = [
    { [key]: value },
    new Map([[key, value]]),
    Object.assign(new Settings(), { [key]: value }),
    [{ [key]: value }],
    Object.assign(new Error('rejected'), { [key]: value }),
    { config: { headers: { [key]: value } } },
    text,
    { nested: new Map([['inner', { [key]: value }]]) },
  ];
  return {
    text,
    thrown: new Error(`${witness} rejected ${text}`),
    context: { [witness]: carriers[index % carriers.length] },
  };
}

const planted: Planted[] = [
  ...corpus.text.map((entry, index) => {
    const witness = witnessOf(index);
    return {
      witness,
      shape: entry.shape,
      pii: false,
      cores: entry.cores,
      text: entry.text,
      ...plantText(witness, entry.text, index),
    };
  }),
  ...corpus.keyed.map((entry, index) => {
    const witness = witnessOf(corpus.text.length + index);
    return {
      witness,
      shape: entry.shape,
      pii: false,
      cores: [entry.value],
      ...plantKeyed(witness, entry.key, entry.value, index),
    };
  }),
  ...corpus.pii.map((entry, index) => {
    const witness = witnessOf(corpus.text.length + corpus.keyed.length + index);
    return {
      witness,
      shape: entry.shape,
      pii: true,
      cores: entry.cores,
      text: entry.text,
      ...plantText(witness, entry.text, 0),
    };
  }),
];
const secrets = planted.filter((entry) => !entry.pii);

/** A core shows as is, or (digit runs, IBANs) with its separators removed. */
function survivingCores(output: string, cores: string[]): string[] {
  const compact = output.replace(/[\s.\-\u00a0\u2007\u2009\u202f()+]/g, '');
  return cores.filter(
    (core) => output.includes(core) || (/^[A-Z0-9]{10,}$/.test(core) && /\d{6}/.test(core) && compact.includes(core)),
  );
}

const CHANNELS = [
  'error report',
  'sanitised context',
  'signature',
  'LLM request',
  'e-mail',
  'SMS',
  'Temporal history',
  'healing_events',
] as const;
type Channel = (typeof CHANNELS)[number];
/** Stored channels keep personal data on purpose (docs/security.md); the others must mask it. */
const PII_CHANNELS: ReadonlySet<Channel> = new Set(['LLM request', 'e-mail', 'SMS']);

interface Tally {
  planted: number;
  reached: number;
  survivors: string[];
}
const tallies = new Map<Channel, Tally>(
  CHANNELS.map((channel) => [channel, { planted: 0, reached: 0, survivors: [] }]),
);

/** Checks each entry against what one channel let out (`output` of that entry, or of its whole batch). */
function check(channel: Channel, entries: Planted[], output: string): void {
  const tally = tallies.get(channel)!;
  for (const entry of entries) {
    if (entry.pii && !PII_CHANNELS.has(channel)) continue;
    tally.planted += 1;
    if (output.includes(entry.witness)) tally.reached += 1;
    for (const core of survivingCores(output, entry.cores))
      tally.survivors.push(`${entry.shape} (${entry.witness}): ${core}`);
  }
}

const OPERATION = 'leak.corpus';
const ADMIN_EMAIL = 'ops@example.com';

/** The model's answer, echoing what it was shown as its root cause (a model may repeat a secret). */
function echoAnswer(text: string) {
  return {
    category: 'network' as const,
    severity: 'critical' as const,
    transient: true,
    rootCause: text,
    recommendedStrategy: 'RETRY_WITH_BACKOFF' as const,
    fallbackStrategies: null,
    confidence: 0.8,
    explanation: `The upstream said: ${text}`,
  };
}

function alertFor(id: string, errorMessage: string, diagnosis: Diagnosis | undefined): NotifyAdminsInput {
  return {
    notificationId: `${id}:failed`,
    workflowId: id,
    operation: OPERATION,
    signature: id,
    errorMessage,
    diagnosis,
    strategiesTried: ['RETRY_WITH_BACKOFF'],
    result: 'failed',
    reason: 'RETRY_WITH_BACKOFF: 3 attempts failed',
  };
}

/** One entry a line: a header's value runs to its line end, and must not swallow the next entry. */
function lines(pack: Planted[]): string {
  return pack.map((entry) => `${entry.witness} ${entry.text}`).join('\n');
}

/** Consecutive entries, at most `count` and `chars` of text per pack. */
function packs(entries: Planted[], chars: number, count: number): Planted[][] {
  const out: Planted[][] = [];
  let current: Planted[] = [];
  let length = 0;
  for (const entry of entries) {
    const size = entry.witness.length + entry.text.length + 3;
    // A private key cut before its END line is redacted to the end of the text: it closes its pack.
    const last = entry.shape === 'private-key:cut';
    if (current.length > 0 && (current.length >= count || length + size > chars || last)) {
      out.push(current);
      current = [];
      length = 0;
    }
    current.push(entry);
    length += size;
    if (last) {
      out.push(current);
      current = [];
      length = 0;
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** captureError starts its run in the background: wait until it exists, then for its result. */
async function resultOf(workflowId: string): Promise<unknown> {
  for (;;) {
    try {
      return await system.client.workflow.getHandle(workflowId).result();
    } catch (error) {
      if ((error as Error).name !== 'WorkflowNotFoundError') throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

let openai: FakeOpenAi;
let resend: FakeResend;
let twilio: FakeTwilio;
let llm: LlmDiagnoserHandle;

function notificationSettings() {
  return {
    temporalUiUrl: 'http://ui.leak.test:8233',
    smsMinSeverity: 'low' as const,
    email: { apiKey: 're_leak', baseUrl: resend.url, from: 'alerts@example.com', to: [ADMIN_EMAIL] },
    sms: {
      accountSid: `AC${'1e'.repeat(16)}`,
      authToken: 'tok',
      from: '+15550000000',
      to: ['+15551112222'],
      baseUrl: twilio.url,
    },
  };
}

beforeAll(async () => {
  [openai, resend, twilio] = await Promise.all([startFakeOpenAi(), startFakeResend(), startFakeTwilio()]);
  llm = createLlmDiagnoser({ apiKey: 'sk-leak', baseURL: openai.baseURL, model: 'fake-model', timeoutMs: 5_000 });
});

// Runs after the system has stopped (Vitest runs afterAll hooks in reverse).
afterAll(async () => {
  const rows = CHANNELS.map((channel) => {
    const tally = tallies.get(channel)!;
    return { channel, planted: tally.planted, reached: tally.reached, survivors: tally.survivors.length };
  });
  console.log(
    `leak corpus: ${secrets.length} planted secrets and ${planted.length - secrets.length} personal data values`,
  );
  console.table(rows);
  await Promise.all([openai?.close(), resend?.close(), twilio?.close()]);
});

// Without payload encryption: the history shows what a server would store.
const system = useTestSystem(() => ({
  activities: { analysis: { llm: llm.diagnose }, notifications: notificationSettings() },
}));

describe('leak corpus', () => {
  it('holds at least 300 planted secrets', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(300);
    expect(new Set(planted.map((entry) => entry.witness)).size).toBe(planted.length);
  });

  it('no planted secret survives the error report, the sanitised context or the signature', () => {
    for (const entry of planted) {
      const report = toErrorReport(entry.thrown);
      check('error report', [entry], JSON.stringify(report));
      check('sanitised context', [entry], JSON.stringify(sanitize(entry.context)));
      check('signature', [entry], JSON.stringify(errorSignature({ report, operation: OPERATION })));
    }
    for (const channel of ['error report', 'sanitised context', 'signature'] as const) {
      expect(tallies.get(channel)!.survivors).toEqual([]);
      expect(tallies.get(channel)!.reached).toBe(tallies.get(channel)!.planted);
    }
  });

  it('no planted secret or personal data reaches the LLM or an e-mail', { timeout: 120_000 }, async () => {
    // LLM and e-mail: a few entries per request, as many as their bounds show in full.
    const emailOnly = createNotificationActivities(system.database.db, { ...notificationSettings(), sms: undefined });
    for (const [index, pack] of packs(planted, 700, 6).entries()) {
      const text = lines(pack);
      openai.answerJson(echoAnswer(text));
      const report = toErrorReport(new Error(text));
      const diagnosis = await llm.diagnose({
        operation: OPERATION,
        signature: `leak-pack-${index}`,
        error: report,
        policy: defaultOperationPolicy(OPERATION),
        learned: [],
        context: sanitize(Object.assign({}, ...pack.map((entry) => entry.context))) as Record<string, unknown>,
      });
      expect(diagnosis?.source).toBe('llm');
      const request = openai.completionRequests().at(-1)!;
      const prompt = (JSON.parse(request.raw) as { messages: Array<{ content: string }> }).messages
        .map((m) => m.content)
        .join('\n');
      check('LLM request', pack, `${request.raw}\n${prompt}`);
      const id = `leak-pack-${index}`;
      await new MockActivityEnvironment().run(emailOnly.notifyAdmins, alertFor(id, report.message, diagnosis));
      const email = resend.delivered.find((sent) => sent.idempotencyKey === `${id}:failed:email`);
      check('e-mail', pack, JSON.stringify({ subject: email?.subject, text: email?.text }));
    }
    for (const channel of ['LLM request', 'e-mail'] as const) {
      expect(tallies.get(channel)!.survivors).toEqual([]);
      expect(tallies.get(channel)!.reached).toBe(tallies.get(channel)!.planted);
    }
  });

  // The slowest part: an SMS shows 120 characters of the root cause, so about 210 notifications
  // go through the notifier and PostgreSQL (0.1–0.2 s each on a loaded 2-core machine).
  it('no planted secret or personal data reaches an SMS', { timeout: 300_000 }, async () => {
    const smsOnly = createNotificationActivities(system.database.db, { ...notificationSettings(), email: undefined });
    const env = new MockActivityEnvironment();
    const smsPacks = packs(planted, 118, 6);
    for (let start = 0; start < smsPacks.length; start += 8) {
      await Promise.all(
        smsPacks.slice(start, start + 8).map(async (pack, offset) => {
          const id = `leak-sms-${start + offset}`;
          const diagnosis: Diagnosis = { ...echoAnswer(lines(pack)), fallbackStrategies: [], source: 'llm' };
          await env.run(smsOnly.notifyAdmins, alertFor(id, lines(pack), diagnosis));
          check(
            'SMS',
            pack,
            twilio.delivered.find((sent) => sent.idempotencyKey?.startsWith(`${id}:failed:sms`))?.body ?? '',
          );
        }),
      );
    }
    expect(tallies.get('SMS')!.survivors).toEqual([]);
    expect(tallies.get('SMS')!.reached).toBe(tallies.get('SMS')!.planted);
  });

  it('no planted secret reaches the Temporal history or the healing_events rows', { timeout: 120_000 }, async () => {
    openai.reset();
    resend.reset();
    twilio.reset();
    // Many secrets per run: each run's context carries a batch, its error the batch's texts.
    const batches: Planted[][] = [];
    for (let start = 0; start < secrets.length; start += 40) batches.push(secrets.slice(start, start + 40));
    for (const batch of batches) openai.answerJson(echoAnswer(`${batch[0]!.witness} ${batch[0]!.text}`));
    const runs = batches.map((batch, index) => {
      const thrown = new Error(`batch ${index}:\n${lines(batch)}`);
      const context = Object.assign({}, ...batch.map((entry) => entry.context)) as Record<string, unknown>;
      return {
        batch,
        workflowId: system.healer.captureError(thrown, { operation: `${OPERATION}.${index}`, ...context })!,
      };
    });
    await Promise.all(runs.map((run) => resultOf(run.workflowId)));
    for (const [index, run] of runs.entries()) {
      check('Temporal history', run.batch, await historyText(system.client, run.workflowId));
      const { rows } = await getHealingEvents(system.database.db, { operation: `${OPERATION}.${index}` });
      expect(rows).toHaveLength(1);
      check('healing_events', run.batch, JSON.stringify(rows));
    }
    // What these runs sent out is checked too (their witnesses are counted above).
    const sent = [
      ...openai.requests.map((request) => request.raw),
      ...resend.delivered.map((email) => `${email.subject}\n${email.text}`),
      ...twilio.delivered.map((sms) => sms.body),
    ].join('\n');
    expect(secrets.flatMap((entry) => survivingCores(sent, entry.cores))).toEqual([]);
    for (const channel of ['Temporal history', 'healing_events'] as const) {
      expect(tallies.get(channel)!.survivors).toEqual([]);
      expect(tallies.get(channel)!.reached).toBe(tallies.get(channel)!.planted);
    }
  });
});
