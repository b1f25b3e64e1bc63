// Opens either PostgreSQL (DATABASE_URL given) or embedded PGlite, and applies migrations.
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { isPostgresUrl } from '../lib/config.js';
import { buildPendingIndexesConcurrently } from './online-indexes.js';
import * as schema from './schema.js';

/** Driver-neutral database: every query function in db/ accepts this (or a transaction). */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface OpenDatabaseOptions {
  /** PostgreSQL URL. When absent, PGlite is used. */
  databaseUrl?: string;
  /** PGlite data directory; in-memory when absent. Ignored with databaseUrl. */
  dataDir?: string;
  /** pg.Pool size (default 10). Ignored for PGlite. */
  poolMax?: number;
  /** Called when an idle pooled connection breaks (the pool drops it and reconnects on demand). */
  onPoolError?: (error: Error) => void;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  /** Round-trip time of `select 1`, in milliseconds. Throws when the database is unreachable. */
  ping(): Promise<number>;
  poolStats(): PoolStats;
  /** Idempotent. */
  close(): Promise<void>;
}

const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));
const CONNECT_TIMEOUT_MS = 5_000;
// Arbitrary constant shared by every process that migrates this schema.
const MIGRATION_LOCK_ID = 0x5e1f_4ea1;

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openPglite(options.dataDir);
}

async function openPostgres(databaseUrl: string, options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  // Checked here too: the CLI's --database-url does not go through loadConfig.
  if (!isPostgresUrl(databaseUrl)) throw new Error('DATABASE_URL must be a postgres:// or postgresql:// URL');
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // Without a listener, an idle client's network error would crash the process.
  pool.on('error', (error) => options.onPoolError?.(error));
  try {
    await migratePostgresExclusively(pool, databaseUrl);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  const db: Database = drizzleNodePg(pool, { schema });
  return makeHandle(db, 'postgres', {
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  });
}

/** Several processes (worker, API) may start at once on a fresh database: serialise their migrations. */
async function migratePostgresExclusively(pool: pg.Pool, databaseUrl: string): Promise<void> {
  const client = await pool.connect().catch((error: unknown) => {
    throw connectionError(databaseUrl, error);
  });
  let broken: Error | undefined;
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      await buildPendingIndexesConcurrently(client, MIGRATIONS_FOLDER);
      await migrateNodePg(drizzleNodePg(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
    } catch (error) {
      throw new Error(`Migrating PostgreSQL at ${describeTarget(databaseUrl)} failed: ${describeQueryError(error)}`, {
        cause: error,
      });
    } finally {
      // A failed unlock means a dead connection, whose session lock the server already dropped.
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch((error: Error) => {
        broken = error;
      });
    }
  } finally {
    client.release(broken);
  }
}

/** Drizzle wraps driver errors as "Failed query: …"; the driver's own message says why. */
function describeQueryError(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const outer = describeCause(error);
  return cause instanceof Error ? `${outer} (${describeCause(cause)})` : outer;
}

async function openPglite(dataDir: string | undefined): Promise<DatabaseHandle> {
  const client = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
  const pgliteDb = drizzlePglite(client, { schema });
  try {
    await migratePglite(pgliteDb, { migrationsFolder: MIGRATIONS_FOLDER });
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
  return makeHandle(pgliteDb, 'pglite', {
    // One embedded connection, no pool: report it as a pool of one.
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    close: () => client.close(),
  });
}

function makeHandle(
  db: Database,
  kind: DatabaseHandle['kind'],
  driver: { poolStats(): PoolStats; close(): Promise<void> },
): DatabaseHandle {
  let closing: Promise<void> | undefined;
  return {
    db,
    kind,
    async ping() {
      const started = performance.now();
      await db.execute(sql`select 1`);
      return performance.now() - started;
    },
    poolStats: () => driver.poolStats(),
    close: () => (closing ??= driver.close()),
  };
}

/** One readable message naming the target (never the password) and the likely fix. */
function connectionError(databaseUrl: string, cause: unknown): Error {
  const reason = describeCause(cause);
  const hint = isNetworkFailure(cause) ? ' — is it running? Check DATABASE_URL' : ' — check DATABASE_URL';
  // No `cause`: some (e.g. ERR_INVALID_URL) carry the full URL, password included, and loggers print causes.
  return new Error(`Cannot connect to PostgreSQL at ${describeTarget(databaseUrl)}: ${reason}${hint}`);
}

/** host:port/database only: never the user-info, query string or anything of an unexpected shape. */
export function describeTarget(databaseUrl: string): string {
  if (!isPostgresUrl(databaseUrl)) return '(DATABASE_URL that is not a postgres:// URL)';
  const url = new URL(databaseUrl);
  return `${url.hostname}:${url.port || '5432'}${url.pathname || '/'}`;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN']);

function errorCode(cause: unknown): string | undefined {
  const code = (cause as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isNetworkFailure(cause: unknown): boolean {
  const code = errorCode(cause);
  if (code !== undefined) return NETWORK_CODES.has(code);
  // pg reports its own connect timeout without a code.
  return cause instanceof Error && /timeout/i.test(cause.message);
}

function describeCause(cause: unknown): string {
  const code = errorCode(cause);
  const message = cause instanceof Error ? cause.message : String(cause);
  // Node's AggregateError (IPv4+IPv6 attempts) has an empty message but a useful code.
  if (code && NETWORK_CODES.has(code)) return code;
  return code && message && !message.includes(code) ? `${message} (${code})` : message || code || 'unknown error';
}
