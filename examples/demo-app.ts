// A small application whose operations fail the way real ones do. Run the system (`npm start`),
// then `npm run demo` in another terminal: every failure becomes a healing run you can open in
// the Temporal UI, and each call prints what the application got back.
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { OperationQueuedError, SelfHealing, type CallOutcomeEvent } from '../client/self-healing.js';
import { currentEndpoint } from '../client/operation-context.js';

function failure(message: string, extra: Record<string, unknown>): Error {
  return Object.assign(new Error(message), extra);
}

/** Fails on its first `times` calls, then works. */
function failingFirst(times: number) {
  let calls = 0;
  return () => ++calls <= times;
}

export function registerDemoOperations(healer: SelfHealing) {
  const flakyNetwork = failingFirst(2);
  const rateLimited = failingFirst(1);
  let connectionIsStale = true;

  return {
    fetchProfile: healer.withSelfHealing('demo.fetchProfile', async (userId: string) => {
      if (flakyNetwork()) throw failure('read ECONNRESET', { code: 'ECONNRESET' });
      return { userId, name: 'Ada Lovelace' };
    }),

    searchCatalogue: healer.withSelfHealing('demo.searchCatalogue', async (query: string) => {
      if (rateLimited()) throw failure('429 Too Many Requests', { status: 429, headers: { 'retry-after': '2' } });
      return [`${query} (hardcover)`, `${query} (paperback)`];
    }),

    getExchangeRate: healer.withSelfHealing(
      'demo.getExchangeRate',
      async (currency: string) => {
        const endpoint = currentEndpoint('https://rates-primary.example');
        if (endpoint === 'https://rates-primary.example')
          throw failure('connect ECONNREFUSED 10.0.0.5:443', { code: 'ECONNREFUSED' });
        return { currency, rate: 1.08, source: endpoint };
      },
      { alternateEndpoints: ['https://rates-backup.example'] },
    ),

    loadOrders: healer.withSelfHealing(
      'demo.loadOrders',
      async (customerId: string) => {
        if (connectionIsStale) throw failure('Connection terminated unexpectedly', { code: '57P01' });
        return [{ customerId, orderId: 'o-1001' }];
      },
      { hooks: { resetConnection: () => void (connectionIsStale = false) } },
    ),

    registerUser: healer.withSelfHealing(
      'demo.registerUser',
      async (email: string) => {
        throw failure(`"${email}" is not a valid e-mail address`, { name: 'ValidationError', status: 422 });
      },
      // A permanent error reaches the caller as itself, whatever degraded answer is opted into.
      { defaultValue: { registered: false, reason: 'invalid e-mail address' } },
    ),
  };
}

const UI_URL = process.env.TEMPORAL_UI_URL ?? `http://127.0.0.1:${process.env.TEMPORAL_UI_PORT ?? 8233}`;

/** What became of each failed call, as the healing layer reports it (see onCallOutcome). */
function describe(event: CallOutcomeEvent | undefined): string {
  if (!event) return 'no failure, no healing';
  const parts: string[] = [event.outcome];
  if (event.strategy) parts.push(`by ${event.strategy}`);
  if (event.attempts !== undefined) parts.push(`${event.attempts} strateg${event.attempts === 1 ? 'y' : 'ies'} tried`);
  parts.push(`answered in ${event.waitedMs} ms`);
  const link = event.healingWorkflowId
    ? `\n    ${UI_URL}/namespaces/${process.env.TEMPORAL_NAMESPACE ?? 'default'}/workflows/${event.healingWorkflowId}`
    : '';
  return parts.join(', ') + link;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') }); // failed attempts are the point of the demo, not noise
  const healer = await SelfHealing.connect({ appTaskQueue: 'demo-app' });
  const abort = new AbortController();
  const worker = healer.runWorker(abort.signal);
  const demo = registerDemoOperations(healer);
  let last: CallOutcomeEvent | undefined;
  healer.onCallOutcome((event) => (last = event));
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['fetchProfile (flaky network)', () => demo.fetchProfile('u-42')],
    ['searchCatalogue (429 with Retry-After)', () => demo.searchCatalogue('temporal')],
    ['getExchangeRate (dead primary endpoint, a backup registered)', () => demo.getExchangeRate('EUR')],
    ['loadOrders (stale connection, a reset hook registered)', () => demo.loadOrders('c-7')],
    ['registerUser (invalid input)', () => demo.registerUser('not-an-email')],
  ];
  for (const [label, call] of calls) {
    last = undefined;
    try {
      const value = await call();
      console.log(`✔ ${label}\n    got ${JSON.stringify(value)}: ${describe(last)}`);
    } catch (error) {
      const what =
        error instanceof OperationQueuedError
          ? `queued until ${error.runAt}`
          : `${(error as Error).name}: ${(error as Error).message}`;
      console.log(`✘ ${label}\n    got ${what}: ${describe(last)}`);
    }
  }
  abort.abort();
  await worker;
  await healer.close();
}

if (process.argv[1]?.endsWith('demo-app.ts')) await main();
