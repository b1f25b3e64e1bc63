// The contract of the occurrence log: occurrences that did not get a healing run of their own
// (their signature's runs were at capacity, or the run could not be started) are sent in batches
// to one workflow per signature, which records them all in healing_events.
import { defineSignal } from '@temporalio/workflow';
import type { ErrorReport, Strategy } from './types.js';

export const OCCURRENCE_LOG_WORKFLOW_TYPE = 'occurrenceLogWorkflow';

export interface JoinedOccurrence {
  /** The healing event's idempotency key: the id its own run had (or would have had). */
  eventKey: string;
  /**
   * joined: no run of its own (its signature's runs were busy), the caller got its error;
   * healed: no run of its own, healed by the remedy a run of its fault found (`strategy`);
   * not-started: its run could not be started;
   * breaker-open: the operation's circuit breaker was open, the dependency was not called.
   */
  result: 'joined' | 'healed' | 'not-started' | 'breaker-open';
  /** The remedy that healed it (result healed). */
  strategy?: Strategy;
  /** The run it joined (one of its signature's runs in flight), its own run that did not start, or the breaker. */
  healingWorkflowId?: string;
  error: ErrorReport;
  context?: Record<string, unknown>;
  detectedAt: string;
}

export interface OccurrenceLogInput {
  operation: string;
  signature: string;
  /** Occurrences received but not yet recorded when the previous run continued as new. */
  carried?: JoinedOccurrence[];
  /** How long the log waits for more before it closes. Default OCCURRENCE_LOG_IDLE_MS. */
  idleMs?: number;
}

export const occurrencesJoinedSignal = defineSignal<[JoinedOccurrence[]]>('occurrencesJoined');

/** How long the log waits for more occurrences before it closes (the next one starts it again). */
export const OCCURRENCE_LOG_IDLE_MS = 5 * 60_000;
/**
 * Batches (signals, ≤ 256 KiB each) a run may carry into the next when it continues as new: the
 * new run's input must stay well under Temporal's 2 MiB payload limit. With more pending, the run
 * records first.
 */
export const MAX_CARRIED_BATCHES = 2;
