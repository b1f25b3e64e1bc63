// `heal schedule status|trigger|pause|resume`: the health-check schedule.
import type { Command } from 'commander';
import {
  describeHealthSchedule,
  pauseHealthChecks,
  resumeHealthChecks,
  triggerHealthCheck,
  type ScheduleRef,
} from '../../workers/health-schedule.js';
import type { RegisterCommands, Session } from '../session.js';
import { formatDate, formatDuration, formatFields } from '../table-format.js';

function scheduleRef(session: Session, command: Command): ScheduleRef {
  return {
    taskQueue: session.taskQueue,
    scheduleId: (command.optsWithGlobals() as { scheduleId?: string }).scheduleId,
  };
}

export const register: RegisterCommands = (program, run) => {
  const schedule = program
    .command('schedule')
    .description('The health-check schedule: status, trigger, pause, resume')
    .option(
      '--schedule-id <id>',
      'schedule id (default health-checks-<task queue>; retention-<task queue> for retention)',
    );

  schedule
    .command('status')
    .description('Interval, paused or not, next and recent runs')
    .action((_options, command: Command) =>
      run(async (session) => {
        const info = await describeHealthSchedule(await session.client(), scheduleRef(session, command));
        session.emit(info, () =>
          formatFields({
            Schedule: info.scheduleId,
            State: info.paused ? 'paused' : 'active',
            Note: info.note,
            Every: formatDuration(info.intervalMs),
            'Task queue': info.taskQueue,
            'Next runs': info.nextRunTimes.map(formatDate).join(', ') || undefined,
            'Recent runs': info.recentRuns.map((recent) => recent.workflowId).join(', ') || undefined,
            'Runs taken': info.totalRuns,
            'Skipped (overlap)': info.runsSkippedForOverlap,
          }),
        );
      }, command),
    );

  schedule
    .command('trigger')
    .description('Run the health checks now')
    .action((_options, command: Command) =>
      run(async (session) => {
        const ref = scheduleRef(session, command);
        await triggerHealthCheck(await session.client(), ref);
        session.emit({ triggered: true, ...ref }, () => 'Health checks triggered');
      }, command),
    );

  schedule
    .command('pause')
    .description('Pause the health checks (survives worker restarts)')
    .option('--note <text>', 'why', 'paused by an operator')
    .action((options, command: Command) =>
      run(async (session) => {
        const ref = scheduleRef(session, command);
        await pauseHealthChecks(await session.client(), ref, options.note);
        session.emit({ paused: true, ...ref }, () => 'Health checks paused');
      }, command),
    );

  schedule
    .command('resume')
    .description('Resume the health checks')
    .option('--note <text>', 'why', 'resumed by an operator')
    .action((options, command: Command) =>
      run(async (session) => {
        const ref = scheduleRef(session, command);
        await resumeHealthChecks(await session.client(), ref, options.note);
        session.emit({ paused: false, ...ref }, () => 'Health checks resumed');
      }, command),
    );
};
