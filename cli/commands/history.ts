// `heal replay` and `heal export`: histories through the current workflow code, and saved for it.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { dataConverterFromEnv } from '../../lib/payload-codec.js';
import { UsageError } from '../operator/errors.js';
import { exportHistory, looksLikeHistoryFile, replayHistories, type ReplayOutcome } from '../operator/replay.js';
import { print, type RegisterCommands } from '../session.js';

export const register: RegisterCommands = (program, run) => {
  program
    .command('replay')
    .description(
      'Replay histories (workflow ids, JSON files, or every run a query matches) through the current workflow code',
    )
    .argument('[sources...]', 'workflow ids or history JSON files')
    .option('--all <query>', 'also replay every run this visibility query matches')
    .option('--workflows <path>', "workflow code to replay with (default: the central worker's workflows/index.ts)")
    .action((sources: string[], options, command: Command) =>
      run(async (session) => {
        if (sources.length === 0 && options.all === undefined) {
          throw new UsageError('give workflow ids, history files or --all QUERY');
        }
        if (!session.options.verbose) await quietWorkerLogs();
        const needsServer = options.all !== undefined || sources.some((source) => !looksLikeHistoryFile(source));
        const client = needsServer ? await session.client() : undefined;
        const outcomes = await replayHistories(client, sources, {
          query: options.all,
          workflowsPath: options.workflows,
          dataConverter: dataConverterFromEnv(),
        });
        if (outcomes.length === 0) {
          session.emit(outcomes, () => 'nothing to replay: no run matched');
          return 1;
        }
        session.emit(outcomes, () => formatReplay(outcomes));
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
        session.emit(
          { workflowId, file: options.out, events },
          () => `Wrote ${events} events of ${workflowId} to ${options.out}`,
        );
      }, command),
    );
};

function formatReplay(outcomes: ReplayOutcome[]): string {
  const failed = outcomes.filter((outcome) => !outcome.ok);
  const lines = outcomes.map((outcome) => {
    const label = outcome.ok ? 'ok  ' : outcome.nondeterministic ? 'NONDETERMINISTIC' : 'FAILED';
    return `${label} ${outcome.source}${outcome.error ? `\n     ${outcome.error.split('\n')[0]}` : ''}`;
  });
  lines.push(`${outcomes.length - failed.length} replayed, ${failed.length} failed`);
  return lines.join('\n');
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
