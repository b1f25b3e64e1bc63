// The success path of a wrapped operation, shaped for V8 (bench/results.md, section 1):
// - a wrapper of the operation's own arity: no rest array, no spread; a call with another number of
//   arguments takes the general wrapper (forwarding `arguments` allocates nothing on the fast path);
// - one derived promise and one closure holding the call's arguments in case it fails, written
//   inline in then(): assigned to a local first, esbuild's keepNames (tsx) would name it on every call;
// - for a native async function (not bound, not a proxy, not an async generator), neither try/catch
//   nor Promise.resolve: it never throws synchronously and always returns a native promise.
/* eslint-disable prefer-rest-params -- `arguments.length` is the only way to tell f(a) from f(a, undefined)
   or f() without allocating; rest parameters would send a call with fewer arguments down the fast path. */

import { isAsyncFunction, isGeneratorFunction } from 'node:util/types';

/** What a wrapped operation calls: any function, sync or async. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function, whatever its parameters
export type Dependency = (...args: any[]) => unknown;

export interface CallHandlers<R> {
  /** The call threw or its promise rejected: what its caller gets instead (a healing run's answer). */
  failed(args: unknown[], error: unknown): Promise<R>;
  /** The call succeeded (cacheResults: remember its value); absent when nothing is to be done. */
  succeeded?(args: unknown[], value: unknown): void;
}

type Wrapped<R> = (...args: unknown[]) => Promise<R>;

/**
 * Wraps `fn` so that its caller gets `fn`'s result (always a promise), or on a throw or a
 * rejection what `handlers.failed` answers. Every call runs `fn` exactly once, with the caller's
 * arguments, as the general wrapper would; only the shape of the code differs by arity.
 */
export function wrapCalls<R>(fn: Dependency, handlers: CallHandlers<R>): Wrapped<R> {
  return handlers.succeeded
    ? rememberingWrapper(fn, handlers.failed, handlers.succeeded)
    : plainWrapper(fn, handlers.failed);
}

function plainWrapper<R>(fn: Dependency, failed: CallHandlers<R>['failed']): Wrapped<R> {
  const native = isAsyncFunction(fn) && !isGeneratorFunction(fn);
  const general: Wrapped<R> = (...args) => {
    if (native) return (fn(...args) as Promise<R>).then(undefined, (error: unknown) => failed(args, error));
    let result: unknown;
    try {
      result = fn(...args);
    } catch (error) {
      return failed(args, error);
    }
    return Promise.resolve(result as R).then(undefined, (error: unknown) => failed(args, error));
  };
  switch (fn.length) {
    case 0:
      return function () {
        if (arguments.length !== 0) return general(...arguments);
        if (native) return (fn() as Promise<R>).then(undefined, (error: unknown) => failed([], error));
        let result: unknown;
        try {
          result = fn();
        } catch (error) {
          return failed([], error);
        }
        return Promise.resolve(result as R).then(undefined, (error: unknown) => failed([], error));
      };
    case 1:
      return function (a: unknown) {
        if (arguments.length !== 1) return general(...arguments);
        if (native) return (fn(a) as Promise<R>).then(undefined, (error: unknown) => failed([a], error));
        let result: unknown;
        try {
          result = fn(a);
        } catch (error) {
          return failed([a], error);
        }
        return Promise.resolve(result as R).then(undefined, (error: unknown) => failed([a], error));
      } as Wrapped<R>;
    case 2:
      return function (a: unknown, b: unknown) {
        if (arguments.length !== 2) return general(...arguments);
        if (native) return (fn(a, b) as Promise<R>).then(undefined, (error: unknown) => failed([a, b], error));
        let result: unknown;
        try {
          result = fn(a, b);
        } catch (error) {
          return failed([a, b], error);
        }
        return Promise.resolve(result as R).then(undefined, (error: unknown) => failed([a, b], error));
      } as Wrapped<R>;
    case 3:
      return function (a: unknown, b: unknown, c: unknown) {
        if (arguments.length !== 3) return general(...arguments);
        if (native) return (fn(a, b, c) as Promise<R>).then(undefined, (error: unknown) => failed([a, b, c], error));
        let result: unknown;
        try {
          result = fn(a, b, c);
        } catch (error) {
          return failed([a, b, c], error);
        }
        return Promise.resolve(result as R).then(undefined, (error: unknown) => failed([a, b, c], error));
      } as Wrapped<R>;
    default:
      return general;
  }
}

/** With cacheResults: the general shape only (its cost is the cache, not the wrapper: bench section 1). */
function rememberingWrapper<R>(
  fn: Dependency,
  failed: CallHandlers<R>['failed'],
  succeeded: NonNullable<CallHandlers<R>['succeeded']>,
): Wrapped<R> {
  return (...args) => {
    let result: unknown;
    try {
      result = fn(...args);
    } catch (error) {
      return failed(args, error);
    }
    return Promise.resolve(result as R).then(
      (value: R) => {
        succeeded(args, value);
        return value;
      },
      (error: unknown) => failed(args, error),
    );
  };
}
