// `heal health`: the latest result of every health check, and the overall status.
import type { Command } from 'commander';
import type { RegisterCommands } from '../session.js';
import { formatDuration, formatFields, formatTable } from '../table-format.js';

export const register: RegisterCommands = (program, run) => {
  program
    .command('health')
    .description('The latest result of every health check, and the overall status')
    .option('--strict', 'exit 1 unless the overall status is healthy')
    .action((options, command: Command) =>
      run(async (session) => {
        const audit = await session.audit();
        // The API adds each check's trend for the page's charts: the CLI shows the latest results only.
        const { trendHours: _, checks, ...status } = await audit.get('/api/health', { hours: 1 });
        const health = { ...status, checks: checks.map(({ trend: __, ...check }) => check) };
        session.emit(health, () =>
          [
            formatFields({
              Overall: health.overall,
              'Last checked': health.lastCheckedAt && new Date(health.lastCheckedAt),
            }),
            '',
            health.checks.length
              ? formatTable(health.checks, [
                  { header: 'CHECK', value: (check) => check.name },
                  { header: 'STATUS', value: (check) => check.status },
                  {
                    header: 'LATENCY',
                    value: (check) => (check.status === 'skipped' ? 'not configured' : formatDuration(check.latencyMs)),
                    align: 'right',
                  },
                  { header: 'CHECKED', value: (check) => new Date(check.checkedAt) },
                  { header: 'STALE', value: (check) => (check.stale ? 'stale' : '') },
                  { header: 'ERROR', value: (check) => check.error, maxWidth: 80 },
                ])
              : 'no health check has run yet',
          ].join('\n'),
        );
        return options.strict && health.overall !== 'healthy' ? 1 : 0;
      }, command),
    );
};
