// What `npm start` starts first, before the worker's heavy modules load: the database and, when one
// is needed, a local Temporal dev server, which boots while the rest loads (the caller awaits it).
// PostgreSQL is reached before the dev server starts, so a wrong DATABASE_URL starts nothing; the
// embedded database is a folder already checked writable, so the dev server boots while it opens.
import path from 'node:path';
import type { DatabaseHandle } from '../db/connection.js';
import type { Config } from '../lib/config.js';
import { startDevServer, type DevServer } from '../lib/dev-server.js';
import { logger } from '../lib/logger.js';
import { devServerPidFile, StartupError, type CheckedStart } from './startup-checks.js';

/** Registers what was started for the stop (in reverse order), then checks whether a stop was asked for. */
export type Started = <T extends { close(): Promise<void> } | { stop(): Promise<void> }>(thing: T) => T;

export interface Foundation {
  database: DatabaseHandle;
  /** The local dev server, still booting; absent when TEMPORAL_ADDRESS names a running server. */
  devServer?: Promise<DevServer>;
}

async function openConfiguredDatabase(config: Config): Promise<DatabaseHandle> {
  // Loaded here, after the dev server was started: the drivers (PGlite's WASM) take seconds to load.
  const { openDatabase } = await import('../db/connection.js');
  try {
    return await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.DATABASE_URL ? undefined : path.join(config.DATA_DIR, 'pglite'),
      poolMax: config.DATABASE_POOL_MAX,
    });
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
}

function startLocalTemporal(config: Config, { plan }: CheckedStart): Promise<DevServer> {
  if (plan.kind !== 'dev-server') throw new Error('no local Temporal server is planned');
  logger.info({ port: plan.port, uiPort: config.TEMPORAL_UI_PORT }, 'starting a local Temporal dev server');
  return startDevServer({
    host: plan.host,
    port: plan.port,
    uiPort: config.TEMPORAL_UI_PORT,
    dbFilename: path.join(config.DATA_DIR, 'temporal.sqlite'),
    namespace: config.TEMPORAL_NAMESPACE,
    pidFile: devServerPidFile(config),
  }).catch((error: Error) => {
    throw new StartupError(error.message);
  });
}

/** Starts the dev server without waiting for it; registered at once, so a stop while it boots still stops it. */
function bootLocalTemporal(checked: CheckedStart, started: Started): Promise<DevServer> {
  const devServer = startLocalTemporal(checked.config, checked);
  devServer.catch(() => undefined); // awaited later; a failure is reported there
  started({ stop: async () => (await devServer.catch(() => undefined))?.stop() });
  return devServer;
}

export async function startFoundation(checked: CheckedStart, started: Started): Promise<Foundation> {
  const needsDevServer = checked.plan.kind === 'dev-server';
  let devServer = needsDevServer && !checked.config.DATABASE_URL ? bootLocalTemporal(checked, started) : undefined;
  const database = started(await openConfiguredDatabase(checked.config));
  logger.info({ database: database.kind }, 'database migrated');
  if (needsDevServer) devServer ??= bootLocalTemporal(checked, started);
  return { database, devServer };
}
