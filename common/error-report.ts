// Reduces anything that can be thrown to an ErrorReport: sanitised, bounded, serialisable.
// Imported by workflow code: pure (the current time is a parameter), never throws.
import { sanitize, sanitizeText } from './sanitize.js';
import type { ErrorReport } from './types.js';

export const MAX_MESSAGE_LENGTH = 2_000;
export const MAX_STACK_LENGTH = 8_000;
const MAX_NAME_LENGTH = 200;
const MAX_CODE_LENGTH = 100;
const MAX_CAUSE_LENGTH = 300;
/** Retry-After advice above this is clamped (a day). */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

export interface ToErrorReportOptions {
  /** Epoch ms; needed to turn an HTTP-date Retry-After into a delay. Without it such dates are ignored. */
  now?: number;
}

/** Temporal wrappers whose `cause` is the real failure. */
const WRAPPER_NAMES = new Set(['ActivityFailure', 'ChildWorkflowFailure', 'WorkflowFailedError']);

function get(target: unknown, key: PropertyKey): unknown {
  if (target === null || (typeof target !== 'object' && typeof target !== 'function')) return undefined;
  try {
    return (target as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

function isObjectLike(value: unknown): value is object {
  return value !== null && (typeof value === 'object' || typeof value === 'function');
}

function isErrorInstance(value: unknown): boolean {
  if (!isObjectLike(value)) return false;
  try {
    if (value instanceof Error) return true;
  } catch {
    // Proxy trap
  }
  try {
    const tag = Object.prototype.toString.call(value);
    if (tag === '[object Error]' || tag === '[object DOMException]') return true;
  } catch {
    // ignore
  }
  return typeof get(value, 'message') === 'string' && typeof get(value, 'stack') === 'string';
}

function parseStatus(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\s*\d{3}\s*$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

function clampDelay(ms: number): number | undefined {
  if (!Number.isFinite(ms)) return undefined;
  return Math.round(Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms)));
}

/**
 * Reads a Retry-After value: a number or numeric string in seconds, or an HTTP-date (needs
 * `now`, epoch ms). Returns milliseconds, clamped to [0, 24 h], or undefined.
 */
export function parseRetryAfter(value: unknown, now?: number): number | undefined {
  try {
    if (typeof value === 'number') return value >= 0 ? clampDelay(value * 1000) : undefined;
    if (typeof value === 'string') {
      const text = value.trim();
      if (/^\d+(\.\d+)?$/.test(text)) return clampDelay(Number(text) * 1000);
      if (typeof now !== 'number' || !Number.isFinite(now) || text.length > 100) return undefined;
      const at = Date.parse(text);
      return Number.isNaN(at) ? undefined : clampDelay(at - now);
    }
    if (isObjectLike(value) && Object.prototype.toString.call(value) === '[object Date]') {
      if (typeof now !== 'number' || !Number.isFinite(now)) return undefined;
      return clampDelay(Date.prototype.getTime.call(value) - now);
    }
  } catch {
    // fall through
  }
  return undefined;
}

function parseMs(value: unknown): number | undefined {
  if (typeof value === 'number' && value >= 0) return clampDelay(value);
  if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) return clampDelay(Number(value));
  return undefined;
}

/** A header from a plain object (case-insensitive) or a Fetch `Headers`-like object. */
function header(headers: unknown, name: string): unknown {
  if (!isObjectLike(headers)) return undefined;
  const getter = get(headers, 'get');
  if (typeof getter === 'function') {
    try {
      const value: unknown = getter.call(headers, name);
      if (value !== null && value !== undefined) return value;
    } catch {
      // ignore
    }
  }
  try {
    const keys = Object.keys(headers);
    for (let i = 0; i < keys.length && i < 200; i++) {
      const key = keys[i]!;
      if (key.toLowerCase() === name) {
        const value = get(headers, key);
        return Array.isArray(value) ? value[0] : value;
      }
    }
  } catch {
    // ignore
  }
  return undefined;
}

function retryAfterOf(thrown: object, now: number | undefined): number | undefined {
  const direct = parseMs(get(thrown, 'retryAfterMs'));
  if (direct !== undefined) return direct;
  const retryAfter = get(thrown, 'retryAfter');
  if (retryAfter !== undefined) {
    const parsed = parseRetryAfter(retryAfter, now);
    if (parsed !== undefined) return parsed;
  }
  const response = get(thrown, 'response');
  for (const headers of [get(thrown, 'headers'), get(response, 'headers')]) {
    const ms = parseMs(header(headers, 'retry-after-ms'));
    if (ms !== undefined) return ms;
    const parsed = parseRetryAfter(header(headers, 'retry-after'), now);
    if (parsed !== undefined) return parsed;
  }
  return undefined;
}

function statusOf(thrown: object): number | undefined {
  const response = get(thrown, 'response');
  return (
    parseStatus(get(thrown, 'status')) ??
    parseStatus(get(thrown, 'statusCode')) ??
    parseStatus(get(response, 'status')) ??
    parseStatus(get(response, 'statusCode')) ??
    parseStatus(get(get(thrown, '$metadata'), 'httpStatusCode'))
  );
}

function codeValue(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return sanitizeText(value.trim(), MAX_CODE_LENGTH);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** `code`, else the cause's (fetch failed → ECONNREFUSED), else an AggregateError member's. */
function codeOf(thrown: object): string | undefined {
  const own = codeValue(get(thrown, 'code'));
  if (own !== undefined) return own;
  const cause = get(thrown, 'cause');
  const fromCause = codeValue(get(cause, 'code')) ?? codeValue(get(get(cause, 'cause'), 'code'));
  if (fromCause !== undefined) return fromCause;
  const errors = get(thrown, 'errors');
  if (Array.isArray(errors) && errors.length > 0) return codeValue(get(errors[0], 'code'));
  return undefined;
}

function textOf(value: unknown): string {
  try {
    if (typeof value === 'string') return value;
    if (typeof value === 'symbol') return value.toString();
    if (value === undefined) return '';
    return String(value);
  } catch {
    return '';
  }
}

function jsonOf(value: unknown, maxLength: number): string {
  try {
    return sanitizeText(JSON.stringify(sanitize(value, { maxTotalSize: 4_096, maxDepth: 4 })) ?? '', maxLength);
  } catch {
    return '[unserializable]';
  }
}

/** "Name: message" for a cause, short. */
function describeCause(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (isObjectLike(cause)) {
    const name = get(cause, 'name');
    const message = get(cause, 'message');
    const label = typeof name === 'string' && name !== '' ? name : 'cause';
    const text = typeof message === 'string' ? message : jsonOf(cause, MAX_CAUSE_LENGTH);
    return sanitizeText(`${label}: ${text}`, MAX_CAUSE_LENGTH);
  }
  return sanitizeText(textOf(cause), MAX_CAUSE_LENGTH);
}

function primitiveReport(thrown: unknown): ErrorReport {
  if (thrown === null) return { name: 'null', message: 'null' };
  const type = typeof thrown;
  if (type === 'function') {
    const name = get(thrown, 'name');
    return {
      name: 'function',
      message: typeof name === 'string' && name ? `[Function: ${sanitizeText(name, 100)}]` : '[Function]',
    };
  }
  return { name: type, message: sanitizeText(type === 'undefined' ? 'undefined' : textOf(thrown), MAX_MESSAGE_LENGTH) };
}

function objectReport(thrown: object, now: number | undefined, unwrapDepth: number): ErrorReport {
  const errorLike = isErrorInstance(thrown);
  const rawName = get(thrown, 'name');
  let name = typeof rawName === 'string' && rawName !== '' ? rawName : errorLike ? 'Error' : 'object';
  // AggregateError (e.g. Node's happy-eyeballs connect failure) often has an empty message:
  // its first member then stands in for a cause.
  const members = get(thrown, 'errors');
  const firstMember = Array.isArray(members) && members.length > 0 ? members[0] : undefined;
  const cause = get(thrown, 'cause') ?? firstMember;

  // Temporal: ActivityFailure & co. wrap the real failure; ApplicationFailure keeps its type.
  if (WRAPPER_NAMES.has(name) && isObjectLike(cause) && unwrapDepth < 4) {
    return objectReport(cause, now, unwrapDepth + 1);
  }
  const applicationType = get(thrown, 'type');
  if (name === 'ApplicationFailure' && typeof applicationType === 'string' && applicationType !== '')
    name = applicationType;

  const rawMessage = get(thrown, 'message');
  let message =
    typeof rawMessage === 'string'
      ? rawMessage
      : rawMessage !== undefined && rawMessage !== null
        ? textOf(rawMessage)
        : errorLike
          ? ''
          : jsonOf(thrown, MAX_MESSAGE_LENGTH);
  const causeText = describeCause(cause);
  if (causeText !== undefined) {
    const causeMessage = get(cause, 'message');
    const alreadyThere = typeof causeMessage === 'string' && causeMessage !== '' && message.includes(causeMessage);
    if (!alreadyThere) message = message === '' ? `[cause: ${causeText}]` : `${message} [cause: ${causeText}]`;
  }

  const report: ErrorReport = {
    name: sanitizeText(name, MAX_NAME_LENGTH),
    message: sanitizeText(message, MAX_MESSAGE_LENGTH),
  };
  const stack = get(thrown, 'stack');
  if (typeof stack === 'string' && stack !== '') report.stack = sanitizeText(stack, MAX_STACK_LENGTH);
  const code = codeOf(thrown);
  if (code !== undefined) report.code = code;
  const status = statusOf(thrown);
  if (status !== undefined) report.status = status;
  const retryAfterMs = retryAfterOf(thrown, now);
  if (retryAfterMs !== undefined) report.retryAfterMs = retryAfterMs;
  return report;
}

/**
 * Describes a thrown value. Errors give name, message (plus a short "[cause: …]"), stack,
 * code (own, else the cause's), HTTP status (status / statusCode / response.status) and
 * Retry-After in ms (retryAfterMs; retryAfter in seconds or HTTP-date; headers 'retry-after-ms'
 * / 'retry-after'). Temporal ActivityFailure/ChildWorkflowFailure/WorkflowFailedError are
 * unwrapped to their cause; ApplicationFailure reports its `type` as name. Non-Errors: name is
 * the JS type ('string', 'number', 'null', 'undefined', 'symbol', 'object', …). All text is
 * sanitised and bounded (name 200, message 2,000, stack 8,000 chars). Never throws.
 *
 * @param options `{ now }` (epoch ms) or `now` itself: lets an HTTP-date Retry-After count.
 */
export function toErrorReport(thrown: unknown, options?: ToErrorReportOptions | number): ErrorReport {
  try {
    const now = typeof options === 'number' ? options : options?.now;
    if (!isObjectLike(thrown) || typeof thrown === 'function') return primitiveReport(thrown);
    return objectReport(thrown, now, 0);
  } catch {
    return { name: 'unknown', message: '[unreadable thrown value]' };
  }
}
