// What an HTTP client is told when a request's handler fails after healing, in every framework:
// the status, Retry-After when coming back later can succeed, a message safe to show, and the
// request (id, route) the failure belongs to. Failures that are the server's and that no healing
// run has seen are reported with captureError, with the request as their context.
import { randomUUID } from 'node:crypto';
import { toErrorReport } from '../../common/error-report.js';
import { classifyError } from '../../common/rules.js';
import { sanitize, sanitizeText } from '../../common/sanitize.js';
import type { ErrorCategory } from '../../common/types.js';
import { HttpResponseError } from '../healing-fetch.js';
import { OperationQueuedError, type SelfHealing } from '../self-healing.js';

/** The request a failure belongs to (sanitised: ids come from headers). */
export interface RequestInfo {
  requestId: string;
  method: string;
  /** The route pattern ('/orders/:id'), not the path: no ids or personal data. */
  route: string;
}

/** Only captureError is used: report server-side failures that no healing run has seen. */
export type ErrorReporter = Pick<SelfHealing, 'captureError'>;

/** Retry-After when a rate limit gave none. */
export const DEFAULT_RETRY_AFTER_SECONDS = 30;
const MAX_REQUEST_ID_LENGTH = 200;

/** The failure as the framework's error path carries it (http-errors conventions). */
export class HealingHttpError extends Error {
  override name = 'HealingHttpError';
  readonly statusCode: number;
  /** The message is safe to show the client (4xx); 5xx messages are the status text. */
  readonly expose: boolean;
  readonly headers: Record<string, string>;
  constructor(
    readonly status: number,
    message: string,
    readonly context: RequestInfo,
    /** Seconds; also in headers['Retry-After']. */
    readonly retryAfterSeconds: number | undefined,
    cause: unknown,
  ) {
    super(message, { cause });
    this.statusCode = status;
    this.expose = status < 500;
    this.headers = retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) };
  }

  /** A JSON body for APIs: the message, the request id and the healing run, if any. */
  toJSON(): { error: string; requestId: string; healingWorkflowId?: string } {
    const healingWorkflowId = healingRunOf(this.cause);
    return {
      error: this.message,
      requestId: this.context.requestId,
      ...(healingWorkflowId ? { healingWorkflowId } : {}),
    };
  }
}

/** A request id from a header, bounded and sanitised, or a new one. */
export function requestIdFrom(header: string | null | undefined): string {
  const given = header?.trim();
  return given ? sanitizeText(given, MAX_REQUEST_ID_LENGTH) : randomUUID();
}

/** Maps a handler's failure to the HTTP answer, reporting it first when it is the server's and unseen. */
export function toHealingHttpError(reporter: ErrorReporter, error: unknown, request: RequestInfo): HealingHttpError {
  if (error instanceof HealingHttpError) return error;
  const context = sanitize(request) as unknown as RequestInfo;
  const { status, retryAfterSeconds, message } = httpAnswerOf(error);
  if (status >= 500 && retryAfterSeconds === undefined && healingRunOf(error) === undefined) {
    reporter.captureError(error, { operation: `${context.method} ${context.route}`, ...context });
  }
  return new HealingHttpError(status, message, context, retryAfterSeconds, error);
}

const STATUS_OF_CATEGORY: Record<ErrorCategory, number> = {
  validation: 400,
  authentication: 401,
  not_found: 404,
  database_constraint: 409,
  network: 503,
  timeout: 503,
  rate_limit: 503,
  database_connection: 503,
  external_service: 503,
  runtime: 500,
  unknown: 500,
};

const STATUS_TEXT: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/**
 * Queued (OperationQueuedError) or rate limited: 503 with Retry-After. A client error keeps its
 * own 4xx status (an upstream API's too, except that our own credentials being refused is 502);
 * otherwise the error's category decides: a dependency that is down is 503, a bug 500.
 */
export function httpAnswerOf(
  error: unknown,
  now = Date.now(),
): { status: number; retryAfterSeconds?: number; message: string } {
  if (error instanceof OperationQueuedError) {
    return {
      status: 503,
      retryAfterSeconds: secondsUntil(Date.parse(error.runAt) - now),
      message: 'Accepted for a later retry',
    };
  }
  const report = toErrorReport(error, now);
  const { category } = classifyError(report);
  if (category === 'rate_limit') {
    const retryAfterSeconds =
      report.retryAfterMs === undefined ? DEFAULT_RETRY_AFTER_SECONDS : secondsUntil(report.retryAfterMs);
    return { status: 503, retryAfterSeconds, message: 'Too busy, retry later' };
  }
  const upstream = error instanceof HttpResponseError;
  const ownStatus =
    report.status !== undefined && report.status >= 400 && report.status < 500 ? report.status : undefined;
  const status = upstream && category === 'authentication' ? 502 : (ownStatus ?? STATUS_OF_CATEGORY[category]);
  if (status >= 500) return { status, message: STATUS_TEXT[status] ?? 'Server Error' };
  return { status, message: upstream ? `The upstream service refused the request (${report.status})` : report.message };
}

function secondsUntil(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function healingRunOf(error: unknown): string | undefined {
  const id =
    error !== null && typeof error === 'object'
      ? (error as { healingWorkflowId?: unknown }).healingWorkflowId
      : undefined;
  return typeof id === 'string' ? id : undefined;
}
