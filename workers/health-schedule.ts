// The Temporal schedule that runs the health-check workflow (every two minutes by default),
// and the operator's controls over it: run now, pause, resume, next run times.
import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleUpdateOptions,
} from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { HEALTH_CHECK_WORKFLOW_TYPE } from '../common/health-contract.js';
import type { HealthCheckWorkflowInput, healthCheckWorkflow } from '../workflows/health-check.js';

const DEFAULT_HEALTH_CHECK_INTERVAL = '2m';
/** Temporal does not accept a shorter catch-up window. */
const MIN_CATCHUP_WINDOW_MS = 10_000;
/** A run that has not finished by then is stopped, so a stuck run cannot block the schedule (overlap skip). */
const MAX_RUN_MS = 10 * 60_000;

export interface HealthScheduleOptions {
  /** The central worker's task queue (where healthCheckWorkflow and its activities run). */
  taskQueue: string;
  /** How often the checks run: ms or an ms-style string ('2m', '30s'). Default '2m'. */
  interval?: string | number;
  /** Default: one per task queue, `health-checks-<taskQueue>`. */
  scheduleId?: string;
  /**
   * How late a missed run (server or workers down at its time) may still start. Default: one
   * interval, so an outage is followed by at most one catch-up run, not a burst.
   */
  catchupWindow?: string | number;
  /** Input of every run. */
  input?: HealthCheckWorkflowInput;
}

export interface EnsuredHealthSchedule {
  scheduleId: string;
  created: boolean;
}

export function healthScheduleId(taskQueue: string): string {
  return `health-checks-${taskQueue}`;
}

function scheduleIdOf(options: { taskQueue: string; scheduleId?: string }): string {
  return options.scheduleId ?? healthScheduleId(options.taskQueue);
}

/** Parses an interval; throws a readable error for anything Temporal would reject. */
export function parseInterval(interval: string | number): number {
  let ms: number;
  try {
    ms = msToNumber(interval as Parameters<typeof msToNumber>[0]);
  } catch {
    throw new Error(`Invalid health-check interval ${JSON.stringify(interval)}: use e.g. "2m", "30s" or milliseconds`);
  }
  if (!Number.isFinite(ms) || ms < 1_000) {
    throw new Error(`Invalid health-check interval ${JSON.stringify(interval)}: must be at least 1s`);
  }
  return ms;
}

function scheduleDefinition(options: HealthScheduleOptions) {
  const scheduleId = scheduleIdOf(options);
  const intervalMs = parseInterval(options.interval ?? DEFAULT_HEALTH_CHECK_INTERVAL);
  const catchupWindowMs = Math.max(
    MIN_CATCHUP_WINDOW_MS,
    options.catchupWindow === undefined ? intervalMs : parseInterval(options.catchupWindow),
  );
  const action: ScheduleOptionsStartWorkflowAction<typeof healthCheckWorkflow> = {
    type: 'startWorkflow',
    workflowType: HEALTH_CHECK_WORKFLOW_TYPE,
    taskQueue: options.taskQueue,
    // Temporal appends the scheduled time: health-check-<taskQueue>-2025-01-01T00:02:00Z
    workflowId: `health-check-${options.taskQueue}`,
    args: [options.input ?? {}],
    workflowRunTimeout: Math.max(MAX_RUN_MS, intervalMs),
    staticSummary: `Health checks of ${options.taskQueue} (every ${describeMs(intervalMs)})`,
  };
  return {
    scheduleId,
    spec: { intervals: [{ every: intervalMs }] },
    action,
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: catchupWindowMs, pauseOnFailure: false },
  };
}

/**
 * Creates the schedule, or updates the existing one (same id) to the current definition: never
 * a duplicate, and a pause set by an operator survives restarts.
 */
export async function ensureHealthCheckSchedule(
  client: Client,
  options: HealthScheduleOptions,
): Promise<EnsuredHealthSchedule> {
  const definition = scheduleDefinition(options);
  try {
    await client.schedule.create({
      ...definition,
      state: { note: 'created by the self-healing worker at start-up' },
    });
    return { scheduleId: definition.scheduleId, created: true };
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule
    .getHandle(definition.scheduleId)
    .update((previous): ScheduleUpdateOptions<ScheduleOptionsStartWorkflowAction<typeof healthCheckWorkflow>> => ({
      spec: definition.spec,
      action: definition.action,
      policies: definition.policies,
      state: { paused: previous.state.paused, note: previous.state.note },
    }));
  return { scheduleId: definition.scheduleId, created: false };
}

export type ScheduleRef = { taskQueue: string; scheduleId?: string };

/**
 * Runs the checks now. If a run is in progress the triggered one starts right after it
 * (overlap BUFFER_ONE): never two at once, never silently dropped.
 */
export async function triggerHealthCheck(client: Client, ref: ScheduleRef): Promise<void> {
  await client.schedule.getHandle(scheduleIdOf(ref)).trigger(ScheduleOverlapPolicy.BUFFER_ONE);
}

export async function pauseHealthChecks(
  client: Client,
  ref: ScheduleRef,
  note = 'paused by an operator',
): Promise<void> {
  await client.schedule.getHandle(scheduleIdOf(ref)).pause(note);
}

export async function resumeHealthChecks(
  client: Client,
  ref: ScheduleRef,
  note = 'resumed by an operator',
): Promise<void> {
  await client.schedule.getHandle(scheduleIdOf(ref)).unpause(note);
}

export interface HealthScheduleInfo {
  scheduleId: string;
  paused: boolean;
  note?: string;
  intervalMs: number;
  overlap: ScheduleOverlapPolicy;
  catchupWindowMs: number;
  taskQueue?: string;
  /** Upcoming run times (empty while paused). */
  nextRunTimes: Date[];
  recentRuns: Array<{ workflowId: string; scheduledAt: Date; takenAt: Date }>;
  runsSkippedForOverlap: number;
  totalRuns: number;
}

export async function describeHealthSchedule(client: Client, ref: ScheduleRef): Promise<HealthScheduleInfo> {
  const description: ScheduleDescription = await client.schedule.getHandle(scheduleIdOf(ref)).describe();
  const interval = description.spec.intervals?.[0]?.every;
  const action = description.action;
  return {
    scheduleId: description.scheduleId,
    paused: description.state.paused,
    ...(description.state.note ? { note: description.state.note } : {}),
    intervalMs: interval === undefined ? Number.NaN : msToNumber(interval),
    overlap: description.policies.overlap,
    catchupWindowMs: description.policies.catchupWindow,
    ...(action.type === 'startWorkflow' ? { taskQueue: action.taskQueue } : {}),
    nextRunTimes: description.info.nextActionTimes,
    recentRuns: description.info.recentActions.map((run) => ({
      workflowId: run.action.workflow.workflowId,
      scheduledAt: run.scheduledAt,
      takenAt: run.takenAt,
    })),
    runsSkippedForOverlap: description.info.numActionsSkippedOverlap,
    totalRuns: description.info.numActionsTaken,
  };
}

function describeMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}
