// The supplier's HTTP API the shop depends on, as a local fake you can break while the shop runs:
//   curl -X POST localhost:4001/__fault -d '{"mode":"down"}'            # 503 on every route
//   curl -X POST localhost:4001/__fault -d '{"mode":"rate-limited","times":2,"path":"/reservations"}'
// Modes: ok, down (503), refused (connection dropped), rate-limited (429, Retry-After: 1),
// slow (answers after 3 s), wrong-answers (200 with a body of the wrong shape).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

export const SUPPLIER_FAULTS = ['ok', 'down', 'refused', 'rate-limited', 'slow', 'wrong-answers'] as const;
export type SupplierFaultMode = (typeof SUPPLIER_FAULTS)[number];

const Fault = z.object({
  mode: z.enum(SUPPLIER_FAULTS),
  /** Only requests whose path starts with this. */
  path: z.string().default('/'),
  /** For the next N matching requests; until changed when absent. */
  times: z.number().int().positive().optional(),
});
export type SupplierFault = z.input<typeof Fault>;

const PRICES: Record<string, number> = { tea: 4.5, coffee: 7.25, cocoa: 5.1, mate: 6.8 };
const SLOW_MS = 3_000;

export interface Supplier {
  url: string;
  /** Every request received, in order (control requests excluded). */
  requests: Array<{ method: string; path: string; idempotencyKey?: string }>;
  setFault(fault: SupplierFault): void;
  close(): Promise<void>;
}

export async function startSupplier(port = 0): Promise<Supplier> {
  const requests: Supplier['requests'] = [];
  const reservations = new Map<string, string>(); // Idempotency-Key → reservation id
  let fault: z.output<typeof Fault> = Fault.parse({ mode: 'ok' });

  const faultFor = (path: string): SupplierFaultMode => {
    if (fault.mode === 'ok' || !path.startsWith(fault.path)) return 'ok';
    if (fault.times !== undefined && --fault.times === 0) {
      const mode = fault.mode;
      fault = Fault.parse({ mode: 'ok' });
      return mode;
    }
    return fault.mode;
  };

  const answer = (req: IncomingMessage, res: ServerResponse, path: string, body: string) => {
    const key = req.headers['idempotency-key'];
    requests.push({ method: req.method ?? 'GET', path, ...(typeof key === 'string' ? { idempotencyKey: key } : {}) });
    const mode = faultFor(path);
    if (mode === 'refused') return req.socket.destroy();
    if (mode === 'down') return json(res, 503, { error: 'supplier unavailable' });
    if (mode === 'rate-limited') return json(res, 429, { error: 'slow down' }, { 'retry-after': '1' });
    const reply = () =>
      mode === 'wrong-answers' ? json(res, 200, { price: 'ask again later' }) : route(req, res, path, body);
    if (mode === 'slow') setTimeout(reply, SLOW_MS);
    else reply();
  };

  const route = (req: IncomingMessage, res: ServerResponse, path: string, body: string) => {
    const price = /^\/prices\/([\w-]+)$/.exec(path);
    if (req.method === 'GET' && price) {
      const sku = price[1]!;
      return sku in PRICES
        ? json(res, 200, { sku, price: PRICES[sku] })
        : json(res, 404, { error: `unknown sku ${sku}` });
    }
    if (req.method === 'POST' && path === '/reservations') {
      const key = String(req.headers['idempotency-key'] ?? randomUUID());
      const id = reservations.get(key) ?? `rsv-${randomUUID().slice(0, 8)}`;
      reservations.set(key, id);
      return json(res, 201, { reservationId: id, ...(JSON.parse(body || '{}') as object) });
    }
    if (req.method === 'POST' && path === '/shipments') return json(res, 202, { accepted: true });
    json(res, 404, { error: 'no such route' });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://supplier').pathname;
      const body = Buffer.concat(chunks).toString('utf8');
      if (path !== '/__fault') return answer(req, res, path, body);
      const parsed = Fault.safeParse(parseJson(body));
      if (!parsed.success) return json(res, 400, { error: parsed.error.message });
      fault = parsed.data;
      json(res, 200, fault);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    setFault: (next) => void (fault = Fault.parse(next)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text || '{}');
  } catch {
    return undefined;
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
