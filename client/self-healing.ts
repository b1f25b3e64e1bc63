// What an application calls: wrap an operation with withSelfHealing, report with captureError,
// and host the operations' worker so healing can re-run them where their code lives.
import {
  Client,
  Connection,
  WithStartWorkflowOperation,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
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
import { CATALOGUE_ORDER, STRATEGY_MODULES, type OperationPolicy } from '../common/strategies/index.js';
import type { ErrorReport, Strategy } from '../common/types.js';
import { dataConverterFromEnv } from '../lib/payload-codec.js';
import { tracingFromEnv, type Tracing } from '../lib/telemetry.js';
import { clientConnectionOptions, temporalSettings, workerConnectionOptions } from '../lib/temporal-connection.js';
import { breakerSettingsOf, CircuitBreakers } from './circuit-breaker.js';
import { HealingAdmission, type AdmissionLimits, type Remedy } from './healing-admission.js';
import { KnownFaults } from './known-faults.js';
import { OccurrenceBatcher } from './occurrence-batcher.js';
import { createOperationActivities } from './operation-activities.js';
import { runInOperationContext } from './operation-context.js';
import {
  LastGoodResults,
  rememberResult,
  type OperationOptions,
  type RegisteredOperation,
} from './operation-registry.js';
import { createSealer, SealError, type Sealer } from './sealed-values.js';
import { wrapCalls, type Dependency } from './success-path.js';
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
  /** Tracing of the client and the app worker; default from OTEL_EXPORTER_OTLP_ENDPOINT (off when unset). */
  tracing?: Tracing;
}

/** What became of a failed call, as the caller saw it. */
export type CallOutcome = CallerOutcome['status'] | 'timed-out' | 'not-started' | 'joined';

/** The original error, with the healing run that handled it. */
export interface HealingAnnotations {
  healingWorkflowId?: string;
  healingOutcome?: CallOutcome;
}

/** Emitted once per failed call of a wrapped operation, when its caller is answered. */
export interface CallOutcomeEvent {
  operation: string;
  outcome: CallOutcome;
  /** The strategy that answered the call (healed, skipped or queued). */
  strategy?: Strategy;
  /** The healing run that handled the call (for a joined call: the run whose remedy it used, if any). */
  healingWorkflowId?: string;
  /** Strategies the run tried, the deciding one included. */
  attempts?: number;
  /** From the failure to the caller's answer. */
  waitedMs: number;
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
/** The application's name in traces, unless OTEL_SERVICE_NAME says otherwise. */
const APP_SERVICE_NAME = 'self-healing-app';
/**
 * The run answers by the caller's deadline itself (it keeps to callerWaitMs); the caller's own
 * timer, this much later, covers a run that cannot answer (workers down, server unreachable).
 */
const ANSWER_GRACE_MS = 5_000;

type ResolvedOptions = SelfHealingOptions &
  Required<Pick<SelfHealingOptions, 'taskQueue' | 'appTaskQueue' | 'waitForHealingMs'>> & {
    workerConnection?: NativeConnection;
  };

export class SelfHealing {
  private readonly operations = new Map<string, RegisteredOperation>();
  private readonly sealer: Sealer;
  private readonly admission: HealingAdmission;
  private readonly occurrenceLog: OccurrenceBatcher;
  private readonly breakers: CircuitBreakers;
  private readonly options: ResolvedOptions;
  private readonly outcomeListeners = new Set<(event: CallOutcomeEvent) => void>();
  private readonly knownFaults = new KnownFaults();

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
    const { taskQueue, appTaskQueue } = this.options;
    this.breakers = new CircuitBreakers(client, {
      taskQueue,
      appTaskQueue,
      sealer: this.sealer,
      occurrences: this.occurrenceLog,
    });
  }

