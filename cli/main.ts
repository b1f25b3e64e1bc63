// `heal`: the operator's command-line tool. Connects with the worker's environment
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, DATABASE_URL; without DATABASE_URL the
// audit trail is read through the running worker's dashboard), prints tables by default and JSON
// with --json. Exit codes: 0 ok, 1 failure (incl. a failed replay), 2 usage.
// Each command group is a file in cli/commands/, over the operator library in cli/operator/.
import { ScheduleNotFoundError } from '@temporalio/client';
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands/index.js';
import { describeError, OperatorError, UsageError } from './operator/errors.js';
import { Session, type GlobalOptions, type RunAction } from './session.js';

function buildProgram(run: RunAction): Command {
  const program = new Command('heal');
  program
    .description('Operate the self-healing layer: find healing runs, act on them, replay their histories.')
    .option('--address <host:port>', 'Temporal frontend (default: TEMPORAL_ADDRESS or 127.0.0.1:7233)')
    .option('--namespace <name>', 'Temporal namespace (default: TEMPORAL_NAMESPACE or default)')
    .option('--task-queue <name>', "the central worker's task queue (default: TEMPORAL_TASK_QUEUE or self-healing)")
    .option(
      '--database-url <url>',
      'PostgreSQL of the worker (default: DATABASE_URL; unset: the audit trail is read through the running worker)',
    )
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
  for (const register of COMMANDS) register(program, run);
  return program;
}

function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (error instanceof UsageError) return 2;
  return 1;
}

function reportError(error: unknown, verbose: boolean): void {
  if (error instanceof CommanderError) return; // commander has printed it
  if (error instanceof ScheduleNotFoundError) {
    process.stderr.write(
      `error: no health-check schedule: ${error.message} — the worker creates it at start (npm start)\n`,
    );
    return;
  }
  const known = error instanceof OperatorError || error instanceof UsageError;
  process.stderr.write(`error: ${describeError(error)}\n`);
  if (!known && verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
}

async function main(argv: readonly string[]): Promise<number> {
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
