import { defineConfig } from 'drizzle-kit';

// Migrations are generated once and applied at runtime by db/connection.ts (both PostgreSQL and PGlite).
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.ts',
  out: './db/migrations',
});
