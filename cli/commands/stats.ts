// `heal stats`: healing statistics from the audit trail.
import type { Command } from 'commander';
import { parseTime } from '../operator/runs.js';
import type { RegisterCommands } from '../session.js';
import { formatDuration, formatFields, formatPercent, formatTable, type Column } from '../table-format.js';

interface Group {
  key: string | null;
  count: number;
  healed: number;
  successRate: number | null;
}

function groupColumns(header: string): Column<Group>[] {
  return [
    { header, value: (group) => group.key ?? '(none)' },
    { header: 'EVENTS', value: (group) => group.count, align: 'right' },
    { header: 'HEALED', value: (group) => group.healed, align: 'right' },
    { header: 'SUCCESS', value: (group) => formatPercent(group.successRate), align: 'right' },
  ];
}

export const register: RegisterCommands = (program, run) => {
  program
    .command('stats')
    .description('Healing statistics from the audit trail: success rate, time to heal, by category and strategy')
    .option('--since <time>', 'events detected at or after: 1h, 30m, 2d or an ISO time')
    .option('--until <time>', 'events detected before')
    .action((options, command: Command) =>
      run(async (session) => {
        const audit = await session.audit();
        const stats = await audit.get('/api/stats', {
          from: options.since ? parseTime(options.since) : undefined,
          to: options.until ? parseTime(options.until) : undefined,
        });
        session.emit(stats, () =>
          [
            formatFields({
              Events: stats.total,
              Resolved: stats.resolved,
              'Success rate': formatPercent(stats.successRate),
              'Mean time to heal': formatDuration(stats.meanTimeToHealMs),
              'By result': Object.entries(stats.byResult)
                .map(([result, count]) => `${result} ${count}`)
                .join(', '),
            }),
            '',
            formatTable(stats.byCategory, groupColumns('CATEGORY')),
            '',
            formatTable(stats.byStrategy, groupColumns('STRATEGY')),
          ].join('\n'),
        );
      }, command),
    );
};
