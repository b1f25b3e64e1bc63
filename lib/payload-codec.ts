// Optional end-to-end encryption of everything the system stores in Temporal: workflow and
// activity inputs and results (error messages, stack traces, context), failure messages,
// workflow summaries and memos. Temporal's database and its UI then hold only ciphertext;
// the codec endpoint (lib/codec-server.ts) decrypts for operators who are allowed to see it.
//
// AES-256-GCM, a fresh 96-bit nonce per payload. The id of the key that encrypted a payload is
// stored in its metadata, so keys can rotate: the first configured key encrypts, every
// configured key decrypts. Codecs run in the worker and client processes, outside the workflow
// sandbox, so node:crypto is fine here.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
// CommonJS package: a named import fails under Node's ESM loader, the default import works everywhere.
import proto from '@temporalio/proto';
import { ConfigError } from './config.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_ENCODING = 'encoding';
export const METADATA_KEY_ID = 'encryption-key-id';
export const METADATA_CIPHER = 'encryption-cipher';
export const CIPHER = 'AES-256-GCM';
/** Id of the key given as PAYLOAD_ENCRYPTION_KEY (the single-key form). */
export const DEFAULT_KEY_ID = 'default';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** CommonJS module exporting a failure converter that puts messages and stacks into (encrypted) payloads. */
export const ENCRYPTED_FAILURE_CONVERTER_PATH = fileURLToPath(
  new URL('./encrypted-failure-converter.cjs', import.meta.url),
);

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export interface EncryptionEnv {
  /** One key, base64 of 32 bytes (id "default"). */
  PAYLOAD_ENCRYPTION_KEY?: string;
  /** Several keys for rotation, `id1:base64,id2:base64`: the first encrypts, all decrypt. */
  PAYLOAD_ENCRYPTION_KEYS?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function decodeKey(name: string, value: string): Buffer {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    throw new ConfigError(`Invalid configuration: ${name} must be base64 (e.g. \`openssl rand -base64 32\`)`);
  }
  const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new ConfigError(
      `Invalid configuration: ${name} must decode to ${KEY_BYTES} bytes, got ${key.length} (generate one with \`openssl rand -base64 32\`)`,
    );
  }
  return key;
}

/** The configured keys, the encrypting one first; empty when encryption is off. Throws ConfigError. */
export function parseEncryptionKeys(env: EncryptionEnv = process.env): EncryptionKey[] {
  const single = env.PAYLOAD_ENCRYPTION_KEY?.trim();
  const many = env.PAYLOAD_ENCRYPTION_KEYS?.trim();
  if (single && many) {
    throw new ConfigError(
      `Invalid configuration: set PAYLOAD_ENCRYPTION_KEY or PAYLOAD_ENCRYPTION_KEYS, not both (to rotate, list the old key as "${DEFAULT_KEY_ID}:<base64>" after the new one)`,
    );
  }
  if (single) return [{ id: DEFAULT_KEY_ID, key: decodeKey('PAYLOAD_ENCRYPTION_KEY', single) }];
  if (!many) return [];
  const keys: EncryptionKey[] = [];
  for (const entry of many
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon).trim() : '';
    if (!KEY_ID_PATTERN.test(id)) {
      throw new ConfigError(
        'Invalid configuration: PAYLOAD_ENCRYPTION_KEYS entries must be id:base64 with ids of letters, digits, _ . - (e.g. k2:…,k1:…)',
      );
    }
    if (keys.some((known) => known.id === id))
      throw new ConfigError(`Invalid configuration: PAYLOAD_ENCRYPTION_KEYS lists key id "${id}" twice`);
    keys.push({ id, key: decodeKey(`PAYLOAD_ENCRYPTION_KEYS (key "${id}")`, entry.slice(colon + 1)) });
  }
  if (keys.length === 0) throw new ConfigError('Invalid configuration: PAYLOAD_ENCRYPTION_KEYS has no keys');
  return keys;
}

