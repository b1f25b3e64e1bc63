// `heal cancel`, `heal terminate`, `heal rerun`: stop a run, gracefully or at once, or start it again.
import type { Command } from 'commander';
import { cancelRun, rerunRun, terminateRun } from '../operator/control.js';
import { unservedTaskQueues } from '../operator/task-queues.js';
import { positiveInteger, type RegisterCommands } from '../session.js';

export const register: RegisterCommands = (program, run) => {
  program
    .command('cancel')
    .description('Cancel a run gracefully: it records itself as cancelled, then closes')
    .argument('<workflowId>')
    .option('--no-wait', 'return once the cancellation is requested')
    .option('--wait-seconds <n>', 'how long to wait for the run to close', positiveInteger, 60)
    .action((workflowId: string, options, command: Command) =>
      run(async (session) => {
        const client = await session.client();
        // The audit row's result is a bonus: a cancel does not fail for want of it.
        const audit = await session.audit().catch(() => undefined);
        const wait = { wait: options.wait, waitMs: options.waitSeconds * 1000 };
        const result = await cancelRun(client, audit, workflowId, wait);
        const state = result.closed ? 'Cancelled' : 'Cancellation requested (still closing)';
        const recorded = result.eventResult ? `; audit record: ${result.eventResult}` : '';
        session.emit(result, () =>
          options.wait === false
            ? `Cancellation requested for ${workflowId}`
            : `${state}: ${workflowId} is ${result.status}${recorded}`,
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
        const db = await session.db();
        const result = await terminateRun(client, db?.db, workflowId, options.reason);
        const audit = result.eventResult ? `; audit record: ${result.eventResult}` : '';
        session.emit(result, () => `Terminated ${workflowId} (${result.status})${audit}`);
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
        const started = await rerunRun(client, workflowId, options.id);
        const warnings = await unservedTaskQueues(client, { ...started, type: started.workflowType });
        const result = { ...started, warnings };
        session.emit(result, () =>
          [
            `Started ${result.workflowId} (run ${result.runId}) on ${result.taskQueue}`,
            `UI: ${session.uiLink(result.workflowId)}`,
            ...warnings.map((warning) => `Warning: ${warning}`),
          ].join('\n'),
        );
      }, command),
    );
};