  /** Connects with the same environment as the worker (TEMPORAL_ADDRESS, TLS, API key, encryption). */
  static async connect(options: SelfHealingOptions = {}): Promise<SelfHealing> {
    const settings = temporalSettings(process.env, { address: options.address, namespace: options.namespace });
    const connection = await Connection.connect(clientConnectionOptions(settings));
    const dataConverter = options.dataConverter ?? dataConverterFromEnv();
    const tracing = options.tracing ?? tracingFromEnv(process.env, APP_SERVICE_NAME);
    const plugins = tracing ? [tracing.plugin] : [];
    const client = new Client({ connection, namespace: settings.namespace, dataConverter, plugins });
    const { address, namespace } = settings;
    return new SelfHealing(client, { ...options, address, namespace, dataConverter, tracing });
  }

  /**
   * Wraps `fn`: successes pass straight through (plus an in-memory copy when cacheResults);
   * a failure starts a healing run and waits for it, returning its healed value when there is one.
   */
  withSelfHealing<A extends unknown[], R>(
    operation: string,
    dependency: (...args: A) => Promise<R> | R,
    options: OperationOptions<R> = {},
  ): (...args: A) => Promise<R> {
    // Validated here, before any call; with a breaker the direct calls are counted (re-runs and probes are not).
    const settings = breakerSettingsOf(operation, options);
    const breaker = settings && this.breakers.register(operation, settings);
    const fn = breaker ? breaker.measured(dependency) : dependency;
    const registered: RegisteredOperation = {
      name: operation,
      fn: dependency as RegisteredOperation['fn'],
      options: options as OperationOptions<unknown>,
      cache: options.cacheResults ? new LastGoodResults() : undefined,
    };
    this.operations.set(operation, registered);
    const wrapped = this.wrap(registered, fn);
    if (!breaker) return wrapped;
    // Open: no call of the dependency, no healing run.
    return (...args: A) => (breaker.isOpen() ? breaker.shortCircuit<R>(registered, args) : wrapped(...args));
  }

  private wrap<A extends unknown[], R>(
    registered: RegisteredOperation,
    fn: (...args: A) => Promise<R> | R,
  ): (...args: A) => Promise<R> {
    // Shaped for the success path (success-path.ts): one derived promise and, with cacheResults,
    // a cheap arguments key; everything else happens only on failure.
    return wrapCalls<R>(fn as Dependency, {
      failed: (args, error) => this.heal<R>(registered, args, error),
      ...(registered.cache ? { succeeded: (args, value) => rememberResult(registered, args, value) } : {}),
    }) as (...args: A) => Promise<R>;
  }

  /** Calls `listener` once per failed call, when its caller is answered. Returns the unsubscribe function. */
  onCallOutcome(listener: (event: CallOutcomeEvent) => void): () => void {
    this.outcomeListeners.add(listener);
    return () => this.outcomeListeners.delete(listener);
  }

