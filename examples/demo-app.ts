// A small application whose operations fail the way real ones do. Run the system (`npm start`),
// then `npm run demo` in another terminal: every failure becomes a healing run you can open in
// the Temporal UI, and each call prints what the application got back.
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { SelfHealing, OperationQueuedError } from '../client/self-healing.js';
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
        if (endpoint === 'https://rates-primary.example') throw failure('connect ECONNREFUSED 10.0.0.5:443', { code: 'ECONNREFUSED' });
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
      { defaultValue: { registered: false, reason: 'invalid e-mail address' } },
    ),
  };
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') }); // failed attempts are the point of the demo, not noise
  const healer = await SelfHealing.connect({ appTaskQueue: 'demo-app' });
  const abort = new AbortController();
  const worker = healer.runWorker(abort.signal);
  const demo = registerDemoOperations(healer);
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['fetchProfile (flaky network → retry with backoff)', () => demo.fetchProfile('u-42')],
    ['searchCatalogue (429 + Retry-After → rate-limit backoff)', () => demo.searchCatalogue('temporal')],
    ['getExchangeRate (dead primary → switch endpoint)', () => demo.getExchangeRate('EUR')],
    ['loadOrders (stale connection → reset connection)', () => demo.loadOrders('c-7')],
    ['registerUser (validation error → never retried, default value)', () => demo.registerUser('not-an-email')],
  ];
  for (const [label, call] of calls) {
    try {
      console.log(`✔ ${label}:`, JSON.stringify(await call()));
    } catch (error) {
      const runId = (error as { healingWorkflowId?: string }).healingWorkflowId;
      const note = error instanceof OperationQueuedError ? 'queued' : 'not healed';
      console.log(`✘ ${label}: ${note}: ${(error as Error).message}${runId ? ` (run ${runId})` : ''}`);
    }
  }
  console.log('\nOpen the Temporal UI and search e.g. HealingOperation STARTS_WITH "demo." to see each run.');
  abort.abort();
  await worker;
  await healer.close();
}

if (process.argv[1]?.endsWith('demo-app.ts')) await main();
