// Turns anything (thrown values, operation contexts, free text) into bounded, JSON-safe data
// with secrets redacted: by key name (secrets/key-names.ts) and inside text (secrets/text-rules.ts).
// Imported by workflow code: pure, deterministic, no Node built-ins, and it never throws.
import { isSecretKey, keepUnderSecretKey } from './secrets/key-names.js';
import { looksLikeCardNumber, redactText, REDACTED, REDACTED_CARD } from './secrets/text-rules.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface SanitizeLimits {
  /** Nesting depth of containers; deeper containers become '[MaxDepth]'. */
  maxDepth: number;
  /** Elements kept per array / Set; the rest become one '[+N more]' marker. */
  maxArrayLength: number;
  /** Keys kept per object / Map; the rest become one '[+N more keys]' marker. */
  maxKeys: number;
  /** Characters kept per string, truncation marker included. */
  maxStringLength: number;
  /** Upper bound for `JSON.stringify(result).length`. */
  maxTotalSize: number;
}

export const DEFAULT_SANITIZE_LIMITS: Readonly<SanitizeLimits> = Object.freeze({
  maxDepth: 6,
  maxArrayLength: 50,
  maxKeys: 100,
  maxStringLength: 2_000,
  maxTotalSize: 32 * 1024,
});

const MAX_KEY_LENGTH = 200;
/** Free text longer than maxLength + this is cut before the (linear) redaction passes run. */
const TEXT_SCAN_SLACK = 8_192;
/** Text this close to such a cut is dropped: a secret there may have lost the part that identifies it. */
const TEXT_CUT_MARGIN = 1_024;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Cuts `text` to at most `maxLength` characters, marker included, never inside a surrogate pair. */
function truncate(text: string, maxLength: number, alreadyDropped = 0): string {
  if (text.length <= maxLength && alreadyDropped === 0) return text;
  let keep = Math.min(text.length, maxLength);
  for (let i = 0; i < 3; i++) {
    const marker = `…[truncated ${text.length - keep + alreadyDropped} chars]`;
    keep = Math.min(text.length, maxLength - marker.length);
  }
  if (keep <= 0) {
    const cut = Math.max(0, maxLength);
    return isHighSurrogate(text.charCodeAt(cut - 1)) ? text.slice(0, cut - 1) : text.slice(0, cut);
  }
  if (isHighSurrogate(text.charCodeAt(keep - 1))) keep -= 1;
  return `${text.slice(0, keep)}…[truncated ${text.length - keep + alreadyDropped} chars]`;
}

function toText(value: unknown): string {
  try {
    if (typeof value === 'string') return value;
    if (typeof value === 'symbol') return value.toString();
    return String(value);
  } catch {
    return '[unprintable]';
  }
}

/**
 * Redacts secrets in free text (every rule of secrets/text-rules.ts: secret-named key=value pairs
 * in any notation, credential headers, URL user-info and query values, private keys, provider
 * tokens, JWTs, card numbers, IBANs, random-looking tokens) and bounds it to `maxLength`
 * characters, truncation marker included. Never throws.
 */
export function sanitizeText(text: string, maxLength: number = DEFAULT_SANITIZE_LIMITS.maxStringLength): string {
  try {
    const limit = Number.isFinite(maxLength)
      ? Math.max(0, Math.floor(maxLength))
      : DEFAULT_SANITIZE_LIMITS.maxStringLength;
    const input = toText(text);
    const scanLimit = limit + TEXT_SCAN_SLACK;
    if (input.length <= scanLimit) return truncate(redactText(input), limit);
    // Huge text: redact a prefix only, and drop its tail, where a cut secret might no longer
    // be recognisable.
    const scanned = redactText(input.slice(0, scanLimit));
    const safe = scanned.slice(0, Math.max(0, scanned.length - TEXT_CUT_MARGIN));
    return truncate(safe, limit, input.length - scanLimit + (scanned.length - safe.length));
  } catch {
    return '[unprintable text]';
  }
}

// ---------------------------------------------------------------------------------------------
// Values

