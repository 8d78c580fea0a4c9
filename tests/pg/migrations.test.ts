import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateDrizzleJson, generateMigration } from 'drizzle-kit/api';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgTables } from '../../src/db/pg-schema.js';
import { ROOT_DIR } from '../../src/paths.js';
import { scratchDatabase } from './helpers.js';

const PG_MIGRATIONS = join(ROOT_DIR, 'drizzle-pg');

/**
 * PostgreSQL's schema is derived from the SQLite one (src/db/pg-schema.ts) and its migrations are
 * generated into drizzle-pg/. These tests hold the committed migrations to the schema and apply
 * them to a real server.
 */
describe('PostgreSQL migrations', () => {
  let database: Awaited<ReturnType<typeof scratchDatabase>>;
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await scratchDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it('are generated from the current schema: nothing is left to generate', async () => {
    const journal = JSON.parse(readFileSync(join(PG_MIGRATIONS, 'meta', '_journal.json'), 'utf8')) as { entries: { idx: number }[] };
    const last = journal.entries.at(-1)!.idx;
    const snapshot = JSON.parse(readFileSync(join(PG_MIGRATIONS, 'meta', `${String(last).padStart(4, '0')}_snapshot.json`), 'utf8'));
    const current = generateDrizzleJson(pgTables as Record<string, unknown>, snapshot.id);
    expect(await generateMigration(snapshot, current)).toEqual([]);
  });

  it('apply to an empty database with every table, key and check of the SQLite schema', async () => {
    await migrate(drizzle({ client: pool }), { migrationsFolder: PG_MIGRATIONS });
    const { rows } = await pool.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'`);
    expect(rows.map((r) => r.name).sort()).toEqual(Object.keys(pgTables).sort());
    // A check translated from SQLite's GLOB: a slug must be lower-case letters and digits.
    const ck = await pool.query<{ def: string }>(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'products_slug_ck'`);
    expect(ck.rows[0]?.def).toContain("~ '^[a-z0-9].*$'");
    // The epoch-milliseconds default and the identity keys work as in SQLite.
    const before = Date.now();
    const audit = await pool.query<{ id: string; created_at: string }>(
      `INSERT INTO audit_log (action, entity_type, entity_id) VALUES ('test.run', 'test', '1') RETURNING id, created_at`,
    );
    expect(Number(audit.rows[0]!.id)).toBe(1);
    expect(Number(audit.rows[0]!.created_at)).toBeGreaterThanOrEqual(before - 1000);
    await expect(pool.query(`INSERT INTO users (email, display_name, role, password_hash) VALUES ('Not-Lower@x.test', 'x', 'buyer', 'x')`)).rejects.toThrow(
      /users_email_ck/,
    );
  });
});
