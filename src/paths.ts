import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (where package.json is), the same whether running from src/ or dist/. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith('dist')) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

export const ROOT_DIR = findRoot();
export const VIEWS_DIR = join(ROOT_DIR, 'views');
export const STATIC_DIR = join(ROOT_DIR, 'static');
export const MIGRATIONS_DIR = join(ROOT_DIR, 'drizzle');
/** PostgreSQL's migrations, generated from the same schema (src/db/pg-schema.ts). */
export const PG_MIGRATIONS_DIR = join(ROOT_DIR, 'drizzle-pg');
