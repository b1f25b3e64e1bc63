// `npm run shop` (beside `npm start`, which runs the central worker): the example shop on
// http://127.0.0.1:3000 with its two fake suppliers on :4001 (primary) and :4002 (mirror).
// PostgreSQL from SHOP_DATABASE_URL (default: the local server's postgres database).
// Break the supplier and watch the runs in the Temporal UI, e.g.:
//   curl -X POST 127.0.0.1:4001/__fault -d '{"mode":"down"}'
//   curl 127.0.0.1:3000/products/tea
import { serve } from '@hono/node-server';
import { SelfHealing } from '../../client/index.js';
import { createShopApp } from './app.js';
import { openShopDatabase } from './store.js';
import { startSupplier } from './supplier.js';

const port = Number(process.env.PORT ?? 3000);
const healer = await SelfHealing.connect({ appTaskQueue: 'shop-service' });
const stop = new AbortController();
const worker = healer.runWorker(stop.signal); // hosts the shop's operations, so healing can re-run them
const [primary, backup] = await Promise.all([startSupplier(4001), startSupplier(4002)]);
const pool = await openShopDatabase(process.env.SHOP_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const app = createShopApp({ healer, pool, supplierUrl: primary.url, backupSupplierUrl: backup.url });
const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
console.log(`Shop on http://127.0.0.1:${port} (suppliers ${primary.url}, ${backup.url}); Ctrl-C stops it`);

async function shutDown(): Promise<void> {
  server.close();
  stop.abort();
  await worker;
  await Promise.all([primary.close(), backup.close(), pool.end(), healer.close()]);
}

// A failure while shutting down ends the process as an unhandled rejection: printed, exit code 1.
process.once('SIGINT', () => void shutDown());
