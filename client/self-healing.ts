// What an application calls: wrap an operation with withSelfHealing, report with captureError,
// and host the operations' worker so healing can re-run them where their code lives.
import { Client, Connection, WithStartWorkflowOperation, type WorkflowHandle, type WorkflowStartOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { toErrorReport } from '../common/error-report.js';
import {
  callerOutcomeUpdate,
  HEALING_WORKFLOW_TYPE,
  type CallerOutcome,
  type HealingInput,
} from '../common/healing-contract.js';
import { sanitize } from '../common/sanitize.js';
import * as attributes from '../common/search-attributes.js';
import { errorSignature } from '../common/signature.js';
import type { JoinedOccurrence } from '../common/occurrence-log-contract.js';
import { STRATEGY_CATALOGUE, type OperationPolicy } from '../common/strategies.js';
import { STRATEGIES, type ErrorReport, type Strategy } from '../common/types.js';
import { dataConverterFromEnv } from '../lib/payload-codec.js';
import { clientConnectionOptions, temporalSettings, workerConnectionOptions } from '../lib/temporal-connection.js';
import { HealingAdmission, type AdmissionLimits } from './healing-admission.js';
import { OccurrenceBatcher } from './occurrence-batcher.js';
import { createOperationActivities } from './operation-activities.js';
import { LastGoodResults, rememberResult, type OperationOptions, type RegisteredOperation } from './operation-registry.js';
import { createSealer, SealError, type Sealer } from './sealed-values.js';
import { healingWorkflowId } from './workflow-ids.js';

export interface SelfHealingOptions {
  /** Temporal frontend, host:port. Default TEMPORAL_ADDRESS or 127.0.0.1:7233. */
  address?: string;
  namespace?: string;
  /** The central worker's task queue, where healing workflows run. */
  taskQueue?: string;
  /** This application's task queue, where its operations are re-run. */
  appTaskQueue?: string;
  /** Default deadline for a caller waiting on healing. */
  waitForHealingMs?: number;
  /** Key that seals arguments and results in Temporal payloads (see sealed-values.ts). */
  sealKey?: string;
  /** Payload encryption; default from PAYLOAD_ENCRYPTION_KEY(S). Must match the central worker's. */
  dataConverter?: DataConverter;
  /**
   * Healing runs in flight from this process (storm control): beyond them a failure waits for
   * a run of its fault to finish, until its caller's deadline; then it is recorded without a
   * run of its own and the caller gets the original error (healingOutcome 'joined').
   */
  admission?: AdmissionLimits;
}

/** The original error, with the healing run that handled it. */
export interface HealingAnnotations {
  healingWorkflowId?: string;
  healingOutcome?: CallerOutcome['status'] | 'timed-out' | 'not-started' | 'joined';
}

/** Thrown to the caller when its call was queued for later (QUEUE_FOR_LATER). */
export class OperationQueuedError extends Error {
  override name = 'OperationQueuedError';
  constructor(
    readonly operation: string,
    readonly healingWorkflowId: string,
    readonly runAt: string,
    cause: unknown,
  ) {
    super(`${operation} failed and was queued to run again at ${runAt} (healing run ${healingWorkflowId})`, { cause });
  }
}

const DEFAULT_WAIT_MS = 30_000;

type ResolvedOptions = SelfHealingOptions &
  Required<Pick<SelfHealingOptions, 'taskQueue' | 'appTaskQueue' | 'waitForHealingMs'>> & {
    workerConnection?: NativeConnection;
  };

export class SelfHealing {
  private readonly operations = new Map<string, RegisteredOperation>();
  private readonly sealer: Sealer;
  private readonly admission: HealingAdmission;
  private readonly occurrenceLog: OccurrenceBatcher;
  private readonly options: ResolvedOptions;

  /** Prefer `SelfHealing.connect`; this form reuses an existing client (tests, apps that have one). */
  constructor(
    readonly client: Client,
    options: SelfHealingOptions & { workerConnection?: NativeConnection } = {},
  ) {
    this.options = {
      ...options,
      taskQueue: options.taskQueue ?? process.env.TEMPORAL_TASK_QUEUE ?? 'self-healing',
      appTaskQueue: options.appTaskQueue ?? 'app-operations',
      waitForHealingMs: options.waitForHealingMs ?? DEFAULT_WAIT_MS,
    };
    this.sealer = createSealer(options.sealKey ?? process.env.SELF_HEALING_SEAL_KEY);
    this.admission = new HealingAdmission(options.admission);
    this.occurrenceLog = new OccurrenceBatcher(client, { taskQueue: this.options.taskQueue });
  }

  /** Connects with the same environment as the worker (TEMPORAL_ADDRESS, TLS, API key, encryption). */
  static async connect(options: SelfHealingOptions = {}): Promise<SelfHealing> {
    const settings = temporalSettings(process.env, { address: options.address, namespace: options.namespace });
    const connection = await Connection.connect(clientConnectionOptions(settings));
    const dataConverter = options.dataConverter ?? dataConverterFromEnv();
    const client = new Client({ connection, namespace: settings.namespace, dataConverter });
    return new SelfHealing(client, { ...options, address: settings.address, namespace: settings.namespace, dataConverter });
  }

  /**
   * Wraps `fn`: successes pass straight through (plus an in-memory copy when cacheResults);
   * a failure starts a healing run and waits for it, returning its healed value when there is one.
   */
  withSelfHealing<A extends unknown[], R>(
    operation: string,
    fn: (...args: A) => Promise<R> | R,
    options: OperationOptions<R> = {},
  ): (...args: A) => Promise<R> {
    const registered: RegisteredOperation = {
      name: operation,
      fn: fn as RegisteredOperation['fn'],
      options: options as OperationOptions<unknown>,
      cache: options.cacheResults ? new LastGoodResults() : undefined,
    };
    this.operations.set(operation, registered);
    // Shaped for the success path: no async wrapper, one extra promise (and, with cacheResults,
    // a cheap arguments key); everything else happens only on failure.
    if (registered.cache) {
      return (...args: A) => {
        let result: Promise<R> | R;
        try {
          result = fn(...args);
        } catch (error) {
          return this.heal<R>(registered, args, error);
        }
        return Promise.resolve(result).then(
          (value) => {
            rememberResult(registered, args, value);
            return value;
          },
          (error: unknown) => this.heal<R>(registered, args, error),
        );
      };
    }
    return (...args: A) => {
      try {
        return Promise.resolve(fn(...args)).catch((error: unknown) => this.heal<R>(registered, args, error));
      } catch (error) {
        return this.heal<R>(registered, args, error);
      }
    };
  }

  /** Reports an error for diagnosis, audit and alerting. Fire and forget: never throws. */
  captureError(error: unknown, context: { operation?: string } & Record<string, unknown> = {}): string | undefined {
    try {
      const { operation = 'unknown', ...rest } = context;
      const input = this.healingInput(operation, toErrorReport(error), this.policyFor(operation, {}), rest);
      void this.runReported(input);
      return input.workflowId;
    } catch (failure) {
      process.emitWarning(`captureError failed: ${String(failure)}`);
      return undefined;
    }
  }

  /** A reported error's run, if its fault has room now (nobody waits for it); else the occurrence log. */
  private async runReported(input: HealingInput): Promise<void> {
    const release = this.admission.tryAcquire(input.signature, input.workflowId);
    if (!release) return this.recordWithoutRun(input, 'joined', this.admission.runningFor(input.signature));
    try {
      const run = await this.client.workflow.start(HEALING_WORKFLOW_TYPE, this.startOptions(input)).catch((startError: unknown) => {
        process.emitWarning(`captureError could not start healing: ${String(startError)}`);
        this.recordWithoutRun(input, 'not-started', input.workflowId);
      });
      await run?.result(); // holds its admission while it runs
    } catch {
      // the run's own outcome is in its record; nobody waits for it here
    } finally {
      release();
    }
  }

  /** Runs this application's worker (its registered operations) until `signal` aborts. */
  async runWorker(signal?: AbortSignal): Promise<void> {
    const worker = await this.createWorker();
    if (signal) signal.addEventListener('abort', () => worker.shutdown(), { once: true });
    await worker.run();
  }

  async createWorker(): Promise<Worker> {
    const connection =
      this.options.workerConnection ??
      (await NativeConnection.connect(workerConnectionOptions(temporalSettings(process.env, { address: this.options.address }))));
    return Worker.create({
      connection,
      namespace: this.client.options.namespace,
      taskQueue: this.options.appTaskQueue,
      activities: createOperationActivities(this.operations, this.sealer),
      dataConverter: this.options.dataConverter, // must match the central worker's encryption, if any
    });
  }

  /**
   * Starts a healing run for a failed call of a registered operation without waiting for it
   * (withSelfHealing does this and waits; useful to re-heal a call or drive a run yourself).
   */
  async startHealing(operation: string, args: unknown[], error: unknown): Promise<WorkflowHandle> {
    const registered = this.operations.get(operation);
    if (!registered) throw new Error(`operation ${operation} is not registered: wrap it with withSelfHealing first`);
    const input = this.callHealingInput(registered, args, error);
    return this.client.workflow.start(HEALING_WORKFLOW_TYPE, this.startOptions(input));
  }

  private async heal<R>(operation: RegisteredOperation, args: unknown[], error: unknown): Promise<R> {
    const { options } = operation;
    const deadline = Date.now() + (options.waitForHealingMs ?? this.options.waitForHealingMs);
    const input = this.callHealingInput(operation, args, error);
    const release = await this.admission.acquire(input.signature, input.workflowId, deadline - Date.now());
    if (!release) {
      const joined = this.admission.runningFor(input.signature);
      this.recordWithoutRun(input, 'joined', joined);
      throw annotate(error, { healingWorkflowId: joined, healingOutcome: 'joined' });
    }
    const outcome = await this.waitForOutcome(input, deadline - Date.now(), release);
    switch (outcome.status) {
      case 'healed':
        return outcome.useDefaultValue ? (options.defaultValue as R) : this.sealer.unseal<R>(outcome.sealedValue!);
      case 'skipped':
        return undefined as R;
      case 'queued':
        throw new OperationQueuedError(operation.name, input.workflowId, outcome.runAt, error);
      default:
        throw annotate(error, { healingWorkflowId: input.workflowId, healingOutcome: outcome.status });
    }
  }

  private callHealingInput(operation: RegisteredOperation, args: unknown[], error: unknown): HealingInput {
    const { options } = operation;
    const input = this.healingInput(operation.name, toErrorReport(error), this.policyFor(operation.name, options), {});
    input.appTaskQueue = this.options.appTaskQueue;
    input.sealedArgs = this.trySeal(args);
    if (input.sealedArgs === undefined) input.policy.allowedStrategies = withoutReruns(input.policy);
    input.timing = options.timing;
    return input;
  }

  /**
   * Starts the run and waits for what to tell the caller, up to `waitMs`. The run keeps its
   * admission until it has answered (the caller may have stopped waiting). When the start is
   * refused (overload, server down), the occurrence is recorded by the occurrence log instead.
   */
  private async waitForOutcome(
    input: HealingInput,
    waitMs: number,
    release: () => void,
  ): Promise<CallerOutcome | { status: 'timed-out' | 'not-started' }> {
    const start = new WithStartWorkflowOperation(HEALING_WORKFLOW_TYPE, {
      ...this.startOptions(input),
      workflowIdConflictPolicy: 'FAIL',
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<{ status: 'timed-out' }>((resolve) => {
      timer = setTimeout(() => resolve({ status: 'timed-out' }), waitMs);
    });
    const outcome = this.client.workflow
      .executeUpdateWithStart(callerOutcomeUpdate, { startWorkflowOperation: start })
      .catch(async () => {
        if (await this.runExists(input.workflowId)) return { status: 'timed-out' as const };
        this.recordWithoutRun(input, 'not-started', input.workflowId);
        return { status: 'not-started' as const };
      })
      .catch(() => ({ status: 'not-started' as const })) // whatever fails here, the caller gets its own error
      .finally(release);
    try {
      return await Promise.race([outcome, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** False when not found, or when the server cannot say: then it is recorded (recording twice is harmless). */
  private async runExists(workflowId: string): Promise<boolean> {
    try {
      await this.client.workflow.getHandle(workflowId).describe();
      return true;
    } catch {
      return false;
    }
  }

  private recordWithoutRun(input: HealingInput, result: JoinedOccurrence['result'], healingWorkflowId: string | undefined): void {
    this.occurrenceLog.add(input.operation, input.signature, {
      eventKey: input.workflowId,
      result,
      healingWorkflowId,
      error: input.error,
      context: input.context,
      detectedAt: input.detectedAt,
    });
  }

  private healingInput(operation: string, error: ErrorReport, policy: OperationPolicy, context: Record<string, unknown>): HealingInput {
    const { signature } = errorSignature({ report: error, operation });
    return {
      workflowId: healingWorkflowId(operation, signature),
      operation,
      error,
      signature,
      policy,
      context: sanitize(context) as Record<string, unknown>,
      detectedAt: new Date().toISOString(),
    };
  }

  private policyFor(operation: string, options: OperationOptions<unknown>): OperationPolicy {
    return {
      operation,
      allowedStrategies: options.allowedStrategies,
      requiresApproval: options.requiresApproval,
      cacheable: options.cacheResults ?? false,
      hasDefaultValue: 'defaultValue' in options,
      critical: options.critical ?? false,
      alternateEndpoints: options.alternateEndpoints ?? [],
      hooks: Object.keys(options.hooks ?? {}) as OperationPolicy['hooks'],
    };
  }

  private startOptions(input: HealingInput): WorkflowStartOptions {
    return {
      workflowId: input.workflowId,
      taskQueue: this.options.taskQueue,
      args: [input],
      staticSummary: `${input.operation} failed: ${input.error.name}: ${input.error.message.slice(0, 120)}`,
      staticDetails: `Signature \`${input.signature}\`${input.error.code ? `, code \`${input.error.code}\`` : ''}`,
      typedSearchAttributes: [
        { key: attributes.OPERATION, value: input.operation },
        { key: attributes.ERROR_SIGNATURE, value: input.signature },
        { key: attributes.HEALING_OUTCOME, value: 'pending' },
      ],
    };
  }

  private trySeal(args: unknown[]): string | undefined {
    try {
      return this.sealer.seal(args);
    } catch (error) {
      if (error instanceof SealError) return undefined;
      throw error;
    }
  }

  /** Sends the occurrences that wait in the buffer for the occurrence log (close() does it too). */
  async flushOccurrences(): Promise<void> {
    await this.occurrenceLog.flush();
  }

  /** Sends the occurrences still buffered, then closes the connection. */
  async close(): Promise<void> {
    await this.flushOccurrences();
    await this.client.connection.close();
  }
}

/** Without its arguments an operation cannot be re-run: only non-re-running strategies remain. */
function withoutReruns(policy: OperationPolicy): Strategy[] {
  const allowed = policy.allowedStrategies ?? STRATEGIES;
  return allowed.filter((strategy) => !STRATEGY_CATALOGUE[strategy].rerunsOperation && strategy !== 'FALLBACK_TO_CACHE');
}

function annotate(error: unknown, annotations: HealingAnnotations): unknown {
  if (error !== null && typeof error === 'object' && Object.isExtensible(error)) {
    Object.defineProperties(error, {
      healingWorkflowId: { value: annotations.healingWorkflowId, configurable: true },
      healingOutcome: { value: annotations.healingOutcome, configurable: true },
    });
  }
  return error;
}
