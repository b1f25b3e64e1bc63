// The Temporal schedule that enforces retention (hourly): visible in the Temporal UI, and under
// the operator's control with `heal schedule --schedule-id retention-<task queue>` (status,
// trigger, pause, resume).
import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time.js';
import type { Config } from '../lib/config.js';
import { RETENTION_WORKFLOW_TYPE, type RetentionInput, type retentionWorkflow } from '../workflows/retention.js';

const INTERVAL_MS = 3_600_000;

export function retentionScheduleId(taskQueue: string): string {
  return `retention-${taskQueue}`;
}

/** RETENTION_* as the workflow's input. */
export function retentionFromConfig(
  config: Pick<Config, 'RETENTION_HEALING_EVENTS' | 'RETENTION_HEALTH_CHECKS'>,
): RetentionInput {
  const ms = (duration: string) =>
    msToNumber(/^\d+$/.test(duration) ? Number(duration) : (duration as Parameters<typeof msToNumber>[0]));
  return {
    keepMs: {
      healing_events: ms(config.RETENTION_HEALING_EVENTS),
      system_health_checks: ms(config.RETENTION_HEALTH_CHECKS),
    },
  };
}

/** Creates the schedule or brings the existing one to this definition (keeping an operator's pause). */
export async function ensureRetentionSchedule(
  client: Client,
  options: { taskQueue: string; input: RetentionInput },
): Promise<{ scheduleId: string; created: boolean }> {
  const scheduleId = retentionScheduleId(options.taskQueue);
  const action: ScheduleOptionsStartWorkflowAction<typeof retentionWorkflow> = {
    type: 'startWorkflow',
    workflowType: RETENTION_WORKFLOW_TYPE,
    taskQueue: options.taskQueue,
    workflowId: `retention-${options.taskQueue}`,
    args: [options.input],
    staticSummary: `Retention: ${describeKeep(options.input)}`,
  };
  const definition = {
    spec: { intervals: [{ every: INTERVAL_MS }] },
    action,
    // A run still pruning a backlog when the next is due: the next is skipped, never stacked.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: INTERVAL_MS, pauseOnFailure: false },
  };
  try {
    await client.schedule.create({
      scheduleId,
      ...definition,
      state: { note: 'created by the self-healing worker at start-up' },
    });
    return { scheduleId, created: true };
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({
    ...definition,
    state: { paused: previous.state.paused, note: previous.state.note },
  }));
  return { scheduleId, created: false };
}

function describeKeep(input: RetentionInput): string {
  return Object.entries(input.keepMs)
    .map(([table, ms]) => `${table} ${Math.round((ms ?? 0) / 86_400_000)} d`)
    .join(', ');
}
