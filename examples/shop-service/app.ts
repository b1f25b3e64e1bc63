// The shop: a Hono HTTP service on PostgreSQL that prices, reserves and ships through a supplier's
// HTTP API. Every call that leaves the process is an operation wrapped with withSelfHealing.
// (An application imports these from 'temporal-self-healing', '…/fetch' and '…/hono'.)
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type pg from 'pg';
import { z } from 'zod';
import { healingFetch, HttpResponseError } from '../../client/healing-fetch.js';
import { OperationQueuedError, type SelfHealing } from '../../client/index.js';
import { healingRoute } from '../../client/integrations/hono.js';
import { findOrder, insertOrder, type Order } from './store.js';

export interface ShopOptions {
  healer: SelfHealing;
  pool: pg.Pool;
  supplierUrl: string;
  /** A mirror of the supplier's API, used while the primary fails (SWITCH_API_ENDPOINT). */
  backupSupplierUrl: string;
}

/** The supplier answered 200 with something that is not what its API promises. */
class UpstreamAnswerError extends Error {
  override name = 'UpstreamAnswerError';
}

class ProductNotFoundError extends Error {
  override name = 'ProductNotFoundError';
  readonly status = 404;
}

class ValidationError extends Error {
  override name = 'ValidationError';
  readonly status = 400;
}

const PriceAnswer = z.object({ sku: z.string(), price: z.number().positive() });
const ReservationAnswer = z.object({ reservationId: z.string() });
const OrderRequest = z.object({
  sku: z.string().regex(/^[\w-]{1,40}$/),
  quantity: z.number().int().positive().max(100),
  email: z.email(),
});

/** The supplier's operations, each wrapped: what healing may do for it is in its options. */
function supplierOperations(healer: SelfHealing, supplierUrl: string, backupSupplierUrl: string) {
  const post = (path: string, body: unknown, idempotencyKey: string) =>
    healingFetch(
      `${supplierUrl}${path}`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      { idempotencyKey, timeoutMs: 2_000 },
    );
  return {
    price: healer.withSelfHealing(
      'shop.price',
      async (sku: string) => {
        const response = await healingFetch(`${supplierUrl}/prices/${sku}`, {}, { timeoutMs: 1_000 }).catch(
          (error: unknown) => {
            throw error instanceof HttpResponseError && error.status === 404
              ? new ProductNotFoundError(`no product ${sku}`)
              : error;
          },
        );
        const answer = PriceAnswer.safeParse(await response.json());
        if (!answer.success) throw new UpstreamAnswerError(`the supplier's price for ${sku} is not a price`);
        return answer.data.price;
      },
      // A price may come from the mirror, or be the last one seen for the product.
      { alternateEndpoints: [backupSupplierUrl], cacheResults: true },
    ),
    reserve: healer.withSelfHealing(
      'shop.reserve',
      async (orderId: string, sku: string, quantity: number) =>
        ReservationAnswer.parse(await (await post('/reservations', { sku, quantity }, orderId)).json()).reservationId,
      { critical: true },
    ),
    notifyShipping: healer.withSelfHealing(
      'shop.notifyShipping',
      async (orderId: string, sku: string, quantity: number) =>
        void (await post('/shipments', { orderId, sku, quantity }, `ship-${orderId}`)),
      // The order stands without it: after two tries the notice is sent later, by a durable timer.
      { queueForLater: true, timing: { maximumAttempts: 2, queueDelayMs: 2_000 } },
    ),
  };
}

export function createShopApp({ healer, pool, supplierUrl, backupSupplierUrl }: ShopOptions): Hono {
  const supplier = supplierOperations(healer, supplierUrl, backupSupplierUrl);
  const saveOrder = healer.withSelfHealing('shop.saveOrder', (order: Order) => insertOrder(pool, order), {
    critical: true,
  });

  const placeOrder = async (id: string, request: z.infer<typeof OrderRequest>): Promise<Order> => {
    const unitPrice = await supplier.price(request.sku);
    const reservationId = await supplier.reserve(id, request.sku, request.quantity);
    const shipping = await supplier.notifyShipping(id, request.sku, request.quantity).then(
      () => 'sent' as const,
      (error: unknown) => {
        if (error instanceof OperationQueuedError) return 'queued' as const;
        throw error;
      },
    );
    const order: Order = { id, ...request, unitPrice, reservationId, shipping };
    await saveOrder(order);
    return order;
  };

  const app = new Hono();
  app.get('/health', (c) => c.json({ ok: true }));
  app.get(
    '/products/:sku',
    healingRoute(healer, async (c) =>
      c.json({ sku: c.req.param('sku'), price: await supplier.price(c.req.param('sku') ?? '') }),
    ),
  );
  app.post(
    '/orders',
    healingRoute(healer, async (c) => {
      const request = OrderRequest.safeParse(await c.req.json().catch(() => undefined));
      if (!request.success)
        throw new ValidationError(
          `invalid order: ${request.error.issues.map((issue) => issue.path.join('.')).join(', ')}`,
        );
      // A client that retries with the same Idempotency-Key gets the same order (and reservation).
      const id = c.req.header('idempotency-key') ?? randomUUID();
      return c.json(await placeOrder(id, request.data), 201);
    }),
  );
  app.get(
    '/orders/:id',
    healingRoute(healer, async (c) => c.json(await findOrder(pool, c.req.param('id') ?? ''))),
  );
  return app;
}
