import net from 'node:net';

/** True for addresses only this machine can reach: localhost, 127.0.0.0/8 and ::1 (bracketed or not). */
export function isLoopbackHost(host: string): boolean {
  const bare = host
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase();
  if (bare === 'localhost') return true;
  if (net.isIPv4(bare)) return bare.startsWith('127.');
  return net.isIPv6(bare) && (bare === '::1' || bare === '0:0:0:0:0:0:0:1');
}
