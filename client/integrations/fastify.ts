// Fastify: a route handler whose failures are thrown as HealingHttpError (statusCode, headers with
// Retry-After), which Fastify's default error handler, or the application's setErrorHandler, answers.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestIdFrom, toHealingHttpError, type ErrorReporter } from './http-failure.js';

export { HealingHttpError } from './http-failure.js';

/**
 * Wraps a route handler: a failure is rethrown as a HealingHttpError whose `cause` is the original
 * error and whose `context` holds Fastify's request id and the route. Failures of the server no
 * healing run has seen are reported to `healer`.
 */
export function healingRoute<Request extends FastifyRequest, Reply extends FastifyReply, Result>(
  healer: ErrorReporter,
  handler: (this: unknown, request: Request, reply: Reply) => Result | Promise<Result>,
): (request: Request, reply: Reply) => Promise<Result> {
  return async (request, reply) => {
    try {
      return await handler(request, reply);
    } catch (error) {
      throw toHealingHttpError(healer, error, {
        requestId: requestIdFrom(request.id),
        method: request.method,
        route: request.routeOptions.url ?? '(unmatched)',
      });
    }
  };
}
