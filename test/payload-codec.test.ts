// Payload encryption end to end: the AES-256-GCM codec (keys, rotation, tampering), real healing
// runs on the suite's dev server whose stored history carries no readable error context, and the
// codec endpoint the Temporal UI uses, with and without its token.
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { ApplicationFailure, type Payload } from '@temporalio/common';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SelfHealing } from '../client/self-healing.js';
import type { AppActivities } from '../common/healing-contract.js';
import { payloadsToJson, startCodecServer, withLoopbackTwins, type CodecServer } from '../lib/codec-server.js';
import { ConfigError } from '../lib/config.js';
import {
  AesGcmPayloadCodec,
  DEFAULT_KEY_ID,
  ENCRYPTED_ENCODING,
  PayloadDecryptionError,
  dataConverterFromEnv,
  encryptingDataConverter,
  parseEncryptionKeys,
  type EncryptionKey,
} from '../lib/payload-codec.js';
import { connectNative, startTestSystem, type TestSystem } from './support/system.js';
import { connectToDevServer } from './support/temporal.js';
import { readable } from './support/history-text.js';

const text = new TextEncoder();
const utf8 = new TextDecoder();
const key = (id: string): EncryptionKey => ({ id, key: randomBytes(32) });
const jsonPayload = (value: unknown): Payload => ({
  metadata: { encoding: text.encode('json/plain') },
  data: text.encode(JSON.stringify(value)),
});
const payloadText = (payload: Payload) => utf8.decode(payload.data ?? new Uint8Array());

