// `heal patterns`: what has been learned per error signature.
import type { Command } from 'commander';
import { getHealingPatterns } from '../../db/healing-patterns.js';
import { positiveInteger, type RegisterCommands } from '../session.js';
import { formatDuration, formatTable } from '../table-format.js';

export const register: RegisterCommands = (program, run) => {
  program
    .command('patterns')
    .description('What has been learned per error signature: strategies, successes, confidence')
    .option('--signature <signature>', 'only this signature')
    .option('--limit <n>', 'at most this many rows', positiveInteger, 100)
    .action((options, command: Command) =>
      run(async (session) => {
        const db = await session.db(true);
        const patterns = await getHealingPatterns(db.db, { signature: options.signature, limit: options.limit });
        session.emit(patterns, () =>
          patterns.length
            ? formatTable(patterns, [
                { header: 'SIGNATURE', value: (row) => row.signature, maxWidth: 24 },
                { header: 'STRATEGY', value: (row) => row.strategy },
                { header: 'CATEGORY', value: (row) => row.category },
                { header: 'OK', value: (row) => row.successCount, align: 'right' },
                { header: 'FAILED', value: (row) => row.failureCount, align: 'right' },
                { header: 'CONFIDENCE', value: (row) => row.confidence.toFixed(2), align: 'right' },
                { header: 'AVG HEAL', value: (row) => formatDuration(row.avgHealingMs), align: 'right' },
                { header: 'LAST SEEN', value: (row) => row.lastSeen },
              ])
            : 'nothing learned yet',
        );
      }, command),
    );
};