function normalizeLimits(limits: Partial<SanitizeLimits> | undefined): SanitizeLimits {
  const pick = (value: unknown, fallback: number, min: number, max: number): number =>
    typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, Math.floor(value))) : fallback;
  const d = DEFAULT_SANITIZE_LIMITS;
  let given: Partial<SanitizeLimits>;
  try {
    given = limits && typeof limits === 'object' ? { ...limits } : {};
  } catch {
    given = {};
  }
  return {
    maxDepth: pick(given.maxDepth, d.maxDepth, 0, 64),
    maxArrayLength: pick(given.maxArrayLength, d.maxArrayLength, 0, 100_000),
    maxKeys: pick(given.maxKeys, d.maxKeys, 0, 100_000),
    maxStringLength: pick(given.maxStringLength, d.maxStringLength, 16, 10_000_000),
    maxTotalSize: pick(given.maxTotalSize, d.maxTotalSize, 64, 100_000_000),
  };
}

function safeGet(target: unknown, key: PropertyKey): unknown {
  try {
    return (target as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

function tagOf(value: object): string {
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return '[object Unknown]';
  }
}

function setOwn(target: Record<string, JsonValue>, key: string, value: JsonValue): void {
  // defineProperty: a key named "__proto__" stays a plain data property.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function jsonLength(value: string): number {
  return JSON.stringify(value).length;
}

function functionLabel(fn: unknown): string {
  const name = safeGet(fn, 'name');
  return typeof name === 'string' && name !== '' ? `[Function: ${sanitizeText(name, 100)}]` : '[Function (anonymous)]';
}

function isErrorLike(value: object, tag: string): boolean {
  if (tag === '[object Error]' || tag === '[object DOMException]') return true;
  try {
    if (value instanceof Error) return true;
  } catch {
    // Proxy getPrototypeOf trap
  }
  return typeof safeGet(value, 'message') === 'string' && typeof safeGet(value, 'stack') === 'string';
}

const TRUNCATED = '[Truncated]';

class Walker {
  private remaining: number;
  private readonly ancestors: object[] = [];

  constructor(private readonly limits: SanitizeLimits) {
    this.remaining = limits.maxTotalSize;
  }

  private get exhausted(): boolean {
    return this.remaining <= 0;
  }

  private charge(cost: number): void {
    this.remaining -= cost;
  }

  private text(value: string, maxLength = this.limits.maxStringLength): string {
    const clean = sanitizeText(value, maxLength);
    const cost = jsonLength(clean);
    if (cost > this.remaining) {
      // Whatever fits, then the budget is spent.
      const room = Math.max(0, this.remaining - 40);
      const shorter = room >= 16 ? sanitizeText(clean, Math.floor(room / 2)) : TRUNCATED;
      this.charge(Math.max(jsonLength(shorter), this.remaining));
      return shorter;
    }
    this.charge(cost);
    return clean;
  }

  private leaf(value: JsonValue): JsonValue {
    this.charge(value === null ? 4 : JSON.stringify(value).length);
    return value;
  }

  /** `undefined` means "omit" (object property) / null (array element, top level). */
  walk(value: unknown, depth: number): JsonValue | undefined {
    try {
      switch (typeof value) {
        case 'undefined':
          return undefined;
        case 'string':
          return this.text(value);
        case 'number':
          if (!Number.isFinite(value)) return this.leaf(String(value));
          if (Number.isSafeInteger(value) && looksLikeCardNumber(String(Math.abs(value))))
            return this.leaf(REDACTED_CARD);
          return this.leaf(Object.is(value, -0) ? 0 : value);
        case 'boolean':
          return this.leaf(value);
        case 'bigint':
          return this.text(value.toString());
        case 'symbol':
          return this.text(value.toString(), 200);
        case 'function':
          return this.leaf(functionLabel(value));
        case 'object':
          if (value === null) return this.leaf(null);
          return this.object(value, depth);
        default:
          return this.leaf(`[${typeof value}]`);
      }
    } catch {
      return this.leaf('[Unserializable]');
    }
  }

  private object(value: object, depth: number): JsonValue {
    if (this.exhausted) return this.leaf(TRUNCATED);
    if (this.ancestors.includes(value)) return this.leaf('[Circular]');
    const tag = tagOf(value);

    // Scalars in object clothing first: they are not containers.
    if (tag === '[object Date]') {
      const time = Date.prototype.getTime.call(value);
      return this.leaf(Number.isNaN(time) ? 'Invalid Date' : new Date(time).toISOString());
    }
    if (ArrayBuffer.isView(value)) return this.leaf(`[Binary ${Number(safeGet(value, 'byteLength')) || 0} bytes]`);
    if (tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]') {
      return this.leaf(`[Binary ${Number(safeGet(value, 'byteLength')) || 0} bytes]`);
    }
    if (safeGet(value, 'type') === 'Buffer' && Array.isArray(safeGet(value, 'data'))) {
      return this.leaf(`[Binary ${(safeGet(value, 'data') as unknown[]).length} bytes]`);
    }
    if (tag === '[object RegExp]') return this.text(RegExp.prototype.toString.call(value), 500);
    if (tag === '[object String]') return this.text(String.prototype.valueOf.call(value));
    if (tag === '[object Number]') return this.walk(Number.prototype.valueOf.call(value), depth) ?? null;
    if (tag === '[object Boolean]') return this.leaf(Boolean.prototype.valueOf.call(value));
    if (tag === '[object Promise]') return this.leaf('[Promise]');
    if (tag === '[object WeakMap]' || tag === '[object WeakSet]' || tag === '[object WeakRef]') {
      return this.leaf(`[${tag.slice(8, -1)}]`);
    }

    if (depth >= this.limits.maxDepth) return this.leaf('[MaxDepth]');

    this.ancestors.push(value);
    try {
      if (isErrorLike(value, tag)) return this.error(value, depth);
      if (tag === '[object Map]') return this.map(value as Map<unknown, unknown>, depth);
      if (tag === '[object Set]') return this.set(value as Set<unknown>, depth);
      if (Array.isArray(value)) return this.array(value, depth);
      const toJSON = safeGet(value, 'toJSON');
      if (typeof toJSON === 'function') {
        let converted: unknown = value;
        try {
          converted = (toJSON as () => unknown).call(value);
        } catch {
          converted = value;
        }
        if (converted !== value) {
          const result = this.walk(converted, depth + 1);
          return result === undefined ? this.leaf(null) : result;
        }
      }
      return this.plain(value, depth);
    } finally {
      this.ancestors.pop();
    }
  }

  private property(out: Record<string, JsonValue>, rawKey: string, read: () => unknown, depth: number): void {
    const key = sanitizeText(rawKey, MAX_KEY_LENGTH);
    this.charge(jsonLength(key) + 2);
    let item: unknown;
    try {
      item = read();
    } catch {
      setOwn(out, key, this.leaf('[Unreadable: getter threw]'));
      return;
    }
    if (isSecretKey(rawKey) && !keepUnderSecretKey(rawKey, item)) {
      setOwn(out, key, this.leaf(REDACTED));
      return;
    }
    const result = this.walk(item, depth + 1);
    if (result !== undefined) setOwn(out, key, result);
  }

  private plain(value: object, depth: number): JsonValue {
    const keys = Object.keys(value);
    const out: Record<string, JsonValue> = {};
    this.charge(2);
    const limit = Math.min(keys.length, this.limits.maxKeys);
    let index = 0;
    for (; index < limit && !this.exhausted; index++) {
      const rawKey = keys[index]!;
      this.property(out, rawKey, () => (value as Record<string, unknown>)[rawKey], depth);
    }
    if (index < keys.length) setOwn(out, '[truncated]', this.leaf(`[+${keys.length - index} more keys]`));
    return out;
  }

  private error(value: object, depth: number): JsonValue {
    const out: Record<string, JsonValue> = {};
    this.charge(2);
    const name = safeGet(value, 'name');
    const message = safeGet(value, 'message');
    const stack = safeGet(value, 'stack');
    setOwn(out, 'name', this.text(typeof name === 'string' ? name : 'Error', 200));
    setOwn(out, 'message', this.text(typeof message === 'string' ? message : toText(message)));
    if (typeof stack === 'string') setOwn(out, 'stack', this.text(stack));
    let keys: string[];
    try {
      keys = Object.keys(value).filter((k) => k !== 'name' && k !== 'message' && k !== 'stack');
    } catch {
      keys = [];
    }
    let hasCause: boolean;
    try {
      hasCause = 'cause' in value && !keys.includes('cause');
    } catch {
      hasCause = false;
    }
    if (hasCause) keys.push('cause');
    const limit = Math.min(keys.length, this.limits.maxKeys);
    for (let i = 0; i < limit && !this.exhausted; i++) {
      const rawKey = keys[i]!;
      this.property(out, rawKey, () => (value as Record<string, unknown>)[rawKey], depth);
    }
    return out;
  }

  private array(value: unknown[], depth: number): JsonValue {
    const length = Number(safeGet(value, 'length')) || 0;
    const out: JsonValue[] = [];
    this.charge(2);
    const limit = Math.min(length, this.limits.maxArrayLength);
    let index = 0;
    for (; index < limit && !this.exhausted; index++) {
      this.charge(1);
      let item: unknown;
      try {
        item = value[index];
      } catch {
        out.push(this.leaf('[Unreadable: getter threw]'));
        continue;
      }
      const result = this.walk(item, depth + 1);
      out.push(result === undefined ? this.leaf(null) : result);
    }
    if (index < length) out.push(this.leaf(`[+${length - index} more]`));
    return out;
  }

  private map(value: Map<unknown, unknown>, depth: number): JsonValue {
    const out: Record<string, JsonValue> = {};
    this.charge(2);
    const size = Number(Object.getOwnPropertyDescriptor(Map.prototype, 'size')!.get!.call(value)) || 0;
    const iterator = Map.prototype.entries.call(value);
    let index = 0;
    for (; index < Math.min(size, this.limits.maxKeys) && !this.exhausted; index++) {
      const next = iterator.next();
      if (next.done) break;
      const [rawKey, item] = next.value;
      const key =
        typeof rawKey === 'string'
          ? rawKey
          : rawKey !== null && (typeof rawKey === 'object' || typeof rawKey === 'function')
            ? `[key#${index}]`
            : toText(rawKey);
      this.property(out, key, () => item, depth);
    }
    if (index < size) setOwn(out, '[truncated]', this.leaf(`[+${size - index} more keys]`));
    return out;
  }

  private set(value: Set<unknown>, depth: number): JsonValue {
    const out: JsonValue[] = [];
    this.charge(2);
    const size = Number(Object.getOwnPropertyDescriptor(Set.prototype, 'size')!.get!.call(value)) || 0;
    const iterator = Set.prototype.values.call(value);
    let index = 0;
    for (; index < Math.min(size, this.limits.maxArrayLength) && !this.exhausted; index++) {
      const next = iterator.next();
      if (next.done) break;
      this.charge(1);
      const result = this.walk(next.value, depth + 1);
      out.push(result === undefined ? this.leaf(null) : result);
    }
    if (index < size) out.push(this.leaf(`[+${size - index} more]`));
    return out;
  }
}

function serializedSize(value: JsonValue): number {
  try {
    return JSON.stringify(value).length;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * Returns a JSON-safe copy of `value`: secrets redacted (by key name and inside strings),
 * circular references, depth, array/key counts, string lengths and total serialised size
 * bounded (`JSON.stringify(result).length <= maxTotalSize`). Dates become ISO strings, Maps
 * objects, Sets arrays, Errors `{ name, message, stack, …own props, cause }`, binary data
 * '[Binary N bytes]', functions/symbols/bigints descriptive strings; `undefined` at the top
 * level becomes null. Never throws (throwing getters, Proxies, null-prototype objects).
 */
export function sanitize(value: unknown, limits?: Partial<SanitizeLimits>): JsonValue {
  const base = normalizeLimits(limits);
  try {
    let current = base;
    for (let attempt = 0; attempt < 5; attempt++) {
      const result = new Walker(current).walk(value, 0);
      const out = result === undefined ? null : result;
      if (serializedSize(out) <= base.maxTotalSize) return out;
      // The accounting is an estimate: tighten every limit and try again.
      current = {
        ...current,
        maxTotalSize: Math.floor(current.maxTotalSize / 2),
        maxStringLength: Math.max(16, Math.floor(current.maxStringLength / 2)),
        maxArrayLength: Math.floor(current.maxArrayLength / 2),
        maxKeys: Math.floor(current.maxKeys / 2),
        maxDepth: Math.max(0, current.maxDepth - 1),
      };
    }
    return TRUNCATED;
  } catch {
    return '[Unserializable]';
  }
}
