// Operation arguments and results travel through Temporal sealed with AES-256-GCM under a key
// only the application holds: the history, the UI and the central worker never see them in
// clear, yet the application's worker can re-run the call with its real arguments.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';

/** Sealed values above this size are not sent: Temporal payloads must stay well under 2 MiB. */
export const MAX_SEALED_BYTES = 256 * 1024;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SealError extends Error {
  override name = 'SealError';
}

export interface Sealer {
  seal(value: unknown): string;
  unseal<T>(sealed: string): T;
}

/**
 * `key`: 32 bytes, or any string (hashed to 32 bytes). Without one, a random key per process:
 * values sealed before a restart can then no longer be opened, so set a key for QUEUE_FOR_LATER
 * to survive application restarts.
 */
export function createSealer(key?: string | Buffer): Sealer {
  const secret = key === undefined ? randomBytes(32) : createHash('sha256').update(key).digest();
  return {
    seal(value) {
      let plain: Buffer;
      try {
        plain = serialize(value); // v8 structured clone: keeps Dates, Maps, BigInts, undefined
      } catch (error) {
        throw new SealError(`value cannot be serialised: ${(error as Error).message}`);
      }
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', secret, iv);
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      if (sealed.length > MAX_SEALED_BYTES)
        throw new SealError(`value is ${sealed.length} bytes sealed, over ${MAX_SEALED_BYTES}`);
      return sealed.toString('base64');
    },
    unseal<T>(sealed: string): T {
      const bytes = Buffer.from(sealed, 'base64');
      try {
        const decipher = createDecipheriv('aes-256-gcm', secret, bytes.subarray(0, IV_BYTES));
        decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
        const plain = Buffer.concat([
          decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
          decipher.final(),
        ]);
        return deserialize(plain) as T;
      } catch {
        throw new SealError('sealed value cannot be opened with this key (sealed by another process? set a seal key)');
      }
    },
  };
}

const MAX_PLAIN_KEY_CHARS = 256;

/**
 * Stable key of a call's arguments, for the last-good-result cache; on the success path of a
 * cached operation, so it must be cheap. Primitive arguments (the common case: ids, names,
 * numbers) are spelled out with type tags and lengths, which cannot collide; anything else is
 * hashed from its structured-clone serialisation.
 */
export function argumentsKey(args: readonly unknown[]): string {
  let key = '';
  for (const arg of args) {
    switch (typeof arg) {
      case 'string':
        key += `s${arg.length}:${arg}`;
        break;
      case 'number':
        key += `n${arg};`;
        break;
      case 'bigint':
        key += `b${arg};`;
        break;
      case 'boolean':
        key += arg ? 't' : 'f';
        break;
      case 'undefined':
        key += 'u';
        break;
      default:
        if (arg !== null) return structuredArgumentsKey(args);
        key += 'z';
    }
  }
  return key.length > MAX_PLAIN_KEY_CHARS ? `h${createHash('sha256').update(key).digest('base64url')}` : key;
}

/**
 * v8 encodes a fresh array and the same array after a round trip through `deserialize`
 * differently (packed vs holey), so both sides are normalised by a structured clone first.
 */
function structuredArgumentsKey(args: readonly unknown[]): string {
  return `x${createHash('sha256')
    .update(serialize(structuredClone(args)))
    .digest('base64url')}`;
}
