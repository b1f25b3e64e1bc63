// `heal list`: healing runs from Temporal visibility, or audit rows from the database (--source db).
import { Option, type Command } from 'commander';
import { ERROR_CATEGORIES, HEALING_RESULTS, SEVERITIES, STRATEGIES } from '../../common/types.js';
import type { ApiResponse } from '../../dashboard/api.js';
import { listRuns, parseTime, type RunSummary } from '../operator/runs.js';
import { positiveInteger, type RegisterCommands } from '../session.js';
import { formatTable, type Column } from '../table-format.js';

const RUN_COLUMNS: Column<RunSummary>[] = [
  { header: 'WORKFLOW ID', value: (run) => run.workflowId, maxWidth: 80 },
  { header: 'STATUS', value: (run) => run.status },
  { header: 'PHASE', value: (run) => run.phase },
  { header: 'OPERATION', value: (run) => run.operation, maxWidth: 40 },
  { header: 'CATEGORY', value: (run) => run.category },
  { header: 'SEVERITY', value: (run) => run.severity },
  { header: 'STRATEGY', value: (run) => run.strategy },
  { header: 'OUTCOME', value: (run) => run.outcome },
  { header: 'STARTED', value: (run) => run.startTime },
];

const EVENT_COLUMNS: Column<ApiResponse<'/api/events'>['rows'][number]>[] = [
  { header: 'WORKFLOW ID', value: (row) => row.workflowId ?? row.id, maxWidth: 80 },
  { header: 'DETECTED', value: (row) => new Date(row.detectedAt) },
  { header: 'OPERATION', value: (row) => row.operation, maxWidth: 40 },
  { header: 'CATEGORY', value: (row) => row.category },
  { header: 'SEVERITY', value: (row) => row.severity },
  { header: 'STRATEGY', value: (row) => row.strategy },
  { header: 'RESULT', value: (row) => row.result },
  { header: 'ATTEMPTS', value: (row) => row.attempts, align: 'right' },
];

export const register: RegisterCommands = (program, run) => {
  program
    .command('list')
    .description('List healing runs from Temporal visibility (or audit rows from the audit trail with --source db)')
    .option('--operation <name>', 'operation (HealingOperation)')
    .addOption(new Option('--category <category>', 'error category (ErrorCategory)').choices(ERROR_CATEGORIES))
    .addOption(new Option('--severity <severity>', 'severity (ErrorSeverity)').choices(SEVERITIES))
    .addOption(new Option('--strategy <strategy>', 'last strategy tried (HealingStrategy)').choices(STRATEGIES))
    .addOption(new Option('--outcome <outcome>', 'outcome (HealingOutcome)').choices(HEALING_RESULTS))
    .option('--signature <signature>', 'error signature (ErrorSignature)')
    .option('--status <status>', 'Temporal status: running, completed, failed, canceled, terminated, timedout')
    .option('--since <time>', 'started at or after: 1h, 30m, 2d or an ISO time')
    .option('--until <time>', 'started before: 1h, 30m, 2d or an ISO time')
    .option('--type <workflowType>', 'workflow type, or "all"', 'healingWorkflow')
    .option('--query <visibilityQuery>', 'extra visibility query, ANDed with the filters')
    .addOption(new Option('--source <source>', 'where to read').choices(['temporal', 'db']).default('temporal'))
    .option('--limit <n>', 'at most this many rows', positiveInteger, 50)
    .option('--no-phase', 'do not ask running runs for their phase')
    .action((options, command: Command) =>
      run(async (session) => {
        const since = options.since ? parseTime(options.since) : undefined;
        const until = options.until ? parseTime(options.until) : undefined;
        if (options.source === 'db') {
          const audit = await session.audit();
          const { rows, total, totalEstimated } = await audit.get('/api/events', {
            operation: options.operation,
            category: options.category,
            severity: options.severity,
            result: options.outcome,
            signature: options.signature,
            from: since,
            to: until,
            limit: options.limit,
          });
          const of = `${totalEstimated ? '~' : ''}${total}`;
          session.emit(
            { rows, total, totalEstimated },
            () => `${formatTable(rows, EVENT_COLUMNS)}\n${rows.length} of ${of} events`,
          );
          return;
        }
        const client = await session.client();
        const runs = await listRuns(
          client,
          { ...options, since, until },
          { limit: options.limit, withPhase: options.phase },
        );
        session.emit(runs, () =>
          runs.length ? `${formatTable(runs, RUN_COLUMNS)}\n${runs.length} runs` : 'no runs match',
        );
      }, command),
    );
};
