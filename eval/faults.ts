// What the eval's operations throw, and how they behave: each scripted operation is a real
// function that fails as its scenario says, counts (and times) its own invocations, and
// answers with a value the eval can recognise (fresh, cached, default).
import type { OperationHook } from '../common/healing-contract.js';
import { currentEndpoint } from '../client/operation-context.js';

export const PRIMARY = 'https://api.primary.example';
export const ALTERNATE = 'https://api.alternate.example';

/** Builds one thrown value; `retryAfter` is the header value a rate limiter answers with. */
export type Thrown = (call: { retryAfter?: string }) => unknown;

/** node-postgres throws DatabaseError (name 'error' in older versions) with the SQLSTATE in `code`. */
class DatabaseError extends Error {
  override name = 'DatabaseError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** A hostile throwable: reading its `code` throws. */
class GetterThrowsError extends Error {
  override name = 'GetterThrowsError';
  get code(): string {
    throw new Error('code getter exploded');
  }
}

function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

function http(status: number, message: string, headers?: Record<string, string>): Error {
  return Object.assign(new Error(message), { status, ...(headers ? { headers } : {}) });
}

export const thrown = {
  connectionReset: (): Thrown => () => coded('socket hang up', 'ECONNRESET'),
  socketHangUp: (): Thrown => () => new Error('socket hang up'),
  refused: (): Thrown => () => coded('connect ECONNREFUSED 10.0.0.7:443', 'ECONNREFUSED'),
  dnsFailure: (): Thrown => () => coded('getaddrinfo ENOTFOUND api.primary.example', 'ENOTFOUND'),
  timedOut: (): Thrown => () => coded('connect ETIMEDOUT 10.0.0.7:443', 'ETIMEDOUT'),
  timeoutError: (): Thrown => () =>
    Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }),
  /** undici's fetch: a TypeError whose cause carries the network code. */
  fetchFailed: (): Thrown => () => new TypeError('fetch failed', { cause: coded('other side closed', 'ECONNRESET') }),
  http:
    (status: number, message: string): Thrown =>
    () =>
      http(status, message),
  /** 429/503 with the Retry-After the rate limiter computed for this call. */
  limited:
    (status: number, message: string): Thrown =>
    ({ retryAfter }) =>
      http(status, message, retryAfter === undefined ? undefined : { 'retry-after': retryAfter }),
  postgres:
    (code: string, message: string): Thrown =>
    () =>
      new DatabaseError(message, code),
  connectionTerminated: (): Thrown => () => new Error('Connection terminated unexpectedly'),
  mysqlDuplicate: (): Thrown => () => coded("Duplicate entry 'ada@example.com' for key 'users.email'", 'ER_DUP_ENTRY'),
  message:
    (message: string): Thrown =>
    () =>
      new Error(message),
  typeError: (): Thrown => () => {
    try {
      const order = undefined as unknown as { total: number };
      return order.total;
    } catch (error) {
      return error;
    }
  },
  referenceError: (): Thrown => () => {
    try {
      return (globalThis as unknown as { eval: (code: string) => unknown }).eval('undefinedPricingTable.lookup()');
    } catch (error) {
      return error;
    }
  },
  rangeError: (): Thrown => () => {
    try {
      return new Array(-1);
    } catch (error) {
      return error;
    }
  },
  string: (): Thrown => () => 'upstream hiccup',
  null: (): Thrown => () => null,
  undefined: (): Thrown => () => undefined,
  number: (): Thrown => () => 42,
  circular: (): Thrown => () => {
    const value: Record<string, unknown> = { message: 'circular failure', code: 'ECONNRESET' };
    value.self = value;
    return value;
  },
  getterThrows: (): Thrown => () => new GetterThrowsError('the upstream connection was reset'),
};

