// The application's side of the shared circuit breakers (workflows/circuit-breaker.ts): per
// wrapped operation that opts in, a local flag that a background timer keeps current, and outcome
// counts that it sends to the breaker in batches. The success path pays a counter increment, no
// I/O. While the breaker is open a call fails fast with CircuitOpenError (or takes the operation's
// degraded answer), without calling the dependency and without a healing run; the occurrence is
// recorded by the occurrence log as `breaker-open`.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  BREAKER_MEMO_KEY,
  breakerReportSignal,
  breakerWorkflowId,
  CIRCUIT_BREAKER_WORKFLOW_TYPE,
  type BreakerInput,
  type BreakerReport,
  type BreakerStatus,
} from '../common/circuit-breaker/contract.js';
import { resolveCircuitBreaker, type CircuitBreakerSettings } from '../common/circuit-breaker/settings.js';
import type { OutcomeBucket } from '../common/circuit-breaker/window.js';
import { toErrorReport } from '../common/error-report.js';
import { classifyError } from '../common/rules.js';
import * as attributes from '../common/search-attributes.js';
import { errorSignature } from '../common/signature.js';
import type { OccurrenceBatcher } from './occurrence-batcher.js';
import { cachedResult, type OperationOptions, type RegisteredOperation } from './operation-registry.js';
import { SealError, type Sealer } from './sealed-values.js';
import { healingWorkflowId } from './workflow-ids.js';

/** Thrown to the caller while the operation's breaker is open (and it has no degraded answer). */
export class CircuitOpenError extends Error {
  override name = 'CircuitOpenError';
  constructor(
    readonly operation: string,
    /** When the system probes the dependency again; undefined while an operator holds it open. */
    readonly retryAt: Date | undefined,
    readonly breakerId: string,
    readonly reason: string,
  ) {
    super(
      `circuit breaker of ${operation} is open (${reason})${retryAt ? `; next probe at ${retryAt.toISOString()}` : ''}`,
    );
  }
}

/** Interval of the counts, and of the reports while this instance sees failures or the breaker is open. */
const TICK_MS = 250;
/**
 * Reports of an instance that sees no failure: at most this far apart (and four per window), so
 * that healthy instances count in the window and its quorum.
 */
const HEALTHY_REPORT_MS = 5_000;
/** How often the state is read while the breaker exists or this instance saw a failure: an open reaches it within 1 s. */
const FAST_POLL_MS = 500;
/** Otherwise: a breaker started elsewhere (by the other instances, or opened by hand) is found within this. */
const SLOW_POLL_MS = 5_000;
/** A state that could not be read again for this long stops holding calls (fail open rather than stuck open). */
const STALE_MS = 30_000;

/** The operation's breaker settings (validated: throws CircuitBreakerSettingsError), or undefined without one. */
export function breakerSettingsOf(
  operation: string,
  options: OperationOptions<unknown>,
): CircuitBreakerSettings | undefined {
  const chosen = options.circuitBreaker;
  if (!chosen) return undefined;
  return resolveCircuitBreaker(operation, chosen === true ? {} : chosen);
}

interface BreakersOptions {
  taskQueue: string;
  appTaskQueue: string;
  sealer: Sealer;
  occurrences: OccurrenceBatcher;
}

/** Every breaker of this process, one per operation that opts in. */
export class CircuitBreakers {
  /** Names this process in the breakers' windows (the quorum counts instances). */
  readonly instance = `${hostname()}:${process.pid}:${randomUUID().slice(0, 4)}`;
  private readonly breakers = new Map<string, LocalBreaker>();

  constructor(
    private readonly client: Client,
    private readonly options: BreakersOptions,
  ) {}

  /** The operation's breaker (replacing one registered before under the same name). */
  register(operation: string, settings: CircuitBreakerSettings): LocalBreaker {
    void this.breakers.get(operation)?.stop();
    const breaker = new LocalBreaker(operation, settings, this.client, this.options, this.instance);
    this.breakers.set(operation, breaker);
    return breaker;
  }

