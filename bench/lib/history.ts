// Reads a workflow's history into a timeline of its activities: where a healing run's time goes.
import type { Client } from '@temporalio/client';

export interface ActivitySpan {
  name: string;
  scheduledAt: number;
  startedAt?: number;
  closedAt?: number;
  attempt?: number;
}

export interface WorkflowTaskSpan {
  scheduledAt: number;
  startedAt?: number;
  completedAt?: number;
  /** Local activities whose results this task recorded (markers), by activity type. */
  localActivities: string[];
}

export interface Timeline {
  startedAt: number;
  tasks: WorkflowTaskSpan[];
  closedAt?: number;
  /** When the caller's outcome (the update) was completed. */
  updateCompletedAt?: number;
  activities: ActivitySpan[];
  workflowTasks: number;
  events: number;
}

function ms(time: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!time) return Number.NaN;
  return Number(time.seconds ?? 0) * 1000 + (time.nanos ?? 0) / 1e6;
}

export async function timelineOf(client: Client, workflowId: string): Promise<Timeline> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const timeline: Timeline = {
    startedAt: ms(events[0]?.eventTime),
    tasks: [],
    activities: [],
    workflowTasks: 0,
    events: events.length,
  };
  const bySchedule = new Map<number, ActivitySpan>();
  for (const event of events) {
    const at = ms(event.eventTime);
    const id = Number(event.eventId);
    if (event.activityTaskScheduledEventAttributes) {
      const span = { name: event.activityTaskScheduledEventAttributes.activityType?.name ?? '?', scheduledAt: at };
      bySchedule.set(id, span);
      timeline.activities.push(span);
    } else if (event.activityTaskStartedEventAttributes) {
      const span = bySchedule.get(Number(event.activityTaskStartedEventAttributes.scheduledEventId));
      if (span) {
        span.startedAt = at;
        span.attempt = event.activityTaskStartedEventAttributes.attempt ?? undefined;
      }
    } else if (
      event.activityTaskCompletedEventAttributes ||
      event.activityTaskFailedEventAttributes ||
      event.activityTaskTimedOutEventAttributes
    ) {
      const attributes =
        event.activityTaskCompletedEventAttributes ??
        event.activityTaskFailedEventAttributes ??
        event.activityTaskTimedOutEventAttributes!;
      const span = bySchedule.get(Number(attributes.scheduledEventId));
      if (span) span.closedAt = at;
    } else if (event.workflowTaskScheduledEventAttributes) {
      timeline.tasks.push({ scheduledAt: at, localActivities: [] });
    } else if (event.workflowTaskStartedEventAttributes) {
      const task = timeline.tasks.at(-1);
      if (task) task.startedAt = at;
    } else if (event.workflowTaskCompletedEventAttributes) {
      timeline.workflowTasks++;
      const task = timeline.tasks.at(-1);
      if (task) task.completedAt = at;
    } else if (event.markerRecordedEventAttributes) {
      const task = timeline.tasks.at(-1);
      const data = event.markerRecordedEventAttributes.details?.data?.payloads?.[0]?.data;
      let type = event.markerRecordedEventAttributes.markerName ?? 'marker';
      try {
        const marker = JSON.parse(Buffer.from(data ?? []).toString('utf8')) as {
          activity_type?: string;
          activityType?: string;
        };
        type = marker.activity_type ?? marker.activityType ?? type;
      } catch {
        // not a local activity marker
      }
      task?.localActivities.push(type);
    } else if (event.workflowExecutionUpdateCompletedEventAttributes) {
      timeline.updateCompletedAt = at;
    } else if (event.workflowExecutionCompletedEventAttributes || event.workflowExecutionFailedEventAttributes) {
      timeline.closedAt = at;
    }
  }
  return timeline;
}
