// A TCP proxy on 127.0.0.1 in front of a real service (PostgreSQL in the fault tests), that a
// test can cut (every open connection dropped, new ones refused) and restore.
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** `url` (e.g. postgres://…@127.0.0.1:5432/db) with its host and port replaced by the proxy's. */
  via(url: string): string;
  /** Connections accepted and forwarded so far. */
  readonly forwarded: number;
  /** Connection attempts refused while cut (each one a client trying again). */
  readonly refused: number;
  readonly isCut: boolean;
  /** Drops every open connection and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let cut = false;
  let forwarded = 0;
  let refused = 0;
  const server = net.createServer((client) => {
    if (cut) {
      refused++;
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    forwarded++;
    const upstream = net.connect(target);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      for (const socket of [client, upstream]) {
        open.delete(socket);
        socket.destroy();
      }
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    via(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    get forwarded() {
      return forwarded;
    },
    get refused() {
      return refused;
    },
    get isCut() {
      return cut;
    },
    cut() {
      cut = true;
      // An abrupt loss: reset, not a polite FIN, as when a database host goes away.
      for (const socket of open) socket.resetAndDestroy();
      open.clear();
    },
    restore() {
      cut = false;
    },
    async close() {
      cut = true;
      for (const socket of open) socket.destroy();
      open.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
