// What a re-run of an operation knows about itself, e.g. which endpoint SWITCH_API_ENDPOINT chose.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Strategy } from '../common/types.js';

export interface OperationRunContext {
  operation: string;
  endpoint?: string;
  strategy?: Strategy;
}

const storage = new AsyncLocalStorage<OperationRunContext>();

export function runInOperationContext<T>(context: OperationRunContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** Set while healing re-runs the operation (in the application's worker); undefined on a first call. */
export function currentOperationRun(): OperationRunContext | undefined {
  return storage.getStore();
}

/**
 * The endpoint this run of the operation should call: an alternate one while healing switches
 * endpoints, otherwise `primary`.
 */
export function currentEndpoint(primary: string): string {
  return storage.getStore()?.endpoint ?? primary;
}
