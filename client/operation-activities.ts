// Activities the application's own worker hosts: they run the operation's real code.
import { ApplicationFailure } from '@temporalio/common';
import type { AppActivities } from '../common/healing-contract.js';
import { toErrorReport } from '../common/error-report.js';
import { classifyError } from '../common/rules.js';
import { runInOperationContext } from './operation-context.js';
import { cachedResult, rememberResult, type RegisteredOperation } from './operation-registry.js';
import type { Sealer } from './sealed-values.js';

export function createOperationActivities(operations: Map<string, RegisteredOperation>, sealer: Sealer): AppActivities {
  function lookup(name: string): RegisteredOperation {
    const operation = operations.get(name);
    if (!operation) {
      throw ApplicationFailure.create({
        type: 'UnknownOperation',
        message: `operation ${name} is not registered in this application`,
        nonRetryable: true,
      });
    }
    return operation;
  }

  function openArguments(sealedArgs: string | undefined): unknown[] {
    if (sealedArgs === undefined) return [];
    try {
      return sealer.unseal<unknown[]>(sealedArgs);
    } catch (error) {
      throw ApplicationFailure.create({ type: 'SealError', message: (error as Error).message, nonRetryable: true });
    }
  }

  /** Turns the operation's error into a failure Temporal retries only if it is transient. */
  function asFailure(operation: string, thrown: unknown): ApplicationFailure {
    const report = toErrorReport(thrown, Date.now()); // now: an HTTP-date Retry-After counts too
    return ApplicationFailure.create({
      type: report.name,
      message: report.message,
      nonRetryable: !classifyError(report, operation).transient,
      nextRetryDelay: report.retryAfterMs,
      details: [report],
    });
  }

  return {
    async runOperation({ operation: name, sealedArgs, endpoint }) {
      const operation = lookup(name);
      const args = openArguments(sealedArgs);
      try {
        const value = await runInOperationContext({ operation: name, endpoint }, () => operation.fn(...args));
        rememberResult(operation, args, value);
        return { sealedValue: sealer.seal(value) };
      } catch (error) {
        throw asFailure(name, error);
      }
    },

    async readCachedResult({ operation: name, sealedArgs }) {
      const cached = cachedResult(lookup(name), openArguments(sealedArgs));
      return cached ? { sealedValue: sealer.seal(cached.value) } : null;
    },

    async runOperationHook({ operation: name, hook }) {
      const run = lookup(name).options.hooks?.[hook];
      if (!run)
        throw ApplicationFailure.create({
          type: 'MissingHook',
          message: `${name} has no ${hook} hook`,
          nonRetryable: true,
        });
      await run();
    },
  };
}
