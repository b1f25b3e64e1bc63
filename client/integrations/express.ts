// Express: a route handler whose failures go down Express's error path as HealingHttpError
// (status, headers with Retry-After, expose), so Express's default handler or the application's
// own error middleware answers with the right status. Works with Express 4 and 5.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ParamsDictionary } from 'express-serve-static-core';
import type { ParsedQs } from 'qs';
import { requestIdFrom, toHealingHttpError, type ErrorReporter, type RequestInfo } from './http-failure.js';

export { HealingHttpError } from './http-failure.js';

type Handler<P, ResBody, ReqBody, ReqQuery> = (
  req: Request<P, ResBody, ReqBody, ReqQuery>,
  res: Response<ResBody>,
  next: NextFunction,
) => unknown;

/**
 * Wraps a route handler (sync or async): a failure reaches `next(error)` as a HealingHttpError
 * whose `cause` is the original error and whose `context` holds the request id (X-Request-Id
 * or a new one) and the route. Failures of the server no healing run has seen are reported to `healer`.
 */
export function healingRoute<P = ParamsDictionary, ResBody = unknown, ReqBody = unknown, ReqQuery = ParsedQs>(
  healer: ErrorReporter,
  handler: Handler<P, ResBody, ReqBody, ReqQuery>,
): RequestHandler<P, ResBody, ReqBody, ReqQuery> {
  return (req, res, next) => {
    new Promise((resolve) => resolve(handler(req, res, next))).catch((error: unknown) =>
      next(toHealingHttpError(healer, error, requestOf(req))),
    );
  };
}

/** The parts of any Request<…> read here. */
interface RequestFacts {
  route?: { path?: unknown };
  baseUrl: string;
  method: string;
  get(name: string): string | undefined;
}

function requestOf(req: RequestFacts): RequestInfo {
  const route = req.route?.path;
  return {
    requestId: requestIdFrom(req.get('x-request-id')),
    method: req.method,
    route: `${req.baseUrl}${typeof route === 'string' ? route : '(unmatched)'}`,
  };
}