  /** Sends what is counted and stops the timers (SelfHealing.close). */
  async close(): Promise<void> {
    await Promise.all([...this.breakers.values()].map((breaker) => breaker.stop()));
  }
}

export class LocalBreaker {
  readonly breakerId: string;
  private status: BreakerStatus | undefined;
  private confirmedAt = 0;
  /** The breaker workflow was found running (it then gets every report, successes included). */
  private exists = false;
  private current: OutcomeBucket = { at: Date.now(), calls: 0, failures: 0 };
  private unsent: OutcomeBucket[] = [];
  private rejected = 0;
  private lastFailureAt = -Infinity;
  private lastReportAt = -Infinity;
  private lastPollAt = -Infinity;
  private failedArgs: unknown[] | undefined;
  private readonly timer: NodeJS.Timeout;
  private busy: Promise<void> | undefined;
  private signature: string | undefined;

  constructor(
    readonly operation: string,
    readonly settings: CircuitBreakerSettings,
    private readonly client: Client,
    private readonly options: BreakersOptions,
    private readonly instance: string,
  ) {
    this.breakerId = breakerWorkflowId(operation);
    // A restarted instance learns a breaker that is open (or held open) before its first calls.
    this.busy = this.refresh().finally(() => (this.busy = undefined));
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref(); // never keeps the application alive
  }

  /** The local flag: open or half-open, and confirmed recently. */
  isOpen(): boolean {
    const status = this.status;
    return status !== undefined && status.state !== 'closed' && Date.now() - this.confirmedAt < STALE_MS;
  }

  /** Wraps the dependency call: counts its outcome (a failure only when transient: a dependency fault). */
  measured<A extends unknown[], R>(fn: (...args: A) => Promise<R> | R): (...args: A) => Promise<R> | R {
    return (...args: A) => {
      let result: Promise<R> | R;
      try {
        result = fn(...args);
      } catch (error) {
        this.failed(error, args);
        throw error;
      }
      if (!isThenable(result)) {
        this.succeeded();
        return result;
      }
      return Promise.resolve(result).then(
        (value) => {
          this.succeeded();
          return value;
        },
        (error: unknown) => {
          this.failed(error, args);
          throw error;
        },
      );
    };
  }

  /**
   * A call while open: the operation's degraded answer (last good result, default value) or
   * CircuitOpenError, recorded as a `breaker-open` occurrence either way.
   */
  shortCircuit<R>(operation: RegisteredOperation, args: unknown[]): Promise<R> {
    this.rejected++;
    const error = this.rejection();
    this.record(error);
    const cached = operation.cache ? safeCachedResult(operation, args) : undefined;
    if (cached) return Promise.resolve(cached.value as R);
    if ('defaultValue' in operation.options) return Promise.resolve(operation.options.defaultValue as R);
    return Promise.reject(error);
  }

  rejection(): CircuitOpenError {
    const status = this.status!;
    const retryAt = status.retryAt === undefined ? undefined : new Date(status.retryAt);
    return new CircuitOpenError(this.operation, retryAt, this.breakerId, status.reason);
  }

  private succeeded(): void {
    this.current.calls++;
  }

  private failed(error: unknown, args: unknown[]): void {
    this.current.calls++;
    // Only a dependency fault counts against it: a refused input is an answer of a working dependency.
    if (!classifyError(toErrorReport(error, Date.now()), this.operation).transient) return;
    this.current.failures++;
    this.lastFailureAt = Date.now();
    this.failedArgs = args;
  }

  /** Closes the interval's bucket; reports and reads the state when due. */
  private tick(): void {
    const now = Date.now();
    if (this.current.calls > 0) this.unsent.push(this.current);
    this.current = { at: now, calls: 0, failures: 0 };
    this.unsent = this.unsent.filter((bucket) => bucket.at >= now - this.settings.windowMs);
    if (this.busy) return;
    const failureSeen = now - this.lastFailureAt < this.settings.windowMs;
    const reportEvery =
      failureSeen || this.isOpen() ? TICK_MS : Math.min(HEALTHY_REPORT_MS, this.settings.windowMs / 4);
    const report = (this.unsent.length > 0 || this.rejected > 0) && now - this.lastReportAt >= reportEvery;
    const poll = now - this.lastPollAt >= (this.exists || failureSeen ? FAST_POLL_MS : SLOW_POLL_MS);
    if (!report && !poll) return;
    this.busy = (async () => {
      if (report) await this.report(now);
      if (poll) await this.refresh();
    })().finally(() => (this.busy = undefined));
  }

