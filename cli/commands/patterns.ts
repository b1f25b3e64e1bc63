// `heal patterns`: what has been learned per error signature, and whether its heals held.
import type { Command } from 'commander';
import { effectiveness } from '../../db/healing-patterns.js';
import { positiveInteger, type RegisterCommands } from '../session.js';
import { formatDuration, formatPercent, formatTable } from '../table-format.js';

export const register: RegisterCommands = (program, run) => {
  program
    .command('patterns')
    .description('What has been learned per error signature: strategies, successes, heals that held, confidence')
    .option('--signature <signature>', 'only this signature')
    .option('--limit <n>', 'at most this many rows', positiveInteger, 100)
    .action((options, command: Command) =>
      run(async (session) => {
        const audit = await session.audit();
        const { rows: patterns } = await audit.get('/api/patterns', {
          signature: options.signature,
          limit: options.limit,
        });
        session.emit(patterns, () =>
          patterns.length
            ? formatTable(patterns, [
                { header: 'SIGNATURE', value: (row) => row.signature, maxWidth: 24 },
                { header: 'STRATEGY', value: (row) => row.strategy },
                { header: 'CATEGORY', value: (row) => row.category },
                { header: 'OK', value: (row) => row.successCount, align: 'right' },
                { header: 'FAILED', value: (row) => row.failureCount, align: 'right' },
                // Heals that held (the fault did not come back within the window) / heals.
                {
                  header: 'HELD',
                  value: (row) => heldCell(row.held, row.heals),
                  align: 'right',
                },
                {
                  header: 'SIGNATURE HELD',
                  value: (row) =>
                    `${heldCell(row.signatureHeld, row.signatureHeals)}${row.recurring ? ' recurring' : ''}`,
                },
                { header: 'CONFIDENCE', value: (row) => row.confidence.toFixed(2), align: 'right' },
                { header: 'AVG HEAL', value: (row) => formatDuration(row.avgHealingMs), align: 'right' },
                { header: 'LAST SEEN', value: (row) => new Date(row.lastSeen) },
              ])
            : 'nothing learned yet',
        );
      }, command),
    );
};

/** "3/4 75%": heals that held of heals. */
function heldCell(held: number, heals: number): string {
  return heals === 0 ? '—' : `${held}/${heals} ${formatPercent(effectiveness(heals, held))}`;
}
