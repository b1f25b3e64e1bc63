// How every process here reaches Temporal: a local dev server, a self-hosted cluster with mTLS,
// or Temporal Cloud with mTLS or an API key. One reading of the environment gives the client
// `ConnectionOptions` and the worker `NativeConnectionOptions`, so both always agree.
import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions, type TLSConfig } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
// Type-only: clients (the CLI) should not load the worker's native bridge just to connect.
import type { NativeConnection, NativeConnectionOptions } from '@temporalio/worker';
import { ConfigError } from './config.js';

/**
 * The variables read. `loadConfig()`'s result and `process.env` both fit, so the worker (which
 * validates all its configuration) and application processes (which only need these) share it.
 */
export interface TemporalEnv {
  TEMPORAL_ADDRESS?: string;
  TEMPORAL_NAMESPACE?: string;
  /** Client certificate for mTLS: a file path, or the PEM text itself. Needs TEMPORAL_TLS_KEY. */
  TEMPORAL_TLS_CERT?: string;
  /** Client private key for mTLS: a file path, or the PEM text itself. Needs TEMPORAL_TLS_CERT. */
  TEMPORAL_TLS_KEY?: string;
  /** CA that signed the server's certificate, when the system roots do not cover it. */
  TEMPORAL_TLS_CA?: string;
  /** Overrides the name checked against the server certificate (SNI). */
  TEMPORAL_TLS_SERVER_NAME?: string;
  /** 'true' turns TLS on without a client certificate; 'false' forces it off. Default: on when any TLS or API-key setting is given. */
  TEMPORAL_TLS?: string | boolean;
  /** Temporal Cloud API key: sent as `Authorization: Bearer …`, and turns TLS on. */
  TEMPORAL_API_KEY?: string;
}

export interface TemporalSettings {
  address: string;
  namespace: string;
  /** Present when the connection is encrypted. */
  tls?: TLSConfig;
  apiKey?: string;
}

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';

function text(value: string | undefined): string | undefined {
  return value && value.trim() ? value.trim() : undefined;
}

/** PEM given inline, or read from the file it names; errors name the variable, never the content. */
function pem(name: keyof TemporalEnv, value: string | undefined): Buffer | undefined {
  const given = text(value);
  if (!given) return undefined;
  if (given.startsWith('-----BEGIN')) return Buffer.from(given.replace(/\\n/g, '\n'));
  try {
    return readFileSync(given);
  } catch (error) {
    throw new ConfigError(
      `Invalid configuration: ${name} cannot read ${given} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

function tlsFlag(value: string | boolean | undefined): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const given = text(value)?.toLowerCase();
  if (given === undefined) return undefined;
  if (['1', 'true', 'yes', 'on'].includes(given)) return true;
  if (['0', 'false', 'no', 'off'].includes(given)) return false;
  throw new ConfigError(`Invalid configuration: TEMPORAL_TLS must be true or false`);
}

/** Resolves the connection settings (reads certificate files). Throws ConfigError on an incomplete setup. */
export function temporalSettings(
  env: TemporalEnv = process.env,
  overrides: { address?: string; namespace?: string } = {},
): TemporalSettings {
  const address = overrides.address ?? text(env.TEMPORAL_ADDRESS) ?? DEFAULT_TEMPORAL_ADDRESS;
  const namespace = overrides.namespace ?? text(env.TEMPORAL_NAMESPACE) ?? DEFAULT_TEMPORAL_NAMESPACE;
  const apiKey = text(env.TEMPORAL_API_KEY);
  const crt = pem('TEMPORAL_TLS_CERT', env.TEMPORAL_TLS_CERT);
  const key = pem('TEMPORAL_TLS_KEY', env.TEMPORAL_TLS_KEY);
  if (Boolean(crt) !== Boolean(key)) {
    throw new ConfigError(
      'Invalid configuration: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together (mTLS client certificate and its key)',
    );
  }
  const ca = pem('TEMPORAL_TLS_CA', env.TEMPORAL_TLS_CA);
  const serverName = text(env.TEMPORAL_TLS_SERVER_NAME);
  const flag = tlsFlag(env.TEMPORAL_TLS);
  const wantsTls = Boolean(crt || ca || serverName || apiKey);
  if (flag === false && (crt || ca || serverName)) {
    throw new ConfigError('Invalid configuration: TEMPORAL_TLS=false contradicts the TEMPORAL_TLS_* settings');
  }
  // An API key over plain text only makes sense against a local proxy: allowed when asked for explicitly.
  const useTls = flag ?? wantsTls;
  const settings: TemporalSettings = { address, namespace };
  if (useTls) {
    settings.tls = {
      ...(serverName ? { serverNameOverride: serverName } : {}),
      ...(ca ? { serverRootCACertificate: ca } : {}),
      ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    };
  }
  if (apiKey) settings.apiKey = apiKey;
  return settings;
}

/** For `Connection.connect` (clients: the application, the CLI, the worker's schedule client). */
export function clientConnectionOptions(settings: TemporalSettings): ConnectionOptions {
  return {
    address: settings.address,
    ...(settings.tls ? { tls: settings.tls } : {}),
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
  };
}

/** For `NativeConnection.connect` (workers). */
export function workerConnectionOptions(settings: TemporalSettings): NativeConnectionOptions {
  return {
    address: settings.address,
    ...(settings.tls ? { tls: settings.tls } : {}),
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
  };
}

/** A short, secret-free description for logs: address, namespace and how it authenticates. */
export function describeTemporal(settings: TemporalSettings): { address: string; namespace: string; security: string } {
  const security = settings.apiKey
    ? settings.tls
      ? 'TLS + API key'
      : 'API key without TLS'
    : settings.tls?.clientCertPair
      ? 'mTLS'
      : settings.tls
        ? 'TLS'
        : 'plaintext';
  return { address: settings.address, namespace: settings.namespace, security };
}

/** A connection failure worth one line: where, and why. */
export class TemporalConnectError extends Error {
  override name = 'TemporalConnectError';
}

function connectError(settings: TemporalSettings, error: unknown): TemporalConnectError {
  const { address, security } = describeTemporal(settings);
  return new TemporalConnectError(
    `cannot connect to Temporal at ${address} (${security}): ${(error as Error).message ?? String(error)}`,
    { cause: error },
  );
}

/** A client whose connection is a real `Connection` (operator service and all), which it owns. */
export type ConnectedClient = Client & { readonly connection: Connection };

export interface ConnectClientOptions {
  dataConverter?: DataConverter;
  /** How long to wait for the server to answer (default 10s). */
  connectTimeout?: ConnectionOptions['connectTimeout'];
}

export async function connectClient(
  settings: TemporalSettings,
  options: ConnectClientOptions = {},
): Promise<ConnectedClient> {
  let connection: Connection;
  try {
    connection = await Connection.connect({
      ...clientConnectionOptions(settings),
      ...(options.connectTimeout !== undefined ? { connectTimeout: options.connectTimeout } : {}),
    });
  } catch (error) {
    throw connectError(settings, error);
  }
  const client = new Client({
    connection,
    namespace: settings.namespace,
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
  });
  return client as ConnectedClient;
}

export async function connectWorkerConnection(settings: TemporalSettings): Promise<NativeConnection> {
  const { NativeConnection } = await import('@temporalio/worker');
  try {
    return await NativeConnection.connect(workerConnectionOptions(settings));
  } catch (error) {
    throw connectError(settings, error);
  }
}
