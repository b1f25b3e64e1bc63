// The contract of the shared circuit breaker: one workflow per breaker (id `breaker:<operation>`)
// holds its state; every instance of the application reports outcome counts to it in batches and
// reads its state back; operators open and close it by hand.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CircuitBreakerSettings } from './settings.js';
import type { OutcomeWindow, WindowSummary } from './window.js';

export const CIRCUIT_BREAKER_WORKFLOW_TYPE = 'circuitBreakerWorkflow';

/** closed: calls go through; open: calls fail fast; half-open: the system's probe runs, calls still fail fast. */
export const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

/** One breaker per operation: its workflow id. */
export function breakerWorkflowId(operation: string): string {
  return `breaker:${operation}`;
}

/** What an instance sends, every few hundred milliseconds while it reports. */
export interface BreakerReport {
  instance: string;
  /** Counts per interval; `ageMs` is how long ago the interval began (the breaker stamps it with its own clock). */
  buckets: { ageMs: number; calls: number; failures: number }[];
  /** Calls answered without calling the dependency while it was open. */
  rejected: number;
  /** The arguments of a recent failed call, sealed by the application: what the probe re-runs. */
  probeArgs?: string;
  /** The reporter's settings and task queue: the latest report's win (a breaker opened by hand learns them here). */
  settings: CircuitBreakerSettings;
  appTaskQueue: string;
}

export interface BreakerInput {
  operation: string;
  settings: CircuitBreakerSettings;
  /** Where the probe runs the operation; absent until an instance reported (an operator may start it). */
  appTaskQueue?: string;
  /** State carried over continue-as-new. */
  carried?: BreakerMemory;
}

/** Whatever the breaker remembers between runs. */
export interface BreakerMemory {
  state: BreakerState;
  /** Epoch ms of the last change of state. */
  since: number;
  reason: string;
  /** Open: when the probe runs (absent when opened by hand: it stays open until closed by hand). */
  retryAt?: number;
  /** Opened by an operator. */
  manual?: { by: string };
  failedProbes: number;
  /** Times it opened so far: numbers each opening (its alerts' idempotency keys). */
  openings: number;
  probes: number;
  lastProbe?: { at: number; ok: boolean; error?: string };
  rejected: number;
  window: OutcomeWindow;
  probeArgs?: string;
}

/** The state every instance reads (the workflow's memo, also what `heal breakers` shows first). */
export interface BreakerStatus {
  state: BreakerState;
  since: number;
  reason: string;
  retryAt?: number;
}

export interface BreakerView extends BreakerStatus {
  breakerId: string;
  operation: string;
  settings: CircuitBreakerSettings;
  window: Omit<WindowSummary, 'open'>;
  manual?: { by: string };
  openings: number;
  probes: number;
  failedProbes: number;
  lastProbe?: { at: number; ok: boolean; error?: string };
  rejected: number;
}

export interface BreakerControl {
  action: 'open' | 'close';
  reason: string;
  by: string;
}

export const breakerReportSignal = defineSignal<[BreakerReport]>('breakerReport');
export const breakerViewQuery = defineQuery<BreakerView>('breakerView');
/** Opens (held open until closed by hand) or closes the breaker; answers its view afterwards. */
export const breakerControlUpdate = defineUpdate<BreakerView, [BreakerControl]>('breakerControl');

/** The memo key holding the BreakerStatus. */
export const BREAKER_MEMO_KEY = 'breaker';

/** A closed breaker with no report for this long (and at least 10 windows) ends; the next failure starts it again. */
export const BREAKER_IDLE_MS = 10 * 60_000;
