// Index builds that do not block writers on a big table. drizzle's migrator runs every pending
// migration in one transaction, where CREATE INDEX CONCURRENTLY is not allowed, and a plain
// CREATE INDEX blocks writes to the table for the whole build. So migrations write their index
// builds as `CREATE INDEX IF NOT EXISTS`, and before migrating PostgreSQL we build the ones of
// pending migrations whose table already exists CONCURRENTLY, outside any transaction: the
// migration's own statement then finds the index and does nothing. On a fresh database (no
// table yet) the migration builds them itself, which costs nothing on an empty table.
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type pg from 'pg';

const CREATE_INDEX = /^CREATE\s+(?:UNIQUE\s+)?INDEX\s+IF\s+NOT\s+EXISTS\s+"([^"]+)"\s+ON\s+"([^"]+)"/i;

/** Returns the names of the indexes built. Call it under the migration lock. */
export async function buildPendingIndexesConcurrently(
  client: pg.ClientBase,
  migrationsFolder: string,
): Promise<string[]> {
  const applied = await lastAppliedMigration(client);
  const pending = readMigrationFiles({ migrationsFolder }).filter((migration) => migration.folderMillis > applied);
  const built: string[] = [];
  for (const statement of pending.flatMap((migration) => migration.sql).map(withoutComments)) {
    const match = CREATE_INDEX.exec(statement);
    if (!match || !(await tableExists(client, match[2]!))) continue;
    const name = match[1]!;
    // A build interrupted earlier leaves an invalid index that IF NOT EXISTS would keep.
    await dropInvalidIndex(client, name);
    try {
      await client.query(statement.replace(/^CREATE\s+(UNIQUE\s+)?INDEX/i, (head) => `${head} CONCURRENTLY`));
      built.push(name);
    } catch {
      // E.g. a column the same migration adds: the migration builds this index in its transaction.
      await dropInvalidIndex(client, name);
    }
  }
  return built;
}

function withoutComments(statement: string): string {
  return statement
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .trim();
}

async function lastAppliedMigration(client: pg.ClientBase): Promise<number> {
  const exists = await client.query(`select to_regclass('drizzle.__drizzle_migrations') is not null as exists`);
  if (!exists.rows[0]?.exists) return Number.NEGATIVE_INFINITY;
  const { rows } = await client.query('select max(created_at) as created_at from drizzle.__drizzle_migrations');
  return rows[0]?.created_at == null ? Number.NEGATIVE_INFINITY : Number(rows[0].created_at);
}

async function tableExists(client: pg.ClientBase, table: string): Promise<boolean> {
  const { rows } = await client.query('select to_regclass($1) is not null as exists', [`"${table}"`]);
  return Boolean(rows[0]?.exists);
}

async function dropInvalidIndex(client: pg.ClientBase, name: string): Promise<void> {
  const { rows } = await client.query(
    `select 1 from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = $1 and not i.indisvalid`,
    [name],
  );
  if (rows.length > 0) await client.query(`drop index concurrently if exists "${name.replace(/"/g, '""')}"`);
}
