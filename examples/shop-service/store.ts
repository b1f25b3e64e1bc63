// The shop's own data, in PostgreSQL through pg: orders.
import pg from 'pg';

export interface Order {
  id: string;
  sku: string;
  quantity: number;
  email: string;
  unitPrice: number;
  reservationId: string;
  /** 'sent', or 'queued' when the supplier was down and the notice will be sent later. */
  shipping: 'sent' | 'queued';
}

export class OrderNotFoundError extends Error {
  override name = 'OrderNotFoundError';
  readonly status = 404;
}

export async function openShopDatabase(connectionString: string): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString, max: 5 });
  await pool.query(`
    create table if not exists shop_orders (
      id text primary key,
      sku text not null,
      quantity integer not null check (quantity > 0),
      email text not null,
      unit_price numeric(10, 2) not null,
      reservation_id text not null,
      shipping text not null,
      created_at timestamptz not null default now()
    )`);
  return pool;
}

export async function insertOrder(pool: pg.Pool, order: Order): Promise<void> {
  await pool.query(
    `insert into shop_orders (id, sku, quantity, email, unit_price, reservation_id, shipping)
     values ($1, $2, $3, $4, $5, $6, $7) on conflict (id) do nothing`,
    [order.id, order.sku, order.quantity, order.email, order.unitPrice, order.reservationId, order.shipping],
  );
}

export async function findOrder(pool: pg.Pool, id: string): Promise<Order> {
  const { rows } = await pool.query<{
    id: string;
    sku: string;
    quantity: number;
    email: string;
    unit_price: string;
    reservation_id: string;
    shipping: Order['shipping'];
  }>('select id, sku, quantity, email, unit_price, reservation_id, shipping from shop_orders where id = $1', [id]);
  const row = rows[0];
  if (!row) throw new OrderNotFoundError(`order ${id} does not exist`);
  return {
    id: row.id,
    sku: row.sku,
    quantity: row.quantity,
    email: row.email,
    unitPrice: Number(row.unit_price),
    reservationId: row.reservation_id,
    shipping: row.shipping,
  };
}