/** How a scripted operation fails before it answers (if it ever does). */
export type Behaviour =
  /** The first `times` calls throw, then every call answers. */
  | { kind: 'fails'; times: number }
  | { kind: 'forever' }
  /** Throws while it runs against the primary endpoint; answers on an alternate one. */
  | { kind: 'primaryDown' }
  /** Throws until the operation's `hook` ran. */
  | { kind: 'untilHook'; hook: OperationHook }
  /** A rate limiter: throws (with Retry-After in seconds or as an HTTP date) until `windowMs` after the first call. */
  | { kind: 'rateLimited'; windowMs: number; format: 'seconds' | 'date' }
  /** Throws once, hangs `hangMs` on the next call (longer than the operation's timeout), then answers. */
  | { kind: 'throwsThenHangs'; hangMs: number };

export interface Fault {
  behaviour: Behaviour;
  throws: Thrown;
}

/** A scripted operation and what it saw. */
export interface ScriptedOperation {
  fn: (key: string) => Promise<string>;
  hooks: Record<OperationHook, () => void>;
  /** Epoch ms of each invocation since the last reset. */
  calls: number[];
  /** The value thrown by the first failing invocation: the one the caller's error must be. */
  firstThrown: { value: unknown } | undefined;
  freshValue: string;
  cachedValue: string;
  defaultValue: string;
  /** Calls `wrapped` once while the fault is off (it answers `cachedValue`), so cacheResults has a result. */
  prime(wrapped: (key: string) => Promise<string>, key: string): Promise<void>;
  /** Forgets the invocations so far: the fault strikes again as it did on the first one. */
  rearm(): void;
}

export function scriptedOperation(id: string, fault: Fault): ScriptedOperation {
  const hooksRan = new Set<OperationHook>();
  let limitedUntil: number | undefined;
  let priming = false;
  const operation: ScriptedOperation = {
    calls: [],
    firstThrown: undefined,
    freshValue: `fresh:${id}`,
    cachedValue: `cached:${id}`,
    defaultValue: `default:${id}`,
    hooks: {
      clearCache: () => void hooksRan.add('clearCache'),
      resetConnection: () => void hooksRan.add('resetConnection'),
      rollback: () => void hooksRan.add('rollback'),
    },
    async fn() {
      if (priming) return operation.cachedValue;
      const now = Date.now();
      operation.calls.push(now);
      const failure = failureOf(fault.behaviour, operation.calls.length, now);
      if (failure === 'hang') {
        await new Promise((resolve) => setTimeout(resolve, (fault.behaviour as { hangMs: number }).hangMs));
        return operation.freshValue;
      }
      if (!failure) return operation.freshValue;
      const value = fault.throws(failure);
      operation.firstThrown ??= { value };
      throw value;
    },
    rearm() {
      operation.calls.length = 0;
      operation.firstThrown = undefined;
      hooksRan.clear();
      limitedUntil = undefined;
    },
    async prime(wrapped, key) {
      priming = true;
      try {
        await wrapped(key);
      } finally {
        priming = false;
      }
    },
  };
  /** What this call does: answer (false), throw (with the rate limiter's Retry-After) or hang. */
  function failureOf(behaviour: Behaviour, call: number, now: number): false | 'hang' | { retryAfter?: string } {
    switch (behaviour.kind) {
      case 'fails':
        return call <= behaviour.times && {};
      case 'forever':
        return {};
      case 'primaryDown':
        return currentEndpoint(PRIMARY) === PRIMARY && {};
      case 'untilHook':
        return !hooksRan.has(behaviour.hook) && {};
      case 'throwsThenHangs':
        return call === 1 ? {} : call === 2 ? 'hang' : false;
      case 'rateLimited': {
        limitedUntil ??= windowEnd(now, behaviour);
        if (now >= limitedUntil) return false;
        const seconds = Math.ceil((limitedUntil - now) / 1000);
        return { retryAfter: behaviour.format === 'seconds' ? String(seconds) : new Date(limitedUntil).toUTCString() };
      }
    }
  }
  return operation;
}

/** An HTTP date has whole seconds: the limiter's window ends exactly at the date it announces. */
function windowEnd(now: number, behaviour: { windowMs: number; format: 'seconds' | 'date' }): number {
  if (behaviour.format === 'seconds') return now + behaviour.windowMs;
  return Math.ceil((now + behaviour.windowMs) / 1000) * 1000;
}
