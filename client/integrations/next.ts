// Next.js App Router: route handlers answer a failure with a JSON error response (status,
// Retry-After, request id); server actions return expected failures as values, as Next advises,
// and rethrow the server's own so the error boundary shows them.
import { requestIdFrom, toHealingHttpError, type ErrorReporter } from './http-failure.js';

export { HealingHttpError } from './http-failure.js';

/**
 * Wraps a route handler (`export const GET = healingRouteHandler(healer, '/api/orders/[id]', …)`):
 * a failure becomes `{ error, requestId, healingWorkflowId? }` with its status and Retry-After.
 * `route` names the file's route (Next does not tell the handler).
 */
export function healingRouteHandler<Context>(
  healer: ErrorReporter,
  route: string,
  handler: (request: Request, context: Context) => Response | Promise<Response>,
): (request: Request, context: Context) => Promise<Response> {
  return async (request, context) => {
    try {
      return await handler(request, context);
    } catch (error) {
      const failure = toHealingHttpError(healer, error, {
        requestId: requestIdFrom(request.headers.get('x-request-id')),
        method: request.method,
        route,
      });
      return Response.json(failure.toJSON(), { status: failure.status, headers: failure.headers });
    }
  };
}

/** What a wrapped server action returns: its value, or a failure the client can show or retry. */
export type ActionResult<R> =
  | { ok: true; data: R }
  | {
      ok: false;
      status: number;
      error: string;
      requestId: string;
      retryAfterSeconds?: number;
      healingWorkflowId?: string;
    };

/**
 * Wraps a server action (`'use server'`): client errors (4xx) and "come back later" (503 with
 * retryAfterSeconds) are returned as `{ ok: false, … }`; other failures are rethrown as they came,
 * after being reported when no healing run has seen them.
 */
export function healingAction<A extends unknown[], R>(
  healer: ErrorReporter,
  name: string,
  action: (...args: A) => Promise<R>,
): (...args: A) => Promise<ActionResult<R>> {
  return async (...args) => {
    try {
      return { ok: true, data: await action(...args) };
    } catch (error) {
      const failure = toHealingHttpError(healer, error, {
        requestId: requestIdFrom(undefined),
        method: 'ACTION',
        route: name,
      });
      if (failure.status >= 500 && failure.retryAfterSeconds === undefined) throw error;
      return { ok: false, status: failure.status, ...failure.toJSON(), ...retryAfter(failure.retryAfterSeconds) };
    }
  };
}

function retryAfter(seconds: number | undefined): { retryAfterSeconds?: number } {
  return seconds === undefined ? {} : { retryAfterSeconds: seconds };
}
