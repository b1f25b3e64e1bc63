// `heal approve` and `heal reject`: decide on a strategy a run is waiting on.
import type { Command } from 'commander';
import { decideApproval } from '../operator/approval.js';
import type { RegisterCommands } from '../session.js';

export const register: RegisterCommands = (program, run) => {
  for (const [name, approved] of [
    ['approve', true],
    ['reject', false],
  ] as const) {
    program
      .command(name)
      .description(
        approved
          ? 'Approve the strategy a run is waiting on'
          : 'Reject the strategy a run is waiting on (it falls back to the next one)',
      )
      .argument('<workflowId>')
      .option('--by <name>', 'who decides (default HEAL_OPERATOR or your user name)')
      .option('--reason <text>', 'why')
      .action((workflowId: string, options, command: Command) =>
        run(async (session) => {
          const client = await session.client();
          const result = await decideApproval(client, workflowId, { approved, by: options.by, reason: options.reason });
          const strategy = result.strategy ?? 'the pending strategy';
          session.emit(
            result,
            () => `${approved ? 'Approved' : 'Rejected'} ${strategy} for ${workflowId} (by ${result.by})`,
          );
        }, command),
      );
  }
};
