import { defineConfig } from 'drizzle-kit';

// PostgreSQL's migrations, generated from the schema derived from the SQLite one (src/db/pg-schema.ts)
// into drizzle-pg/ and committed: `npm run db:generate`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './drizzle-pg.schema.cjs',
  out: './drizzle-pg',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://localhost/xiangyi' },
  strict: true,
  verbose: true,
});
