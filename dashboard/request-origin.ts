// Who sent a request and whether it came over TLS. Forwarding headers (X-Forwarded-For,
// X-Forwarded-Proto) are believed only when the connection comes from a trusted proxy: anyone
// else could write them to dodge the sign-in back-off or to get a cookie marked for the wrong scheme.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Context } from 'hono';
import proxyAddr from 'proxy-addr';
import { DashboardConfigError } from './auth.js';

/** What `createAdaptorServer` puts in `c.env`; absent when the app is called with `app.request()`. */
type NodeBindings = { incoming?: IncomingMessage } | undefined;

export class RequestOrigin {
  private readonly trust: (address: string, hop: number) => boolean;

  /** `trustedProxies`: addresses, CIDR ranges, or `loopback` / `linklocal` / `uniquelocal`. */
  constructor(trustedProxies: readonly string[]) {
    try {
      this.trust = proxyAddr.compile([...trustedProxies]);
    } catch (error) {
      throw new DashboardConfigError(`DASHBOARD_TRUSTED_PROXIES: ${(error as Error).message}`);
    }
  }

  /** The client's address: the nearest untrusted hop. 'unknown' without a socket (in-process requests). */
  clientAddress(c: Context): string {
    const incoming = incomingOf(c);
    return incoming?.socket?.remoteAddress ? proxyAddr(incoming, this.trust) : 'unknown';
  }

  /** TLS to this server, or a trusted proxy saying (first X-Forwarded-Proto value) that it took TLS. */
  cameOverTls(c: Context): boolean {
    const socket = incomingOf(c)?.socket as Partial<TLSSocket> | undefined;
    if (socket?.encrypted) return true;
    if (!socket?.remoteAddress || !this.trust(socket.remoteAddress, 0)) return false;
    const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
    return forwarded === 'https';
  }
}

function incomingOf(c: Context): IncomingMessage | undefined {
  return (c.env as NodeBindings)?.incoming;
}