/** A payload that cannot be decrypted here (unknown key, tampered or truncated data). */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;
  readonly encryptionKeyId: string;

  constructor(keys: readonly EncryptionKey[]) {
    const [first] = keys;
    if (!first) throw new ConfigError('Invalid configuration: payload encryption needs at least one key');
    for (const { id, key } of keys) {
      if (!KEY_ID_PATTERN.test(id)) throw new ConfigError(`Invalid configuration: bad encryption key id "${id}"`);
      if (key.length !== KEY_BYTES)
        throw new ConfigError(`Invalid configuration: encryption key "${id}" must be ${KEY_BYTES} bytes`);
    }
    this.keys = new Map(keys.map(({ id, key }) => [id, Buffer.from(key)]));
    this.encryptionKeyId = first.id;
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decrypt(payload));
  }

  /** Encrypts one payload with the current key. */
  encrypt(payload: Payload): Payload {
    const keyId = this.encryptionKeyId;
    const plaintext = PayloadMessage.encode(payload).finish();
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(keyId)!, nonce);
    cipher.setAAD(associatedData(keyId));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: {
        [METADATA_ENCODING]: encoder.encode(ENCRYPTED_ENCODING),
        [METADATA_KEY_ID]: encoder.encode(keyId),
        [METADATA_CIPHER]: encoder.encode(CIPHER),
      },
      data: Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]),
    };
  }

  /** Decrypts one payload; payloads that were never encrypted pass through unchanged. */
  decrypt(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING];
    if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
    const keyIdBytes = payload.metadata?.[METADATA_KEY_ID];
    const keyId = keyIdBytes ? decoder.decode(keyIdBytes) : '';
    const key = this.keys.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `payload was encrypted with key "${keyId}", which is not configured here (known: ${this.keyIds.join(', ')})`,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < NONCE_BYTES + TAG_BYTES) throw new PayloadDecryptionError('encrypted payload is truncated');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES));
      decipher.setAAD(associatedData(keyId));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plaintext = Buffer.concat([
        decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      const decoded = PayloadMessage.decode(plaintext);
      // protobufjs leaves an absent bytes field as its prototype default (an empty Array here):
      // hand the converters a real Uint8Array.
      return {
        metadata: decoded.metadata,
        data: decoded.data instanceof Uint8Array ? decoded.data : Uint8Array.from(decoded.data ?? []),
        ...(decoded.externalPayloads?.length ? { externalPayloads: decoded.externalPayloads } : {}),
      };
    } catch {
      throw new PayloadDecryptionError(
        `payload encrypted with key "${keyId}" failed authentication (wrong key material or tampered data)`,
      );
    }
  }
}

/** Binds the ciphertext to the key id in its metadata, so swapping ids is detected. */
function associatedData(keyId: string): Buffer {
  return Buffer.from(`temporal-payload/${CIPHER}/${keyId}`);
}

/** The codec for the configured keys, or undefined when encryption is off. */
export function payloadCodecFromEnv(env: EncryptionEnv = process.env): AesGcmPayloadCodec | undefined {
  const keys = parseEncryptionKeys(env);
  return keys.length ? new AesGcmPayloadCodec(keys) : undefined;
}

/**
 * The data converter that encrypts with `codec`: pass it as `dataConverter` to the Client and
 * to Worker.create (and its failureConverterPath to bundleWorkflowCode when pre-bundling).
 * Failure messages and stack traces are moved into payloads so they are encrypted too.
 */
export function encryptingDataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec], failureConverterPath: ENCRYPTED_FAILURE_CONVERTER_PATH };
}

/** `dataConverter` for clients and workers from the environment; undefined when encryption is off. */
export function dataConverterFromEnv(env: EncryptionEnv = process.env): DataConverter | undefined {
  const codec = payloadCodecFromEnv(env);
  return codec ? encryptingDataConverter(codec) : undefined;
}
