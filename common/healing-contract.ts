// The contract between the client library, the healing workflow and its activities:
// inputs, outcomes, and the messages a running healing workflow answers.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { LearnedStrategyStats } from './strategies/planner.js';
import type { OperationPolicy } from './strategies/policy.js';
import {
  ERROR_CATEGORIES,
  SEVERITIES,
  STRATEGIES,
  type Diagnosis,
  type ErrorReport,
  type HealingResult,
  type Strategy,
} from './types.js';

const isStrategy = (value: unknown): value is Strategy => (STRATEGIES as readonly unknown[]).includes(value);

export const HEALING_WORKFLOW_TYPE = 'healingWorkflow';

export interface HealingInput {
  /** Also the healing event's idempotency key. */
  workflowId: string;
  operation: string;
  /** Sanitised, bounded description of what was thrown. */
  error: ErrorReport;
  signature: string;
  policy: OperationPolicy;
  /**
   * Task queue of the application worker that hosts this operation's code. Absent for errors
   * that were only reported (captureError): those are diagnosed, recorded and alerted on, not re-run.
   */
  appTaskQueue?: string;
  /** The call's arguments, encrypted by the application: the workflow never sees them in clear. */
  sealedArgs?: string;
  /** Sanitised application context for the audit trail and the diagnosis. */
  context?: Record<string, unknown>;
  detectedAt: string;
  /**
   * How long, from the run's start, a caller waits for its answer. The run keeps to it: no
   * re-run starts (or runs on) past it, so an operation never runs again after its caller was
   * told it failed (unless it was told its call is queued).
   */
  callerWaitMs?: number;
  timing?: Partial<HealingTiming>;
  /**
   * What the central system had learned about this signature, as a previous run told this client
   * (CallerOutcome.known): the run plans from it at once, without an analysis before its first
   * strategy. Absent for a fault the client has not seen answered lately: the run analyses it.
   */
  known?: KnownFault;
  /**
   * False when the starter owns alerting for this fault (the health-check workflow alerts after
   * N consecutive failures; its healing runs must not alert on the first one).
   */
  notifyAdmins?: boolean;
}

export interface HealingTiming {
  /** Runs of the operation under RETRY_WITH_BACKOFF, RATE_LIMIT_BACKOFF and after a hook. */
  maximumAttempts: number;
  /** How long QUEUE_FOR_LATER waits (a durable timer) before running the operation again. */
  queueDelayMs: number;
  /** Bound on one run of the operation. */
  operationTimeoutMs: number;
  /** How long a strategy that needs approval waits for an operator before a safer one is used. */
  approvalTimeoutMs: number;
}

export const DEFAULT_HEALING_TIMING: HealingTiming = {
  maximumAttempts: 4,
  queueDelayMs: 60_000,
  operationTimeoutMs: 30_000,
  approvalTimeoutMs: 10 * 60_000,
};

/**
 * A signature's diagnosis and learned record, read from the database by the central worker: what
 * the analysis answers without asking a language model (a learned or stored diagnosis).
 */
export interface KnownFault {
  diagnosis: Diagnosis;
  learned: LearnedStrategyStats[];
  /** The signature's latest heal, not yet proved or disproved: occurrences in its window are checked. */
  watch?: { healedAt: string; windowMs: number };
}

/**
 * Whether a client's `known` is usable: the run plans from it, so a malformed one (a client of
 * another version, a tampered payload) is ignored and the run analyses the error instead.
 */
export function isKnownFault(value: unknown): value is KnownFault {
  const known = value as Partial<KnownFault> | null | undefined;
  const diagnosis = known?.diagnosis;
  return (
    typeof diagnosis === 'object' &&
    diagnosis !== null &&
    (ERROR_CATEGORIES as readonly string[]).includes(diagnosis.category) &&
    (SEVERITIES as readonly string[]).includes(diagnosis.severity) &&
    typeof diagnosis.transient === 'boolean' &&
    isStrategy(diagnosis.recommendedStrategy) &&
    Array.isArray(diagnosis.fallbackStrategies) &&
    diagnosis.fallbackStrategies.every(isStrategy) &&
    Array.isArray(known!.learned) &&
    known!.learned.every((stats) => isStrategy(stats?.strategy) && Number.isFinite(stats.confidence)) &&
    (known!.watch === undefined ||
      (typeof known!.watch?.healedAt === 'string' && Number.isFinite(known!.watch.windowMs)))
  );
}

/**
 * What the caller waiting in `withSelfHealing` is told; `known`: the signature's record as the run
 * left it, which the client passes to the next run of the same fault (HealingInput.known).
 */
export type CallerOutcome = (
  | {
      status: 'healed';
      strategy: Strategy;
      sealedValue?: string;
      useDefaultValue?: boolean;
      endpoint?: string;
      attempts?: number;
    }
  | { status: 'skipped'; strategy: 'SKIP_OPERATION' }
  | { status: 'queued'; strategy: 'QUEUE_FOR_LATER'; runAt: string }
  | { status: 'failed'; reason: string; attempts?: number }
  | { status: 'cancelled' }
) & { known?: KnownFault };

export interface AttemptRecord {
  id: string;
  strategy: Strategy;
  result: 'healed' | 'failed' | 'skipped' | 'queued' | 'rejected';
  durationMs: number;
  error?: string;
  at: string;
  /** Tried first by exploration rather than by its record. */
  explored?: boolean;
}

export interface HealingState {
  phase: 'recording' | 'analysing' | 'healing' | 'awaiting-approval' | 'queued' | 'notifying' | 'done';
  diagnosis?: Diagnosis;
  plan: Strategy[];
  /** The strategy exploration put first, if it did. */
  explored?: Strategy;
  currentStrategy?: Strategy;
  attempts: AttemptRecord[];
  result: HealingResult;
  nextRunAt?: string;
}

export interface HealingSummary {
  result: HealingResult;
  strategy?: Strategy;
  attempts: AttemptRecord[];
  diagnosis?: Diagnosis;
}

/** Resolves when the workflow knows what to tell the caller (healed value, queued, failed…). */
export const callerOutcomeUpdate = defineUpdate<CallerOutcome>('callerOutcome');
export const healingStateQuery = defineQuery<HealingState>('healingState');
export const approvalSignal = defineSignal<[{ approved: boolean; by?: string; reason?: string }]>('approval');

export type OperationHook = 'clearCache' | 'resetConnection' | 'rollback';

export interface RunOperationInput {
  operation: string;
  sealedArgs?: string;
  /** For SWITCH_API_ENDPOINT: the endpoint the operation should use on this run. */
  endpoint?: string;
}

/** Activities hosted by the application's own worker, where the operation's code lives. */
export interface AppActivities {
  runOperation(input: RunOperationInput): Promise<{ sealedValue: string }>;
  readCachedResult(input: { operation: string; sealedArgs?: string }): Promise<{ sealedValue: string } | null>;
  runOperationHook(input: { operation: string; hook: OperationHook }): Promise<void>;
}
