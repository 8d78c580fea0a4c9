import { defineConfig } from 'drizzle-kit';

// drizzle-kit reads every domain's schema; migrations are generated into drizzle/ and committed.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/*/schema.ts',
  out: './drizzle',
  dbCredentials: { url: process.env.DATABASE_PATH ?? './data/xiangyi.db' },
  strict: true,
  verbose: true,
});
