// `heal show`: one run's status, healing state and attempts, and its audit row.
import type { Command } from 'commander';
import type { AttemptRecord, HealingState } from '../../common/healing-contract.js';
import type { AuditEvent } from '../operator/audit-source.js';
import { showRun, type RunDetails } from '../operator/runs.js';
import { unservedTaskQueues } from '../operator/task-queues.js';
import type { RegisterCommands } from '../session.js';
import { formatDuration, formatFields, formatTable, type Column } from '../table-format.js';

export const register: RegisterCommands = (program, run) => {
  program
    .command('show')
    .description("A run's status, healing state (query) and attempts, plus its audit row")
    .argument('<workflowId>')
    .action((workflowId: string, _options, command: Command) =>
      run(async (session) => {
        const client = await session.client();
        const found = await showRun(client, () => session.audit(), workflowId);
        const running = found.run?.status === 'RUNNING' ? found.run : undefined;
        const warnings = running ? await unservedTaskQueues(client, running) : [];
        const shown = { ...found, warnings };
        session.emit(shown, () => {
          const parts = warnings.map((warning) => `Warning: ${warning}`);
          if (shown.run) parts.push(formatRun(shown.run, session.uiLink(workflowId)));
          else parts.push(`No workflow run ${workflowId} on the server (past retention?); audit record only.`);
          if (shown.event) parts.push(formatEvent(shown.event));
          else if (shown.auditError) parts.push(`Audit record not read: ${shown.auditError}`);
          else parts.push('No audit record (healing_events) for this run yet.');
          return parts.join('\n\n');
        });
      }, command),
    );
};

const ATTEMPT_COLUMNS: Column<AttemptRecord>[] = [
  { header: '#', value: (attempt) => attempt.id.split(':').pop(), align: 'right' },
  { header: 'STRATEGY', value: (attempt) => attempt.strategy },
  { header: 'RESULT', value: (attempt) => attempt.result },
  { header: 'DURATION', value: (attempt) => formatDuration(attempt.durationMs), align: 'right' },
  { header: 'AT', value: (attempt) => attempt.at },
  { header: 'ERROR', value: (attempt) => attempt.error, maxWidth: 80 },
];

const PENDING_COLUMNS: Column<RunDetails['pendingActivities'][number]>[] = [
  { header: 'ACTIVITY', value: (activity) => activity.activity },
  { header: 'ATTEMPT', value: (activity) => activity.attempt, align: 'right' },
  { header: 'LAST FAILURE', value: (activity) => activity.lastFailure, maxWidth: 80 },
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
  const attributes = Object.entries(run.searchAttributes).map(([name, value]) => [name, String(value)]);
  if (attributes.length) lines.push('', 'Search attributes', formatFields(Object.fromEntries(attributes)));
  if (run.pendingActivities.length) {
    lines.push('', 'Pending activities', formatTable(run.pendingActivities, PENDING_COLUMNS));
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
        ? `${diagnosis.category}/${diagnosis.severity} by ${diagnosis.source} ` +
          `(confidence ${diagnosis.confidence}): ${diagnosis.rootCause}`
        : undefined,
    }),
  ];
  if (state.attempts.length) lines.push('', 'Attempts', formatTable(state.attempts, ATTEMPT_COLUMNS));
  return lines.join('\n');
}

function formatEvent(event: AuditEvent): string {
  return [
    'Audit record (healing_events)',
    formatFields({
      Operation: event.operation,
      Error: `${event.error.class}: ${event.error.message}`,
      Code: event.error.code ?? undefined,
      Signature: event.signature,
      Category: event.category,
      Severity: event.severity,
      'Diagnosed by': event.diagnosisSource,
      Strategy: event.strategy,
      Attempts: event.attempts,
      Result: event.result,
      'Healing time': formatDuration(event.healingDurationMs),
      Detected: new Date(event.detectedAt),
      Resolved: event.resolvedAt ? new Date(event.resolvedAt) : undefined,
    }),
  ].join('\n');
}
