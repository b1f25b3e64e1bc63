// Test databases: a fresh, migrated PostgreSQL database per call, or an in-memory PGlite.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describeTarget, openDatabase, type DatabaseHandle } from '../../db/connection.js';

export type TestDatabaseKind = 'postgres' | 'pglite';

export interface TestDatabase {
  handle: DatabaseHandle;
  /** Connection URL of the fresh PostgreSQL database (postgres kind only). */
  url?: string;
  /** Closes the handle and, for PostgreSQL, drops the database. Idempotent. */
  drop(): Promise<void>;
}

export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export function testAdminUrl(): string {
  return process.env.TEST_DATABASE_ADMIN_URL ?? DEFAULT_ADMIN_URL;
}

/** Throws (never skips) when PostgreSQL is unreachable: a missing database must fail the run. */
export async function createTestDatabase(
  kind: TestDatabaseKind,
  options: { adminUrl?: string } = {},
): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const handle = await openDatabase({});
    return { handle, drop: () => handle.close() };
  }
  return createPostgresTestDatabase(options.adminUrl ?? testAdminUrl());
}

async function createPostgresTestDatabase(adminUrl: string): Promise<TestDatabase> {
  const empty = await createEmptyPostgresDatabase(adminUrl);
  let handle: DatabaseHandle;
  try {
    handle = await openDatabase({ databaseUrl: empty.url });
  } catch (error) {
    await empty.drop();
    throw error;
  }
  let dropping: Promise<void> | undefined;
  const drop = () => (dropping ??= handle.close().finally(() => empty.drop()));
  return { handle, url: empty.url, drop };
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  // FORCE: a test that leaked a connection must not keep its database alive.
  await withAdminClient(adminUrl, (admin) => admin.query(`drop database if exists "${name}" with (force)`));
}

async function withAdminClient<T>(adminUrl: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    const code = (error as { code?: string }).code;
    const reason = code ?? (error instanceof Error ? error.message : String(error));
    throw new Error(
      `Cannot reach the test PostgreSQL at ${describeTarget(adminUrl)}: ${reason} — ` +
        'start it (pg_ctlcluster --skip-systemctl-redirect <version> main start) or set TEST_DATABASE_ADMIN_URL',
      { cause: error },
    );
  }
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

function databaseUrlFor(adminUrl: string, databaseName: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${databaseName}`;
  return url.toString();
}

/** An unmigrated PostgreSQL database, for tests of openDatabase's own migration step. */
export async function createEmptyPostgresDatabase(
  adminUrl: string = testAdminUrl(),
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `healing_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(adminUrl, (admin) => admin.query(`create database "${name}"`));
  return { url: databaseUrlFor(adminUrl, name), drop: () => dropDatabase(adminUrl, name) };
}
