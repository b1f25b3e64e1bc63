// Connecting to a secured Temporal cluster, for real: a TLS-terminating proxy in front of the
// suite's dev server demands a client certificate from a test CA (like a self-hosted mTLS
// cluster), and both the client Connection and the worker NativeConnection built from the
// TEMPORAL_* variables must get through it, or fail with one clear line.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError } from '../lib/config.js';
import { PROJECT_ROOT } from '../lib/project-paths.js';
import {
  clientConnectionOptions,
  connectClient,
  connectWorkerConnection,
  describeTemporal,
  temporalSettings,
  TemporalConnectError,
  workerConnectionOptions,
  type TemporalEnv,
} from '../lib/temporal-connection.js';

const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'tls');
const fixture = (name: string) => path.join(FIXTURES, name);
const SERVER_NAME = 'temporal.test';

interface Proxy {
  address: string;
  close(): Promise<void>;
}

/** TLS in front, plaintext gRPC (h2c) to the dev server behind. */
async function startTlsProxy(options: { requireClientCert: boolean }): Promise<Proxy> {
  const [host, port] = inject('temporalAddress').split(':');
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    {
      key: readFileSync(fixture('server.key')),
      cert: readFileSync(fixture('server.pem')),
      ca: readFileSync(fixture('ca.pem')),
      requestCert: options.requireClientCert,
      rejectUnauthorized: options.requireClientCert,
      ALPNProtocols: ['h2'],
    },
    (socket) => {
      const upstream = net.connect(Number(port), host);
      for (const side of [socket, upstream]) {
        sockets.add(side);
        side.on('error', () => undefined);
        side.on('close', () => sockets.delete(side));
      }
      socket.pipe(upstream).pipe(socket);
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('settings from the environment', () => {
  it('is plaintext to a local server by default', () => {
    expect(temporalSettings({})).toEqual({ address: '127.0.0.1:7233', namespace: 'default' });
    expect(clientConnectionOptions(temporalSettings({}))).toEqual({ address: '127.0.0.1:7233' });
    expect(describeTemporal(temporalSettings({})).security).toBe('plaintext');
  });

  it('turns TLS on with an API key (Temporal Cloud), for client and worker alike', () => {
    const env: TemporalEnv = {
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ns.acct',
      TEMPORAL_API_KEY: 'key-123',
    };
    const settings = temporalSettings(env);
    expect(settings).toEqual({ address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct', tls: {}, apiKey: 'key-123' });
    expect(clientConnectionOptions(settings)).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      tls: {},
      apiKey: 'key-123',
    });
    expect(workerConnectionOptions(settings)).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      tls: {},
      apiKey: 'key-123',
    });
    expect(describeTemporal(settings)).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      namespace: 'ns.acct',
      security: 'TLS + API key',
    });
    expect(JSON.stringify(describeTemporal(settings))).not.toContain('key-123');
    // Explicitly off: an API key to a local plaintext proxy.
    expect(temporalSettings({ ...env, TEMPORAL_TLS: 'false' }).tls).toBeUndefined();
  });

  it('reads mTLS material from files or inline PEM, and the server name and CA', () => {
    const fromFiles = temporalSettings({
      TEMPORAL_TLS_CERT: fixture('client.pem'),
      TEMPORAL_TLS_KEY: fixture('client.key'),
      TEMPORAL_TLS_CA: fixture('ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    });
    expect(fromFiles.tls?.clientCertPair?.crt.toString()).toBe(readFileSync(fixture('client.pem'), 'utf8'));
    expect(fromFiles.tls?.serverNameOverride).toBe(SERVER_NAME);
    expect(describeTemporal(fromFiles).security).toBe('mTLS');
    const inline = temporalSettings({
      TEMPORAL_TLS_CERT: readFileSync(fixture('client.pem'), 'utf8').replace(/\n/g, '\\n'), // one-line env form
      TEMPORAL_TLS_KEY: readFileSync(fixture('client.key'), 'utf8'),
    });
    expect(inline.tls?.clientCertPair?.crt.toString()).toBe(readFileSync(fixture('client.pem'), 'utf8'));
    expect(temporalSettings({ TEMPORAL_TLS: 'true' }).tls).toEqual({});
  });

  it('stops with one line naming the variable on an incomplete or unreadable setup', () => {
    const attempts: Array<[TemporalEnv, RegExp]> = [
      [{ TEMPORAL_TLS_CERT: fixture('client.pem') }, /TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together/],
      [{ TEMPORAL_TLS_KEY: fixture('client.key') }, /must be set together/],
      [{ TEMPORAL_TLS_CA: '/nonexistent/ca.pem' }, /TEMPORAL_TLS_CA cannot read \/nonexistent\/ca\.pem \(ENOENT\)/],
      [{ TEMPORAL_TLS: 'maybe' }, /TEMPORAL_TLS must be true or false/],
      [{ TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA: fixture('ca.pem') }, /contradicts/],
    ];
    for (const [env, message] of attempts) {
      expect(() => temporalSettings(env)).toThrow(ConfigError);
      expect(() => temporalSettings(env)).toThrow(message);
    }
  });
});

describe('through an mTLS proxy to the dev server', () => {
  let mtls: Proxy;
  let serverTlsOnly: Proxy;

  beforeAll(async () => {
    mtls = await startTlsProxy({ requireClientCert: true });
    serverTlsOnly = await startTlsProxy({ requireClientCert: false });
  });

  afterAll(async () => {
    await mtls?.close();
    await serverTlsOnly?.close();
  });

  const mtlsEnv = (): TemporalEnv => ({
    TEMPORAL_ADDRESS: mtls.address,
    TEMPORAL_TLS_CERT: fixture('client.pem'),
    TEMPORAL_TLS_KEY: fixture('client.key'),
    TEMPORAL_TLS_CA: fixture('ca.pem'),
    TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
  });

  it('connects the client and the worker connection with the client certificate', async () => {
    const settings = temporalSettings(mtlsEnv());
    const client = await connectClient(settings);
    try {
      const info = await client.workflowService.getSystemInfo({});
      expect(info.serverVersion).toBeTruthy();
      await expect(client.workflow.count()).resolves.toBeDefined();
    } finally {
      await client.connection.close();
    }
    const worker = await connectWorkerConnection(settings);
    try {
      const info = await worker.workflowService.getSystemInfo({});
      expect(info.serverVersion).toBeTruthy();
    } finally {
      await worker.close();
    }
  });

  it('is refused without the client certificate, with one line saying where and how', async () => {
    const { TEMPORAL_TLS_CERT: _cert, TEMPORAL_TLS_KEY: _key, ...withoutCert } = mtlsEnv();
    const settings = temporalSettings(withoutCert);
    await expect(connectClient(settings, { connectTimeout: '2s' })).rejects.toThrow(TemporalConnectError);
    const workerAttempt = connectWorkerConnection(settings);
    await expect(workerAttempt).rejects.toThrow(TemporalConnectError);
    await expect(workerAttempt).rejects.toThrow(new RegExp(`cannot connect to Temporal at ${mtls.address} \\(TLS\\)`));
  });

  it('checks the server certificate: the wrong name is refused, TEMPORAL_TLS_SERVER_NAME fixes it', async () => {
    const base: TemporalEnv = {
      TEMPORAL_ADDRESS: serverTlsOnly.address,
      TEMPORAL_TLS_CA: fixture('ca.pem'),
      TEMPORAL_API_KEY: 'cloud-style-key',
    };
    await expect(connectWorkerConnection(temporalSettings(base))).rejects.toThrow(TemporalConnectError);
    const worker = await connectWorkerConnection(temporalSettings({ ...base, TEMPORAL_TLS_SERVER_NAME: SERVER_NAME }));
    try {
      expect((await worker.workflowService.getSystemInfo({})).serverVersion).toBeTruthy();
    } finally {
      await worker.close();
    }
  });
});