  private async report(now: number): Promise<void> {
    this.lastReportAt = now;
    const buckets = this.unsent;
    const rejected = this.rejected;
    const report: BreakerReport = {
      instance: this.instance,
      buckets: buckets.map((bucket) => ({ ageMs: now - bucket.at, calls: bucket.calls, failures: bucket.failures })),
      rejected,
      settings: this.settings,
      appTaskQueue: this.options.appTaskQueue,
      ...this.probeArgs(),
    };
    try {
      await this.client.workflow.signalWithStart(CIRCUIT_BREAKER_WORKFLOW_TYPE, {
        workflowId: this.breakerId,
        taskQueue: this.options.taskQueue,
        args: [
          {
            operation: this.operation,
            settings: this.settings,
            appTaskQueue: this.options.appTaskQueue,
          } satisfies BreakerInput,
        ],
        signal: breakerReportSignal,
        signalArgs: [report],
        staticSummary: `Circuit breaker of ${this.operation}, shared by every instance`,
        typedSearchAttributes: [
          { key: attributes.OPERATION, value: this.operation },
          { key: attributes.CIRCUIT_STATE, value: 'closed' },
        ],
      });
      this.unsent = this.unsent.filter((bucket) => !buckets.includes(bucket));
      this.rejected -= rejected;
      this.exists = true;
    } catch {
      // kept (within the window) for the next report
    }
  }

  /** The arguments of the latest failed call, sealed, for the probe (once). */
  private probeArgs(): { probeArgs?: string } {
    const args = this.failedArgs;
    if (!args) return {};
    this.failedArgs = undefined;
    try {
      return { probeArgs: this.options.sealer.seal(args) };
    } catch (error) {
      if (error instanceof SealError) return {};
      throw error;
    }
  }

  /** Reads the state from the breaker workflow (its memo): no worker involved, cheap for the server. */
  private async refresh(): Promise<void> {
    this.lastPollAt = Date.now();
    try {
      const description = await this.client.workflow.getHandle(this.breakerId).describe();
      const running = description.status.name === 'RUNNING';
      this.exists = running;
      this.status = running ? (description.memo?.[BREAKER_MEMO_KEY] as BreakerStatus | undefined) : undefined;
      this.confirmedAt = Date.now();
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) return; // unreachable: keep the last state until it is stale
      this.exists = false;
      this.status = undefined;
      this.confirmedAt = Date.now();
    }
  }

  private record(error: CircuitOpenError): void {
    const report = toErrorReport(error, Date.now());
    // One signature per operation's breaker: the message carries the time of the next probe.
    this.signature ??= errorSignature({
      report: { name: report.name, message: `circuit breaker of ${this.operation} is open` },
      operation: this.operation,
    }).signature;
    this.options.occurrences.add(this.operation, this.signature, {
      eventKey: healingWorkflowId(this.operation, this.signature),
      result: 'breaker-open',
      healingWorkflowId: this.breakerId,
      error: report,
      detectedAt: new Date().toISOString(),
    });
  }

  /** Stops the timer and sends what is counted (best effort). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.busy;
    if (this.current.calls > 0) this.unsent.push(this.current);
    this.current = { at: Date.now(), calls: 0, failures: 0 };
    if (this.unsent.length > 0 || this.rejected > 0) await this.report(Date.now());
  }
}

function isThenable<R>(value: Promise<R> | R): value is Promise<R> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function safeCachedResult(operation: RegisteredOperation, args: unknown[]): { value: unknown } | undefined {
  try {
    return cachedResult(operation, args);
  } catch {
    return undefined; // arguments that cannot be keyed were never cached
  }
}
