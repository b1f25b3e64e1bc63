// Hono: a route handler whose failures are thrown as Hono's HTTPException (status, Retry-After),
// which app.onError or Hono's default handler answers; the HealingHttpError is its cause.
import type { Env, Handler, Input } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { requestIdFrom, toHealingHttpError, type ErrorReporter } from './http-failure.js';

export { HealingHttpError } from './http-failure.js';

/**
 * Wraps a route handler: a failure becomes an HTTPException whose `cause` is a HealingHttpError
 * (its own `cause` the original error, its `context` the request id and route). The request id is
 * the requestId middleware's, else X-Request-Id, else a new one. Failures of the server no healing
 * run has seen are reported to `healer`.
 */
export function healingRoute<E extends Env = Env, P extends string = string, I extends Input = Input>(
  healer: ErrorReporter,
  handler: Handler<E, P, I>,
): Handler<E, P, I> {
  return async (c, next) => {
    try {
      return await handler(c, next);
    } catch (error) {
      const failure = toHealingHttpError(healer, error, {
        requestId: requestIdFrom((c.var as { requestId?: string }).requestId ?? c.req.header('x-request-id')),
        method: c.req.method,
        route: c.req.routePath,
      });
      const res = new Response(failure.message, { status: failure.status, headers: failure.headers });
      throw new HTTPException(failure.status as ContentfulStatusCode, {
        res,
        message: failure.message,
        cause: failure,
      });
    }
  };
}
