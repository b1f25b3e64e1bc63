// `heal breakers`: the shared circuit breakers; `heal breakers open|close <operation> --reason`.
import type { Command } from 'commander';
import { controlBreaker, listBreakers, type BreakerListing } from '../operator/breakers.js';
import type { RegisterCommands, Session } from '../session.js';
import { formatFields, formatPercent, formatTable } from '../table-format.js';
import type { BreakerView } from '../../common/circuit-breaker/contract.js';

const at = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

function describeView(view: BreakerView, session: Session): string {
  return formatFields({
    Breaker: view.breakerId,
    State: view.manual ? `${view.state} (held by ${view.manual.by})` : view.state,
    Since: at(view.since),
    Reason: view.reason,
    'Next probe': at(view.retryAt),
    Window:
      `${view.window.failures}/${view.window.calls} failed (${formatPercent(view.window.failureRate)}), ` +
      `${view.window.failingInstances} of ${view.window.instances.length} instances failing`,
    UI: session.uiLink(view.breakerId),
  });
}

export const register: RegisterCommands = (program, run) => {
  const breakers = program
    .command('breakers')
    .description('The shared circuit breakers: state, failure rate, instances; open or close one by hand')
    .action((_options, command: Command) =>
      run(async (session) => {
        const listings = await listBreakers(await session.client());
        session.emit(listings, () =>
          listings.length
            ? formatTable(listings, [
                { header: 'OPERATION', value: (row: BreakerListing) => row.operation },
                { header: 'STATE', value: (row) => (row.view ?? row.status)?.state },
                { header: 'SINCE', value: (row) => at((row.view ?? row.status)?.since) },
                { header: 'NEXT PROBE', value: (row) => at((row.view ?? row.status)?.retryAt) },
                {
                  header: 'FAILED',
                  value: (row) => (row.view ? formatPercent(row.view.window.failureRate) : ''),
                  align: 'right',
                },
                { header: 'CALLS', value: (row) => row.view?.window.calls, align: 'right' },
                {
                  header: 'INSTANCES',
                  value: (row) => row.view && `${row.view.window.failingInstances}/${row.view.window.instances.length}`,
                },
                { header: 'FAST-FAILED', value: (row) => row.view?.rejected, align: 'right' },
                { header: 'REASON', value: (row) => (row.view ?? row.status)?.reason, maxWidth: 70 },
              ])
            : 'no circuit breaker runs (one starts at the first failure of an operation that opts in)',
        );
      }, command),
    );

  for (const action of ['open', 'close'] as const) {
    breakers
      .command(action)
      .description(
        action === 'open'
          ? "Open an operation's breaker for every instance and hold it open (no probes) until closed by hand"
          : "Close an operation's breaker for every instance",
      )
      .argument('<operation>')
      .requiredOption('--reason <text>', "why (kept in the breaker's state and history)")
      .action((operation: string, options, command: Command) =>
        run(async (session) => {
          const view = await controlBreaker(await session.client(), {
            operation,
            action,
            reason: options.reason,
            taskQueue: session.taskQueue,
          });
          session.emit(view, () => describeView(view, session));
        }, command),
      );
  }
};
