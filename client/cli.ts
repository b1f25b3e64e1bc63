// `heal`: the operator's command-line tool. Connects with the worker's environment
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, DATABASE_URL), prints tables by
// default and JSON with --json. Exit codes: 0 ok, 1 failure (incl. a failed replay), 2 usage.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { Command, CommanderError, Option } from 'commander';
import type { AttemptRecord, HealingState } from '../common/healing-contract.js';
import { ERROR_CATEGORIES, HEALING_RESULTS, SEVERITIES, STRATEGIES } from '../common/types.js';
import type { DatabaseHandle } from '../db/connection.js';
import { getHealingStats } from '../db/healing-events.js';
import { getHealingPatterns } from '../db/healing-patterns.js';
import type { HealingEventRow } from '../db/schema.js';
import { ConfigError, loadConfig, type Config } from '../lib/config.js';
import { dataConverterFromEnv } from '../lib/payload-codec.js';
import { connectClient, temporalSettings } from '../lib/temporal-connection.js';
import {
  describeHealthSchedule,
  pauseHealthChecks,
  resumeHealthChecks,
  triggerHealthCheck,
  type ScheduleRef,
} from './health-schedule.js';
import {
  cancelRun,
  decideApproval,
  describeError,
  exportHistory,
  listEvents,
  listRuns,
  looksLikeHistoryFile,
  OperatorError,
  parseTime,
  replayHistories,
  rerunRun,
  showRun,
  terminateRun,
  UsageError,
  type ReplayOutcome,
  type RunDetails,
  type RunSummary,
} from './operator.js';
import { formatDate, formatDuration, formatFields, formatPercent, formatTable, toJson, type Column } from './table-format.js';

interface GlobalOptions {
  address?: string;
  namespace?: string;
  taskQueue?: string;
  databaseUrl?: string;
  json?: boolean;
  verbose?: boolean;
}

/** Connections opened on demand (a file replay needs neither Temporal nor the database). */
class Session {
  private config?: Config;
  private temporal?: Promise<Client>;
  private database?: Promise<DatabaseHandle>;

  constructor(readonly options: GlobalOptions) {}

  settings(): Config {
    try {
      this.config ??= loadConfig(process.env);
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(error.message);
      throw error;
    }
    return this.config;
  }

  get address(): string {
    return this.options.address ?? this.settings().TEMPORAL_ADDRESS;
  }

  get namespace(): string {
    return this.options.namespace ?? this.settings().TEMPORAL_NAMESPACE;
  }

  get taskQueue(): string {
    return this.options.taskQueue ?? this.settings().TEMPORAL_TASK_QUEUE;
  }

  get json(): boolean {
    return this.options.json ?? false;
  }

  client(): Promise<Client> {
    // Same connection settings as the worker: TLS, API key and payload encryption from the environment.
    this.temporal ??= (async () => {
      const settings = temporalSettings(process.env, { address: this.address, namespace: this.namespace });
      try {
        return await connectClient(settings, { connectTimeout: 5_000, dataConverter: dataConverterFromEnv() });
      } catch (error) {
        throw new OperatorError(`${describeError(error)} — check TEMPORAL_ADDRESS or --address`);
      }
    })();
    return this.temporal;
  }

  /** The database, when DATABASE_URL (or --database-url) is set; `required` makes its absence an error. */
  async db(required: true): Promise<DatabaseHandle>;
  async db(required: false): Promise<DatabaseHandle | undefined>;
  async db(required: boolean): Promise<DatabaseHandle | undefined> {
    const databaseUrl = this.options.databaseUrl ?? this.settings().DATABASE_URL;
    if (!databaseUrl) {
      if (!required) return undefined;
      throw new OperatorError(
        'this command reads the database: set DATABASE_URL (or --database-url) to the PostgreSQL the worker uses. ' +
          'The embedded PGlite database under DATA_DIR belongs to the worker process and cannot be opened by a second one.',
      );
    }
    // Loaded here: the drivers (PGlite's WASM among them) cost start-up time that most commands do not need.
    this.database ??= import('../db/connection.js').then(({ openDatabase }) => openDatabase({ databaseUrl, poolMax: 2 }));
    try {
      return await this.database;
    } catch (error) {
      throw new OperatorError(describeError(error));
    }
  }