  /** Reports an error for diagnosis, audit and alerting. Fire and forget: never throws. */
  captureError(error: unknown, context: { operation?: string } & Record<string, unknown> = {}): string | undefined {
    try {
      const { operation = 'unknown', ...rest } = context;
      const input = this.healingInput(operation, toErrorReport(error, Date.now()), this.policyFor(operation, {}), rest);
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
      const run = await this.client.workflow
        .start(HEALING_WORKFLOW_TYPE, this.startOptions(input))
        .catch((startError: unknown) => {
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
      (await NativeConnection.connect(
        workerConnectionOptions(temporalSettings(process.env, { address: this.options.address })),
      ));
    const tracing = this.options.tracing ?? tracingFromEnv(process.env, APP_SERVICE_NAME);
    return Worker.create({
      connection,
      namespace: this.client.options.namespace,
      taskQueue: this.options.appTaskQueue,
      activities: createOperationActivities(this.operations, this.sealer),
      dataConverter: this.options.dataConverter, // must match the central worker's encryption, if any
      plugins: tracing ? [tracing.plugin] : [],
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
    const failedAt = Date.now();
    const deadline = failedAt + (operation.options.waitForHealingMs ?? this.options.waitForHealingMs);
    const input = this.callHealingInput(operation, args, error);
    const admission = await this.admission.acquire(input.signature, input.workflowId, deadline - Date.now());
    const emit = (event: Omit<CallOutcomeEvent, 'operation' | 'waitedMs'>) =>
      this.emitOutcome({ operation: operation.name, waitedMs: Date.now() - failedAt, ...event });
    if (!admission || 'remedy' in admission)
      return this.healBeside(operation, args, error, input, admission?.remedy, emit);
    input.callerWaitMs = deadline - Date.now();
    const outcome = await this.waitForOutcome(input, input.callerWaitMs + ANSWER_GRACE_MS, admission.release);
    const answered = { healingWorkflowId: input.workflowId, outcome: outcome.status };
    switch (outcome.status) {
      case 'healed':
        emit({ ...answered, strategy: outcome.strategy, attempts: outcome.attempts });
        return outcome.useDefaultValue
          ? (operation.options.defaultValue as R)
          : this.sealer.unseal<R>(outcome.sealedValue!);
      case 'skipped':
        emit({ ...answered, strategy: outcome.strategy });
        return undefined as R;
      case 'queued':
        emit({ ...answered, strategy: outcome.strategy });
        throw new OperationQueuedError(operation.name, input.workflowId, outcome.runAt, error);
      default:
        emit({ ...answered, ...(outcome.status === 'failed' ? { attempts: outcome.attempts } : {}) });
        throw annotate(error, { healingWorkflowId: input.workflowId, healingOutcome: outcome.status });
    }
  }

  /**
   * A call that got no run of its own (its signature's runs are at capacity): it applies the
   * remedy a run of its fault found, when there is one, and its real outcome is recorded by the
   * occurrence log; otherwise it gets its own error at once.
   */
  private async healBeside<R>(
    operation: RegisteredOperation,
    args: unknown[],
    error: unknown,
    input: HealingInput,
    remedy: Remedy | undefined,
    emit: (event: Omit<CallOutcomeEvent, 'operation' | 'waitedMs'>) => void,
  ): Promise<R> {
    const healingWorkflowId = remedy?.healingWorkflowId ?? this.admission.runningFor(input.signature);
    if (remedy) {
      try {
        const value = await runInOperationContext({ operation: operation.name, endpoint: remedy.endpoint }, () =>
          operation.fn(...args),
        );
        rememberResult(operation, args, value);
        this.recordWithoutRun(input, 'healed', healingWorkflowId, remedy.strategy);
        emit({ healingWorkflowId, outcome: 'healed', strategy: remedy.strategy, attempts: 1 });
        return value as R;
      } catch {
        // the remedy did not work for this call: it gets its own error, as a joined call
      }
    }
    this.recordWithoutRun(input, 'joined', healingWorkflowId);
    emit({ healingWorkflowId, outcome: 'joined' });
    throw annotate(error, { healingWorkflowId, healingOutcome: 'joined' });
  }

  private emitOutcome(event: CallOutcomeEvent): void {
    for (const listener of this.outcomeListeners) {
      try {
        listener(event);
      } catch (failure) {
        process.emitWarning(`a call-outcome listener threw: ${String(failure)}`);
      }
    }
  }

  private callHealingInput(operation: RegisteredOperation, args: unknown[], error: unknown): HealingInput {
    const { options } = operation;
    // now: an HTTP-date Retry-After counts too.
    const report = toErrorReport(error, Date.now());
    const input = this.healingInput(operation.name, report, this.policyFor(operation.name, options), {});
    input.appTaskQueue = this.options.appTaskQueue;
    input.sealedArgs = this.trySeal(args);
    if (input.sealedArgs === undefined) withoutArguments(input.policy);
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
      .then((answer) => {
        if (answer.known) this.knownFaults.remember(input.signature, answer.known);
        this.shareRemedy(input, answer);
        return answer;
      })
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

  /** A call healed by re-running the operation: the calls of its fault waiting for a run apply the same remedy. */
  private shareRemedy(input: HealingInput, answer: CallerOutcome): void {
    if (answer.status !== 'healed') return;
    const strategy = STRATEGY_MODULES[answer.strategy];
    if (strategy.degraded || !strategy.rerunsOperation) return;
    const endpoint = answer.endpoint;
    this.admission.remedyFound(input.signature, {
      strategy: answer.strategy,
      healingWorkflowId: input.workflowId,
      ...(endpoint ? { endpoint } : {}),
    });
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

  private recordWithoutRun(
    input: HealingInput,
    result: JoinedOccurrence['result'],
    healingWorkflowId: string | undefined,
    strategy?: Strategy,
  ): void {
    this.occurrenceLog.add(input.operation, input.signature, {
      eventKey: input.workflowId,
      result,
      healingWorkflowId,
      ...(strategy ? { strategy } : {}),
      error: input.error,
      context: input.context,
      detectedAt: input.detectedAt,
    });
  }

  private healingInput(
    operation: string,
    error: ErrorReport,
    policy: OperationPolicy,
    context: Record<string, unknown>,
  ): HealingInput {
    const { signature } = errorSignature({ report: error, operation });
    const known = this.knownFaults.get(signature);
    return {
      workflowId: healingWorkflowId(operation, signature),
      operation,
      error,
      signature,
      policy,
      context: sanitize(context) as Record<string, unknown>,
      detectedAt: new Date().toISOString(),
      ...(known ? { known } : {}),
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
      skippable: options.critical === false,
      queueable: options.queueForLater ?? false,
      alternateEndpoints: options.alternateEndpoints ?? [],
      hooks: Object.keys(options.hooks ?? {}) as OperationPolicy['hooks'],
      circuitBreaker: breakerSettingsOf(operation, options),
      ...(options.recurrenceWindowMs !== undefined ? { recurrenceWindowMs: options.recurrenceWindowMs } : {}),
    };
  }

  private startOptions(input: HealingInput): WorkflowStartOptions {
    return {
      workflowId: input.workflowId,
      taskQueue: this.options.taskQueue,
      args: [input],
      staticSummary: runSummary(input),
      staticDetails: [
        `Error: \`${input.error.name}: ${input.error.message.slice(0, 200)}\``,
        `Signature \`${input.signature}\`${input.error.code ? `, code \`${input.error.code}\`` : ''}`,
      ].join('\n\n'),
      typedSearchAttributes: [
        { key: attributes.OPERATION, value: input.operation },
        { key: attributes.ERROR_SIGNATURE, value: input.signature },
        { key: attributes.HEALING_OUTCOME, value: 'pending' },
        // A known fault's run plans from it at once and leaves these to its start (healing.ts).
        ...(input.known
          ? [
              { key: attributes.ERROR_CATEGORY, value: input.known.diagnosis.category },
              { key: attributes.ERROR_SEVERITY, value: input.known.diagnosis.severity },
            ]
          : []),
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

  /** Sends the breakers' last counts and the occurrences still buffered, then closes the connection. */
  async close(): Promise<void> {
    await this.breakers.close();
    await this.flushOccurrences();
    await this.client.connection.close();
  }
}

/**
 * What the run is about, as the Temporal UI lists it: "heal orders.charge after ECONNREFUSED". Set at
 * start, it must read true however the run ends, so it names the trigger, not a failure.
 */
function runSummary({ operation, error }: HealingInput): string {
  const trigger = error.code ?? (error.status ? `HTTP ${error.status}` : error.name);
  return `heal ${operation.slice(0, 120)} after ${trigger.slice(0, 60)}`;
}

/** Without its arguments an operation can neither be re-run nor looked up in the cache. */
function withoutArguments(policy: OperationPolicy): void {
  policy.cacheable = false;
  policy.allowedStrategies = (policy.allowedStrategies ?? CATALOGUE_ORDER).filter(
    (strategy) => !STRATEGY_MODULES[strategy].rerunsOperation,
  );
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
