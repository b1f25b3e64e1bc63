// The example shop (examples/shop-service) driven over HTTP while its supplier is broken in
// every way the fake allows: what the shop's clients see, and the healing runs recorded.
import type { AddressInfo, Server } from 'node:net';
import { serve } from '@hono/node-server';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getHealingEvents } from '../db/index.js';
import { createShopApp } from '../examples/shop-service/app.js';
import { openShopDatabase } from '../examples/shop-service/store.js';
import { startSupplier, type Supplier } from '../examples/shop-service/supplier.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { useTestSystem } from './support/use-test-system.js';

const system = useTestSystem();
let shopDatabase: TestDatabase;
let pool: pg.Pool;
let primary: Supplier;
let backup: Supplier;
let server: Server;
let shop: string;

beforeAll(async () => {
  shopDatabase = await createTestDatabase('postgres');
  pool = await openShopDatabase(shopDatabase.url!);
  [primary, backup] = await Promise.all([startSupplier(), startSupplier()]);
  const app = createShopApp({ healer: system.healer, pool, supplierUrl: primary.url, backupSupplierUrl: backup.url });
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise((resolve) => server.once('listening', resolve));
  shop = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await Promise.all([primary?.close(), backup?.close()]);
  await pool?.end();
  await shopDatabase?.drop();
});

function order(body: unknown, idempotencyKey?: string): Promise<Response> {
  return fetch(`${shop}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
    body: JSON.stringify(body),
  });
}

/** The finished runs of an operation, newest first: result and deciding strategy. */
async function runsOf(operation: string): Promise<Array<{ result: string; strategy: string | null }>> {
  const { rows } = await getHealingEvents(system.database.db, { operation });
  return rows.map((row) => ({ result: row.result, strategy: row.strategy }));
}

describe('the shop while its supplier misbehaves', () => {
  it('serves prices and orders when all is well', async () => {
    const price = await fetch(`${shop}/products/tea`);
    expect(await price.json()).toEqual({ sku: 'tea', price: 4.5 });
    const placed = await order({ sku: 'tea', quantity: 2, email: 'ann@example.com' });
    expect(placed.status).toBe(201);
    const { id } = (await placed.json()) as { id: string };
    const stored = await fetch(`${shop}/orders/${id}`);
    expect(await stored.json()).toMatchObject({ id, sku: 'tea', quantity: 2, unitPrice: 4.5, shipping: 'sent' });
  });

  it('supplier down or answering nonsense: prices come from the mirror', async () => {
    primary.setFault({ mode: 'down', path: '/prices' });
    expect(await (await fetch(`${shop}/products/coffee`)).json()).toEqual({ sku: 'coffee', price: 7.25 });
    primary.setFault({ mode: 'wrong-answers', path: '/prices' });
    expect(await (await fetch(`${shop}/products/cocoa`)).json()).toEqual({ sku: 'cocoa', price: 5.1 });
    primary.setFault({ mode: 'ok' });
    await expect
      .poll(() => runsOf('shop.price'), { timeout: 20_000 })
      .toEqual([
        { result: 'healed', strategy: 'SWITCH_API_ENDPOINT' },
        { result: 'healed', strategy: 'SWITCH_API_ENDPOINT' },
      ]);
  });

  it('supplier slow once: the price call times out and is healed', async () => {
    primary.setFault({ mode: 'slow', path: '/prices', times: 1 });
    const response = await fetch(`${shop}/products/tea`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sku: 'tea', price: 4.5 });
  });

  it('reservation rate limited: the order waits out Retry-After and the reservation is not duplicated', async () => {
    primary.setFault({ mode: 'rate-limited', path: '/reservations', times: 1 });
    const placed = await order({ sku: 'tea', quantity: 1, email: 'bo@example.com' }, 'order-rate-limited');
    expect(placed.status).toBe(201);
    const reservations = primary.requests.filter(
      (request) => request.path === '/reservations' && request.idempotencyKey === 'order-rate-limited',
    );
    expect(reservations).toHaveLength(2);
    await expect
      .poll(() => runsOf('shop.reserve'), { timeout: 20_000 })
      .toEqual([{ result: 'healed', strategy: 'RATE_LIMIT_BACKOFF' }]);
  });

  it('shipping down: the order is taken, its shipping notice queued and sent once the supplier is back', async () => {
    primary.setFault({ mode: 'down', path: '/shipments' });
    const placed = await order({ sku: 'cocoa', quantity: 3, email: 'cy@example.com' }, 'order-queued');
    expect(placed.status).toBe(201);
    expect(await placed.json()).toMatchObject({ id: 'order-queued', shipping: 'queued' });
    primary.setFault({ mode: 'ok' });
    await expect
      .poll(() => primary.requests.filter((request) => request.idempotencyKey === 'ship-order-queued').length, {
        timeout: 30_000,
      })
      .toBeGreaterThanOrEqual(3); // two tries, then the queued run
    await expect
      .poll(() => runsOf('shop.notifyShipping'), { timeout: 20_000 })
      .toEqual([{ result: 'healed', strategy: 'QUEUE_FOR_LATER' }]);
  });

  it('client errors are 4xx at once: an invalid order, an unknown product, an unknown order', async () => {
    expect((await order({ sku: 'tea', quantity: 0, email: 'not-an-email' })).status).toBe(400);
    const unknown = await fetch(`${shop}/products/caviar`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe('no product caviar');
    expect((await fetch(`${shop}/orders/nope`)).status).toBe(404);
    expect(primary.requests.filter((request) => request.path === '/prices/caviar')).toHaveLength(1); // never re-run
  });

  it('everything rate limited: 503 with Retry-After, and the failed run is recorded', async () => {
    primary.setFault({ mode: 'rate-limited' });
    backup.setFault({ mode: 'rate-limited' });
    const response = await fetch(`${shop}/products/mate`);
    primary.setFault({ mode: 'ok' });
    backup.setFault({ mode: 'ok' });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    await expect
      .poll(async () => (await runsOf('shop.price')).some((run) => run.result === 'failed'), { timeout: 20_000 })
      .toBe(true);
  });
});