  uiLink(workflowId: string): string {
    const base = this.settings().temporalUiUrl.replace(/\/$/, '');
    return `${base}/namespaces/${encodeURIComponent(this.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  }

  async close(): Promise<void> {
    const client = await this.temporal?.catch(() => undefined);
    await client?.connection.close().catch(() => undefined);
    const database = await this.database?.catch(() => undefined);
    await database?.close().catch(() => undefined);
  }
}

function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function emit(session: Session, data: unknown, text: () => string): void {
  print(session.json ? toJson(data) : text());
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new UsageError(`expected a positive whole number, got ${value}`);
  return number;
}

// ---------------------------------------------------------------------------------------------
// Formatting

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

const EVENT_COLUMNS: Column<HealingEventRow>[] = [
  { header: 'WORKFLOW ID', value: (row) => row.workflowId ?? row.eventKey, maxWidth: 80 },
  { header: 'DETECTED', value: (row) => row.detectedAt },
  { header: 'OPERATION', value: (row) => row.operation, maxWidth: 40 },
  { header: 'CATEGORY', value: (row) => row.category },
  { header: 'SEVERITY', value: (row) => row.severity },
  { header: 'STRATEGY', value: (row) => row.strategy },
  { header: 'RESULT', value: (row) => row.result },
  { header: 'ATTEMPTS', value: (row) => row.attempts, align: 'right' },
];

const ATTEMPT_COLUMNS: Column<AttemptRecord>[] = [
  { header: '#', value: (attempt) => attempt.id.split(':').pop(), align: 'right' },
  { header: 'STRATEGY', value: (attempt) => attempt.strategy },
  { header: 'RESULT', value: (attempt) => attempt.result },
  { header: 'DURATION', value: (attempt) => formatDuration(attempt.durationMs), align: 'right' },
  { header: 'AT', value: (attempt) => attempt.at },
  { header: 'ERROR', value: (attempt) => attempt.error, maxWidth: 80 },
];

function formatRun(run: RunDetails, uiLink: string): string {
  const lines = [
    formatFields({
      'Workflow ID': run.workflowId,
      'Run ID': run.runId,
      Type: run.type,
      Status: run.status,
      'Task queue': run.taskQueue,
      Started: run.startTime,
      Closed: run.closeTime,
      Events: run.historyLength,
      Summary: run.summary,
      UI: uiLink,
    }),
  ];
  const attributeNames = Object.keys(run.searchAttributes);
  if (attributeNames.length) {
    lines.push('', 'Search attributes', formatFields(Object.fromEntries(attributeNames.map((name) => [name, String(run.searchAttributes[name])]))));
  }
  if (run.pendingActivities.length) {
    lines.push('', 'Pending activities', formatTable(run.pendingActivities, [
      { header: 'ACTIVITY', value: (activity) => activity.activity },
      { header: 'ATTEMPT', value: (activity) => activity.attempt, align: 'right' },
      { header: 'LAST FAILURE', value: (activity) => activity.lastFailure, maxWidth: 80 },
    ]));
  }
  if (run.state) lines.push('', formatState(run.state));
  else if (run.stateError) lines.push('', `State: ${run.stateError}`);
  return lines.join('\n');
}

function formatState(state: HealingState): string {
  const diagnosis = state.diagnosis;
  const lines = [
    'Healing state',
    formatFields({
      Phase: state.phase,
      Result: state.result,
      Strategy: state.currentStrategy,
      Plan: state.plan.length ? state.plan.join(' → ') : undefined,
      'Next run at': state.nextRunAt,
      Diagnosis: diagnosis
        ? `${diagnosis.category}/${diagnosis.severity} by ${diagnosis.source} (confidence ${diagnosis.confidence}): ${diagnosis.rootCause}`
        : undefined,
    }),
  ];
  if (state.attempts.length) lines.push('', 'Attempts', formatTable(state.attempts, ATTEMPT_COLUMNS));
  return lines.join('\n');
}

function formatEvent(event: HealingEventRow): string {
  return [
    'Audit record (healing_events)',
    formatFields({
      Operation: event.operation,
      Error: `${event.errorClass}: ${event.errorMessage}`,
      Code: event.errorCode ?? undefined,
      Signature: event.signature,
      Category: event.category,
      Severity: event.severity,
      'Diagnosed by': event.diagnosisSource,
      Strategy: event.strategy,
      Attempts: event.attempts,
      Result: event.result,
      'Healing time': formatDuration(event.healingDurationMs),
      Detected: event.detectedAt,
      Resolved: event.resolvedAt,
    }),
  ].join('\n');
}

function formatReplay(outcomes: ReplayOutcome[]): string {
  const failed = outcomes.filter((outcome) => !outcome.ok);
  const lines = outcomes.map((outcome) => {
    const label = outcome.ok ? 'ok  ' : outcome.nondeterministic ? 'NONDETERMINISTIC' : 'FAILED';
    return `${label} ${outcome.source}${outcome.error ? `\n     ${outcome.error.split('\n')[0]}` : ''}`;
  });
  lines.push(`${outcomes.length - failed.length} replayed, ${failed.length} failed`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// The program

export function buildProgram(run: (action: (session: Session) => Promise<number | void>, command: Command) => Promise<void>): Command {
  const program = new Command('heal');
  program
    .description('Operate the self-healing layer: find healing runs, act on them, replay their histories.')
    .option('--address <host:port>', 'Temporal frontend (default: TEMPORAL_ADDRESS or 127.0.0.1:7233)')
    .option('--namespace <name>', 'Temporal namespace (default: TEMPORAL_NAMESPACE or default)')
    .option('--task-queue <name>', "the central worker's task queue (default: TEMPORAL_TASK_QUEUE or self-healing)")
    .option('--database-url <url>', 'PostgreSQL of the worker (default: DATABASE_URL)')
    .option('--json', 'print JSON instead of tables')
    .option('--verbose', 'show the SDK worker logs while replaying')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addHelpText(
    'after',
    `
Exit codes: 0 ok, 1 failure (unknown run, failed replay, unreachable server…), 2 usage error.
Examples:
  heal list --category rate_limit --since 1h
  heal list --status running           # runs awaiting approval show PHASE awaiting-approval
  heal show heal-checkout-1a2b3c4d-5e6f7a8b
  heal approve heal-checkout-… --reason "rollback is safe now"
  heal replay --all 'WorkflowType="healingWorkflow" AND StartTime > "2025-01-01T00:00:00Z"'
  heal export heal-checkout-… --out test/histories/checkout.json`,
  );

  program
    .command('list')
    .description('List healing runs from Temporal visibility (or audit rows from the database with --source db)')
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
    .option('--limit <n>', 'at most this many rows', positiveIntegerOption, 50)
    .option('--no-phase', 'do not ask running runs for their phase')
    .action((options, command: Command) =>
      run(async (session) => {
        const since = options.since ? parseTime(options.since) : undefined;
        const until = options.until ? parseTime(options.until) : undefined;
        if (options.source === 'db') {
          const db = await session.db(true);
          const { rows, total } = await listEvents(db.db, {
            operation: options.operation,
            category: options.category,
            severity: options.severity,
            result: options.outcome,
            signature: options.signature,
            from: since,
            to: until,
            limit: options.limit,
          });
          emit(session, { rows, total }, () => `${formatTable(rows, EVENT_COLUMNS)}\n${rows.length} of ${total} events`);
          return;
        }
        const client = await session.client();
        const runs = await listRuns(
          client,
          { ...options, since, until },
          { limit: options.limit, withPhase: options.phase },
        );
        emit(session, runs, () => (runs.length ? `${formatTable(runs, RUN_COLUMNS)}\n${runs.length} runs` : 'no runs match'));
      }, command),
    );

  program
    .command('show')
    .description("A run's status, healing state (query) and attempts, plus its audit row")
    .argument('<workflowId>')
    .action((workflowId: string, _options, command: Command) =>
      run(async (session) => {
        const client = await session.client();
        const db = await session.db(false);
        const shown = await showRun(client, db?.db, workflowId);
        emit(session, shown, () => {
          const parts: string[] = [];
          if (shown.run) parts.push(formatRun(shown.run, session.uiLink(workflowId)));
          else parts.push(`No workflow run ${workflowId} on the server (past retention?); audit record only.`);
          if (shown.event) parts.push(formatEvent(shown.event));
          else if (!db) parts.push('(set DATABASE_URL to include the audit record)');
          return parts.join('\n\n');
        });
      }, command),
    );

  program
    .command('stats')
    .description('Healing statistics from the database: success rate, time to heal, by category and strategy')
    .option('--since <time>', 'events detected at or after: 1h, 30m, 2d or an ISO time')
    .option('--until <time>', 'events detected before')
    .action((options, command: Command) =>
      run(async (session) => {
        const db = await session.db(true);
        const stats = await getHealingStats(db.db, {
          from: options.since ? parseTime(options.since) : undefined,
          to: options.until ? parseTime(options.until) : undefined,
        });
        emit(session, stats, () => {
          const groupColumns = (header: string) => [
            { header, value: (group: { key: string | null }) => group.key ?? '(none)' },
            { header: 'EVENTS', value: (group: { count: number }) => group.count, align: 'right' as const },
            { header: 'HEALED', value: (group: { healed: number }) => group.healed, align: 'right' as const },
            { header: 'SUCCESS', value: (group: { successRate: number | null }) => formatPercent(group.successRate), align: 'right' as const },
          ];
          return [
            formatFields({
              Events: stats.total,
              Resolved: stats.resolved,
              'Success rate': formatPercent(stats.successRate),
              'Mean time to heal': formatDuration(stats.meanTimeToHealMs),
              'By result': Object.entries(stats.byResult).map(([result, count]) => `${result} ${count}`).join(', '),
            }),
            '',
            formatTable(stats.byCategory, groupColumns('CATEGORY')),
            '',
            formatTable(stats.byStrategy, groupColumns('STRATEGY')),
          ].join('\n');
        });
      }, command),
    );

  program
    .command('health')
    .description('The latest result of every health check, and the overall status')
    .option('--strict', 'exit 1 unless the overall status is healthy')
    .action((options, command: Command) =>
      run(async (session) => {
        const db = await session.db(true);
        const { getSystemHealthStatus } = await import('./system-health.js');
        const health = await getSystemHealthStatus(db.db);
        emit(session, health, () =>
          [
            formatFields({ Overall: health.overall, 'Last checked': health.lastCheckedAt }),
            '',
            health.checks.length
              ? formatTable(health.checks, [
                  { header: 'CHECK', value: (check) => check.name },
                  { header: 'STATUS', value: (check) => check.status },
                  { header: 'LATENCY', value: (check) => formatDuration(check.latencyMs), align: 'right' },
                  { header: 'CHECKED', value: (check) => check.checkedAt },
                  { header: 'STALE', value: (check) => (check.stale ? 'stale' : '') },
                  { header: 'ERROR', value: (check) => check.error, maxWidth: 80 },
                ])
              : 'no health check has run yet',
          ].join('\n'),
        );
        return options.strict && health.overall !== 'healthy' ? 1 : 0;
      }, command),
    );

  program
    .command('patterns')
    .description('What has been learned per error signature: strategies, successes, confidence')
    .option('--signature <signature>', 'only this signature')
    .option('--limit <n>', 'at most this many rows', positiveIntegerOption, 100)
    .action((options, command: Command) =>
      run(async (session) => {
        const db = await session.db(true);
        const patterns = await getHealingPatterns(db.db, { signature: options.signature, limit: options.limit });
        emit(session, patterns, () =>
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

  program
    .command('cancel')
    .description('Cancel a run gracefully: it records itself as cancelled, then closes')
    .argument('<workflowId>')
    .option('--no-wait', 'return once the cancellation is requested')
    .option('--wait-seconds <n>', 'how long to wait for the run to close', positiveIntegerOption, 60)
    .action((workflowId: string, options, command: Command) =>
      run(async (session) => {
        const client = await session.client();
        const db = await session.db(false);
        const result = await cancelRun(client, db?.db, workflowId, { wait: options.wait, waitMs: options.waitSeconds * 1000 });
        emit(session, result, () =>
          options.wait === false
            ? `Cancellation requested for ${workflowId}`
            : `${result.closed ? 'Cancelled' : 'Cancellation requested (still closing)'}: ${workflowId} is ${result.status}` +
              (result.eventResult ? `; audit record: ${result.eventResult}` : ''),
        );
        return options.wait === false || result.closed ? 0 : 1;
      }, command),
    );

  program
    .command('terminate')
    .description('Terminate a run at once (no clean-up runs; its open audit row is closed as cancelled)')
    .argument('<workflowId>')
    .requiredOption('--reason <text>', 'why (kept in the history)')
    .action((workflowId: string, options, command: Command) =>
      run(async (session) => {
        const client = await session.client();
        const db = await session.db(false);
        const result = await terminateRun(client, db?.db, workflowId, options.reason);
        emit(session, result, () =>
          `Terminated ${workflowId} (${result.status})${result.eventResult ? `; audit record: ${result.eventResult}` : ''}`,
        );
      }, command),
    );

  program
    .command('rerun')
    .description('Start a new run with the same input, type, task queue and search attributes')
    .argument('<workflowId>')
    .option('--id <workflowId>', 'workflow id of the new run (default <id>-rerun-<random>)')
    .action((workflowId: string, options, command: Command) =>
      run(async (session) => {
        const client = await session.client();
        const result = await rerunRun(client, workflowId, { newWorkflowId: options.id });
        emit(session, result, () =>
          `Started ${result.workflowId} (run ${result.runId}) on ${result.taskQueue}\nUI: ${session.uiLink(result.workflowId)}`,
        );
      }, command),
    );

  for (const [name, approved] of [['approve', true], ['reject', false]] as const) {
    program
      .command(name)
      .description(approved ? 'Approve the strategy a run is waiting on' : 'Reject the strategy a run is waiting on (it falls back to the next one)')
      .argument('<workflowId>')
      .option('--by <name>', 'who decides (default HEAL_OPERATOR or your user name)')
      .option('--reason <text>', 'why')
      .action((workflowId: string, options, command: Command) =>
        run(async (session) => {
          const client = await session.client();
          const result = await decideApproval(client, workflowId, { approved, by: options.by, reason: options.reason });
          emit(session, result, () => `${approved ? 'Approved' : 'Rejected'} ${result.strategy ?? 'the pending strategy'} for ${workflowId} (by ${result.by})`);
        }, command),
      );
  }

  program
    .command('replay')
    .description('Replay histories (workflow ids, JSON files, or every run a query matches) through the current workflow code')
    .argument('[sources...]', 'workflow ids or history JSON files')
    .option('--all <query>', 'also replay every run this visibility query matches')
    .option('--workflows <path>', 'workflow code to replay with (default: the central worker\'s workflows/index.ts)')
    .action((sources: string[], options, command: Command) =>
      run(async (session) => {
        if (sources.length === 0 && options.all === undefined) throw new UsageError('give workflow ids, history files or --all QUERY');
        if (!session.options.verbose) await quietWorkerLogs();
        const needsServer = options.all !== undefined || sources.some((source) => !looksLikeHistoryFile(source));
        const client = needsServer ? await session.client() : undefined;
        const outcomes = await replayHistories(client, sources, {
          query: options.all,
          workflowsPath: options.workflows,
          dataConverter: dataConverterFromEnv(),
        });
        if (outcomes.length === 0) {
          emit(session, outcomes, () => 'nothing to replay: no run matched');
          return 1;
        }
        emit(session, outcomes, () => formatReplay(outcomes));
        return outcomes.every((outcome) => outcome.ok) ? 0 : 1;
      }, command),
    );

  program
    .command('export')
    .description("Save a run's history as JSON (for `replay FILE` and the replay test)")
    .argument('<workflowId>')
    .option('--run-id <runId>', 'a specific run (default the latest)')
    .option('--out <file>', 'write to this file instead of standard output')
    .action((workflowId: string, options, command: Command) =>
      run(async (session) => {
        const client = await session.client();
        const json = await exportHistory(client, workflowId, options.runId);
        if (!options.out) {
          print(json);
          return;
        }
        await mkdir(path.dirname(path.resolve(options.out)), { recursive: true });
        await writeFile(options.out, `${json}\n`);
        const events = (JSON.parse(json) as { events?: unknown[] }).events?.length ?? 0;
        emit(session, { workflowId, file: options.out, events }, () => `Wrote ${events} events of ${workflowId} to ${options.out}`);
      }, command),
    );

  const schedule = program
    .command('schedule')
    .description('The health-check schedule: status, trigger, pause, resume')
    .option('--schedule-id <id>', 'schedule id (default health-checks-<task queue>)');
  const scheduleRef = (session: Session, command: Command): ScheduleRef => ({
    taskQueue: session.taskQueue,
    scheduleId: (command.optsWithGlobals() as { scheduleId?: string }).scheduleId,
  });
  schedule
    .command('status')
    .description('Interval, paused or not, next and recent runs')
    .action((_options, command: Command) =>
      run(async (session) => {
        const info = await describeHealthSchedule(await session.client(), scheduleRef(session, command));
        emit(session, info, () =>
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
        emit(session, { triggered: true, ...ref }, () => 'Health checks triggered');
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
        emit(session, { paused: true, ...ref }, () => 'Health checks paused');
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
        emit(session, { paused: false, ...ref }, () => 'Health checks resumed');
      }, command),
    );

  return program;
}

function positiveIntegerOption(value: string): number {
  return positiveInteger(value);
}

/** The replay worker logs every non-determinism it meets at length; the outcome already says it. */
async function quietWorkerLogs(): Promise<void> {
  const { Runtime, DefaultLogger } = await import('@temporalio/worker');
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR', () => undefined),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
  } catch {
    // already installed
  }
}

function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (error instanceof UsageError) return 2;
  return 1;
}

function reportError(error: unknown, verbose: boolean): void {
  if (error instanceof CommanderError) return; // commander has printed it
  if (error instanceof ScheduleNotFoundError) {
    process.stderr.write(`error: no health-check schedule: ${error.message} — the worker creates it at start (npm start)\n`);
    return;
  }
  const known = error instanceof OperatorError || error instanceof UsageError;
  process.stderr.write(`error: ${describeError(error)}\n`);
  if (!known && verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
}

export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  let session: Session | undefined;
  const program = buildProgram(async (action, command) => {
    session = new Session(command.optsWithGlobals() as GlobalOptions);
    exitCode = (await action(session)) ?? 0;
  });
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    reportError(error, Boolean(session?.options.verbose));
    exitCode = exitCodeOf(error);
  } finally {
    await session?.close();
  }
  return exitCode;
}

process.exit(await main(process.argv));