describe('AesGcmPayloadCodec', () => {
  it('round-trips payloads, leaving no plaintext and never reusing a nonce', async () => {
    const codec = new AesGcmPayloadCodec([key('k1')]);
    const original = jsonPayload({ message: 'card 4111 declined for alice@example.com' });
    const [first] = await codec.encode([original]);
    const [second] = await codec.encode([original]);
    expect(utf8.decode(first!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(utf8.decode(first!.metadata!['encryption-key-id'])).toBe('k1');
    expect(Buffer.from(first!.data!).toString('latin1')).not.toContain('alice');
    expect(Buffer.from(first!.data!).equals(Buffer.from(second!.data!))).toBe(false);
    const [decoded] = await codec.decode([first!]);
    expect(payloadText(decoded!)).toBe(payloadText(original));
    expect(utf8.decode(decoded!.metadata!.encoding)).toBe('json/plain');
  });

  it('passes payloads that were never encrypted through decode unchanged', async () => {
    const codec = new AesGcmPayloadCodec([key('k1')]);
    const plain = jsonPayload('from before encryption was turned on');
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('rotates keys: the first encrypts, every listed key decrypts, a removed key is named', async () => {
    const k1 = key('k1');
    const k2 = key('k2');
    const [old] = await new AesGcmPayloadCodec([k1]).encode([jsonPayload('old')]);
    const rotated = new AesGcmPayloadCodec([k2, k1]);
    expect(payloadText((await rotated.decode([old!]))[0]!)).toBe('"old"');
    const [fresh] = await rotated.encode([jsonPayload('new')]);
    expect(utf8.decode(fresh!.metadata!['encryption-key-id'])).toBe('k2');
    const onlyNew = new AesGcmPayloadCodec([k2]);
    await expect(onlyNew.decode([old!])).rejects.toThrow(PayloadDecryptionError);
    await expect(onlyNew.decode([old!])).rejects.toThrow(/"k1"/);
  });

  it('refuses tampered data and a relabelled key id', async () => {
    const k1 = key('k1');
    const k2 = { id: 'k2', key: k1.key }; // same material, other id: the id is authenticated too
    const codec = new AesGcmPayloadCodec([k1, k2]);
    const [sealed] = await codec.encode([jsonPayload('x')]);
    const flipped = Buffer.from(sealed!.data!);
    flipped[20] = flipped[20]! ^ 1;
    await expect(codec.decode([{ ...sealed!, data: flipped }])).rejects.toThrow(PayloadDecryptionError);
    const relabelled = { ...sealed!, metadata: { ...sealed!.metadata, 'encryption-key-id': text.encode('k2') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(PayloadDecryptionError);
    await expect(codec.decode([{ ...sealed!, data: new Uint8Array(8) }])).rejects.toThrow(/truncated/);
  });
});

describe('encryption keys from the environment', () => {
  const b64 = (bytes = 32) => randomBytes(bytes).toString('base64');

  it('reads one key or an id:key list, the first one encrypting', () => {
    expect(parseEncryptionKeys({})).toEqual([]);
    expect(dataConverterFromEnv({})).toBeUndefined();
    expect(parseEncryptionKeys({ PAYLOAD_ENCRYPTION_KEY: b64() }).map((k) => k.id)).toEqual([DEFAULT_KEY_ID]);
    const urlSafe = randomBytes(32).toString('base64url');
    expect(parseEncryptionKeys({ PAYLOAD_ENCRYPTION_KEY: urlSafe })[0]!.key.toString('base64url')).toBe(urlSafe);
    expect(
      parseEncryptionKeys({ PAYLOAD_ENCRYPTION_KEYS: ` k2:${b64()} , default:${b64()} ` }).map((k) => k.id),
    ).toEqual(['k2', DEFAULT_KEY_ID]);
    const converter = dataConverterFromEnv({ PAYLOAD_ENCRYPTION_KEY: b64() })!;
    expect(converter.payloadCodecs).toHaveLength(1);
    expect(converter.failureConverterPath).toMatch(/encrypted-failure-converter\.cjs$/);
  });

  it('rejects malformed keys with one line that names the variable and shows no key', () => {
    const short = b64(16);
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ PAYLOAD_ENCRYPTION_KEY: short }, /PAYLOAD_ENCRYPTION_KEY must decode to 32 bytes, got 16/],
      [{ PAYLOAD_ENCRYPTION_KEY: 'not base64!' }, /PAYLOAD_ENCRYPTION_KEY must be base64/],
      [{ PAYLOAD_ENCRYPTION_KEY: b64(), PAYLOAD_ENCRYPTION_KEYS: `a:${b64()}` }, /not both/],
      [{ PAYLOAD_ENCRYPTION_KEYS: b64() }, /id:base64/],
      [{ PAYLOAD_ENCRYPTION_KEYS: `a b:${b64()}` }, /id:base64/],
      [{ PAYLOAD_ENCRYPTION_KEYS: `a:${b64()},a:${b64()}` }, /"a" twice/],
      [{ PAYLOAD_ENCRYPTION_KEYS: `a:${short}` }, /key "a"\) must decode to 32 bytes/],
    ];
    for (const [env, message] of cases) {
      const error = (() => {
        try {
          parseEncryptionKeys(env);
        } catch (caught) {
          return caught as Error;
        }
        throw new Error(`accepted ${JSON.stringify(env)}`);
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain(short);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Real healing runs on the dev server.

/** A marker that must never be readable in Temporal's stored history. */
const PLANTED = `Quokka${randomBytes(6).toString('hex')}Marmot`;

let system: TestSystem;
let encrypted: Client;
let plain: Client;
let connection: NativeConnection;
let appWorker: Worker;
let appWorkerRun: Promise<void>;
let healer: SelfHealing;
const codec = new AesGcmPayloadCodec([key('test-2'), key('test-1')]);
const dataConverter = encryptingDataConverter(codec);
const appRuns: string[] = [];

beforeAll(async () => {
  const dev = await connectToDevServer();
  plain = dev.client;
  encrypted = new Client({ connection: dev.connection, dataConverter });
  connection = await connectNative(dev.address);
  system = await startTestSystem({ client: encrypted, connection, dataConverter });
  // The application side of these runs: its own task queue, served by a worker with the same
  // data converter, whose operation always fails with the planted text in its message.
  const appTaskQueue = `${system.taskQueue}-encrypted-app`;
  const failing: AppActivities = {
    async runOperation({ operation }) {
      appRuns.push(operation);
      throw ApplicationFailure.create({ message: `gateway refused charge for ${PLANTED}`, nonRetryable: true });
    },
    async readCachedResult() {
      return null;
    },
    async runOperationHook() {
      throw new Error(`hook failed for ${PLANTED}`);
    },
  };
  appWorker = await Worker.create({ connection, taskQueue: appTaskQueue, activities: failing, dataConverter });
  appWorkerRun = appWorker.run();
  healer = new SelfHealing(encrypted, { taskQueue: system.taskQueue, appTaskQueue });
});

afterAll(async () => {
  if (appWorker?.getState() === 'RUNNING') appWorker.shutdown();
  await appWorkerRun;
  await system?.stop();
  await connection?.close();
});

async function started(workflowId: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await plain.workflow.getHandle(workflowId).describe();
      return;
    } catch (error) {
      if (attempt > 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** A deep copy with every byte field read as UTF-8 (proto messages' own toJSON would base64 them). */
/** The history as stored, as text in which any plaintext payload would show. */
async function storedHistory(workflowId: string) {
  const history = await plain.workflow.getHandle(workflowId).fetchHistory();
  const asText = JSON.stringify(readable(history));
  // Control: the SDK's own unencrypted local-activity markers are readable in this text.
  expect(asText).toContain('activity_type');
  return { history, asText };
}

/** Every payload anywhere in the history (inputs, results, failures' encoded attributes, summaries). */
function payloadsIn(value: unknown, found: Payload[] = []): Payload[] {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return found;
  const candidate = value as Payload;
  if (
    candidate.metadata &&
    typeof candidate.metadata === 'object' &&
    candidate.metadata.encoding instanceof Uint8Array
  ) {
    found.push(candidate);
    return found;
  }
  for (const item of Array.isArray(value) ? value : Object.values(value)) payloadsIn(item, found);
  return found;
}

/**
 * Decrypts every encrypted payload of the history. The only plaintext payloads allowed are
 * search attributes (indexed, by design) and the SDK's local-activity marker bookkeeping.
 */
async function decodedText(history: unknown): Promise<string> {
  const payloads = payloadsIn(history);
  const encrypted = payloads.filter((payload) => utf8.decode(payload.metadata!.encoding) === ENCRYPTED_ENCODING);
  expect(encrypted.length).toBeGreaterThan(3);
  for (const payload of payloads.filter((item) => !encrypted.includes(item))) {
    const isSearchAttribute = Boolean(payload.metadata!.type);
    const isMarkerBookkeeping = /^\{"seq":\d+,"attempt":\d+,"activity_id"/.test(payloadText(payload));
    expect(isSearchAttribute || isMarkerBookkeeping, `plaintext payload: ${payloadText(payload).slice(0, 80)}`).toBe(
      true,
    );
  }
  return (await codec.decode(encrypted)).map(payloadText).join('\n');
}

describe('healing runs with payload encryption', () => {
  let capturedId: string;
  let failedId: string;

  it('keeps a reported error unreadable in history, and readable with the key', async () => {
    const error = Object.assign(new Error(`ledger write failed for ${PLANTED}`), { code: 'ECONNRESET' });
    capturedId = healer.captureError(error, { operation: 'billing.ledger', customer: `${PLANTED}-customer` })!;
    expect(capturedId).toBeTypeOf('string');
    await started(capturedId); // captureError starts the run in the background
    const summary = await encrypted.workflow.getHandle(capturedId).result();
    expect(summary).toMatchObject({ result: 'skipped' });

    const { history, asText } = await storedHistory(capturedId);
    expect(asText).not.toContain(PLANTED);
    expect(asText).toContain(ENCRYPTED_ENCODING);
    const decoded = await decodedText(history);
    expect(decoded).toContain(`ledger write failed for ${PLANTED}`);
    expect(decoded).toContain(`${PLANTED}-customer`);
    // The workflow's summary in the UI list (user metadata) is encrypted too.
    expect(utf8.decode(history.events![0]!.userMetadata!.summary!.metadata!.encoding!)).toBe(ENCRYPTED_ENCODING);
  });

  it('encrypts failure messages: the operation failing again leaves only "Encoded failure" in history', async () => {
    const charge = healer.withSelfHealing(
      'billing.charge',
      async (card: string) => {
        throw Object.assign(new Error(`upstream reset while charging ${card}`), { code: 'ECONNRESET' });
      },
      { allowedStrategies: ['RETRY_WITH_BACKOFF'], timing: { maximumAttempts: 1 } },
    );
    const failure = (await charge(`card-of-${PLANTED}`).catch((error: unknown) => error)) as Error & {
      healingWorkflowId?: string;
      healingOutcome?: string;
    };
    expect(failure.message).toContain(PLANTED); // the caller still sees its own error
    expect(failure.healingOutcome).toBe('failed');
    failedId = failure.healingWorkflowId!;
    await encrypted.workflow.getHandle(failedId).result();
    expect(appRuns).toContain('billing.charge');

    const { history, asText } = await storedHistory(failedId);
    expect(asText).not.toContain(PLANTED);
    const failed = history.events?.find((event) => event.activityTaskFailedEventAttributes)
      ?.activityTaskFailedEventAttributes?.failure;
    expect(failed?.message).toBe('Encoded failure');
    expect(failed?.stackTrace ?? '').toBe('');
    const decoded = await decodedText(history);
    expect(decoded).toContain(`gateway refused charge for ${PLANTED}`);
    expect(decoded).toContain(`upstream reset while charging card-of-${PLANTED}`);
  });

  it('is unreadable to a client without the key, readable to one with it', async () => {
    await expect(plain.workflow.getHandle(failedId).result()).rejects.toThrow();
    await expect(encrypted.workflow.getHandle(failedId).result()).resolves.toMatchObject({ result: 'failed' });
    const described = await encrypted.workflow.getHandle(capturedId).describe();
    expect(await described.staticDetails()).toContain(PLANTED); // the error's message is in the run's details
  });

  describe('the codec endpoint for the Temporal UI', () => {
    const TOKEN = `tok-${randomUUID()}`;
    const UI = 'http://localhost:8080';
    let server: CodecServer;
    let storedInput: { payloads: Array<{ metadata: Record<string, string>; data: string }> };

    beforeAll(async () => {
      server = await startCodecServer({ codec, port: 0, token: TOKEN, corsOrigins: withLoopbackTwins([UI]) });
      // Exactly what the UI posts: the stored workflow input, in protobuf JSON.
      const { history } = await storedHistory(capturedId);
      storedInput = payloadsToJson(
        history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!,
      ) as typeof storedInput;
    });

    afterAll(async () => {
      await server?.close();
    });

    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', Origin: UI, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });

    it('decodes stored payloads for an authorised operator', async () => {
      expect(JSON.stringify(storedInput)).not.toContain(PLANTED);
      const response = await post('/decode', storedInput, { Authorization: `Bearer ${TOKEN}` });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe(UI);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const { payloads } = (await response.json()) as typeof storedInput;
      expect(payloads).toHaveLength(storedInput.payloads.length);
      const first = payloads[0]!;
      expect(Buffer.from(first.metadata.encoding!, 'base64').toString()).toBe('json/plain');
      expect(Buffer.from(first.data, 'base64').toString()).toContain(`ledger write failed for ${PLANTED}`);
    });

    it('refuses requests without the token or with a wrong one, revealing nothing', async () => {
      for (const headers of [{}, { Authorization: 'Bearer nope' }, { Authorization: `Bearer ${TOKEN}x` }] as Array<
        Record<string, string>
      >) {
        const response = await post('/decode', storedInput, headers);
        expect(response.status).toBe(401);
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(await response.text()).not.toContain(PLANTED);
      }
      expect((await post('/encode', { payloads: [] })).status).toBe(401);
    });

    it('encodes what it decodes, and answers the browser preflight for the UI origin only', async () => {
      const auth = { Authorization: TOKEN }; // the bare token works too (temporal --codec-auth)
      const original = {
        payloads: [
          {
            metadata: { encoding: Buffer.from('json/plain').toString('base64') },
            data: Buffer.from('"hello"').toString('base64'),
          },
        ],
      };
      const encoded = (await (await post('/encode', original, auth)).json()) as typeof storedInput;
      expect(Buffer.from(encoded.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
      expect(Buffer.from(encoded.payloads[0]!.metadata['encryption-key-id']!, 'base64').toString()).toBe('test-2');
      const decoded = (await (await post('/decode', encoded, auth)).json()) as typeof storedInput;
      expect(decoded).toEqual(original);

      const preflight = (origin: string) =>
        fetch(`${server.url}/decode`, {
          method: 'OPTIONS',
          headers: {
            Origin: origin,
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'authorization,content-type,x-namespace',
          },
        });
      const allowed = await preflight('http://127.0.0.1:8080');
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8080');
      expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      const other = await preflight('https://evil.example');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('refuses to listen beyond loopback without a token', async () => {
      await expect(startCodecServer({ codec, port: 0, host: '0.0.0.0' })).rejects.toThrow(
        'a token is required: the codec endpoint would listen on 0.0.0.0, not a loopback address',
      );
      const blankToken = startCodecServer({ codec, port: 0, host: '::', token: '  ' });
      await expect(blankToken).rejects.toThrow('a token is required');
      for (const options of [{ host: '0.0.0.0', token: TOKEN }, { host: '127.0.0.1' }, { host: 'localhost' }]) {
        const started = await startCodecServer({ codec, port: 0, ...options });
        await started.close();
      }
    });

    it('answers malformed requests with a client error', async () => {
      const auth = { Authorization: `Bearer ${TOKEN}` };
      expect((await post('/decode', '{not json', auth)).status).toBe(400);
      expect((await post('/decode', { payloads: 'x' }, auth)).status).toBe(400);
      expect((await post('/other', { payloads: [] }, auth)).status).toBe(404);
      const foreign = await new AesGcmPayloadCodec([key('elsewhere')]).encode([jsonPayload(1)]);
      const undecodable = await post(
        '/decode',
        {
          payloads: foreign.map((p) => ({
            metadata: {
              encoding: Buffer.from(p.metadata!.encoding!).toString('base64'),
              'encryption-key-id': Buffer.from(p.metadata!['encryption-key-id']!).toString('base64'),
            },
            data: Buffer.from(p.data!).toString('base64'),
          })),
        },
        auth,
      );
      expect(undecodable.status).toBe(422);
      expect(await undecodable.text()).toContain('elsewhere');
    });
  });
});
