// fetch for operations wrapped with withSelfHealing: HTTP failures become errors the healing layer
// classifies (status, code, retryAfterMs), the base URL follows SWITCH_API_ENDPOINT, and a request
// that is not idempotent is never sent a second time by a healing re-run.
import { parseRetryAfter } from '../common/error-report.js';
import { currentEndpoint, currentOperationRun } from './operation-context.js';

export interface HealingFetchOptions {
  /** The part of the URL that alternate endpoints replace. Default: the URL's origin. */
  baseUrl?: string;
  /** Per call, including the body. Default 10 s. A timeout throws a TimeoutError (code ETIMEDOUT). */
  timeoutMs?: number;
  /** Re-sending this POST/PATCH is safe (the server deduplicates it). Default false. */
  idempotent?: boolean;
  /** Sent as the Idempotency-Key header; makes a POST/PATCH safe to re-send. */
  idempotencyKey?: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const NON_IDEMPOTENT_METHODS = new Set(['POST', 'PATCH']);
const MAX_BODY_CHARS = 2_000;

/** The server answered with a status of 400 or more. */
export class HttpResponseError extends Error {
  override name = 'HttpResponseError';
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    /** From Retry-After (seconds or HTTP date). */
    readonly retryAfterMs: number | undefined,
    /** The start of the response body (for validation details). */
    readonly body: string,
  ) {
    super(`${method} ${url} answered ${status}${statusText ? ` ${statusText}` : ''}`);
  }
}

/** The request got no answer: refused, reset, unresolvable host… (`code` as Node reports it). */
export class NetworkError extends Error {
  override name = 'NetworkError';
  constructor(
    readonly method: string,
    readonly url: string,
    readonly code: string,
    cause: unknown,
  ) {
    super(`${method} ${url} failed: ${code}`, { cause });
  }
}

/** No complete answer within timeoutMs. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly method: string,
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`${method} ${url} timed out after ${timeoutMs} ms`);
  }
}

/** A healing re-run would have sent a non-idempotent request again: it was not sent. */
export class UnsafeResendError extends Error {
  override name = 'UnsafeResendError';
  constructor(
    readonly method: string,
    readonly url: string,
  ) {
    super(`${method} ${url} was not sent again: it is not idempotent (pass idempotent: true or an idempotencyKey)`);
  }
}

/**
 * Like fetch, but a status of 400 or more, a timeout or a failed connection throws (see the error
 * classes above); a successful response is returned unread. Call it inside an operation wrapped
 * with withSelfHealing and list the other base URLs in the operation's `alternateEndpoints`.
 */
export async function healingFetch(
  url: string | URL,
  init: RequestInit = {},
  options: HealingFetchOptions = {},
): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase();
  const target = endpointUrl(String(url), options.baseUrl);
  const shown = withoutQuery(target);
  const headers = new Headers(init.headers);
  if (options.idempotencyKey !== undefined) headers.set('Idempotency-Key', options.idempotencyKey);
  const resendable =
    !NON_IDEMPOTENT_METHODS.has(method) || options.idempotent === true || options.idempotencyKey !== undefined;
  if (!resendable && currentOperationRun()) throw new UnsafeResendError(method, shown);

  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(target, { ...init, method, headers, signal });
    if (response.status < 400) return response;
    const body = await response.text();
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after') ?? undefined, Date.now());
    throw new HttpResponseError(
      method,
      shown,
      response.status,
      response.statusText,
      retryAfterMs,
      body.slice(0, MAX_BODY_CHARS),
    );
  } catch (error) {
    if (error instanceof HttpResponseError) throw error;
    if (timeout.aborted) throw new TimeoutError(method, shown, timeoutMs);
    if (init.signal?.aborted) throw error; // the caller's own abort
    throw new NetworkError(method, shown, networkCode(error), error);
  }
}

/** `url` with its base replaced by the endpoint healing chose for this run, if any. */
function endpointUrl(url: string, baseUrl = new URL(url).origin): string {
  const base = baseUrl.replace(/\/+$/, '');
  if (!url.startsWith(base)) throw new TypeError(`healingFetch: ${url} does not start with its baseUrl ${baseUrl}`);
  return `${currentEndpoint(base).replace(/\/+$/, '')}${url.slice(base.length)}`;
}

/** Query strings often carry keys and personal data: errors name the URL without them. */
function withoutQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/** fetch reports a failed connection as TypeError('fetch failed') with the socket error as its cause. */
function networkCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause ?? (current instanceof AggregateError ? current.errors[0] : undefined);
  }
  return 'ERR_NETWORK';
}
