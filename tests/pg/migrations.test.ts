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
    // Every table of the schema, and the two the custom migrations add (drizzle-pg/0001, 0002).
    expect(rows.map((r) => r.name).sort()).toEqual([...Object.keys(pgTables), 'cache_versions', 'products_search'].sort());
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

  it('keep the ledger append-only, the cache versions and the search index as SQLite’s triggers do', async () => {
    await expect(pool.query(`TRUNCATE ledger_entries`)).rejects.toThrow(/ledger_entries are append-only/);
    await expect(pool.query(`TRUNCATE payouts CASCADE`)).rejects.toThrow(/append-only|never deleted/);
    const version = async (scope: string) => Number((await pool.query(`SELECT version FROM cache_versions WHERE scope = $1`, [scope])).rows[0]?.version ?? 0);
    const catalogue = await version('catalogue');
    const region = await pool.query(`INSERT INTO regions (province, city, county, township) VALUES ('广西', '桂林', '恭城', '莲花') RETURNING id`);
    const village = await pool.query(`INSERT INTO villages (region_id, slug, name_zh) VALUES ($1, 'hongyan', '红岩村') RETURNING id`, [region.rows[0].id]);
    const producer = await pool.query(`INSERT INTO producers (village_id, kind, name_zh) VALUES ($1, 'household', '王阿姨') RETURNING id`, [
      village.rows[0].id,
    ]);
    const project = await pool.query(`INSERT INTO projects (slug, name_zh) VALUES ('chicks', '小鸡快跑') RETURNING id`);
    const product = await pool.query(
      `INSERT INTO products (slug, producer_id, project_id, category, unit, title_zh, story_zh, price_fen, stock) VALUES ('tea', $1, $2, 'tea', 'box', '土瑶高山茶', '瑶山云雾里的老茶树', 5600, 20) RETURNING id`,
      [producer.rows[0].id, project.rows[0].id],
    );
    const id = Number(product.rows[0].id);
    expect(await version('catalogue')).toBeGreaterThan(catalogue);
    expect(await version(`product:${id}`)).toBe(1);
    // A stock change that the page shows the same ("in stock") bumps only `stock`.
    const stock = await version('stock');
    await pool.query(`UPDATE products SET stock = 19 WHERE id = $1`, [id]);
    expect(await version(`product:${id}`)).toBe(1);
    expect(await version('stock')).toBe(stock + 1);
    // The search rows follow the product, its producer and its village; Chinese substrings match.
    await pool.query(`UPDATE villages SET name_zh = '红岩新村' WHERE id = $1`, [village.rows[0].id]);
    const found = await pool.query(`SELECT id, village FROM products_search WHERE title LIKE '%' || $1 || '%' OR story LIKE '%' || $1 || '%'`, ['云雾']);
    expect(found.rows.map((r) => [Number(r.id), String(r.village).trim()])).toEqual([[id, '红岩新村']]);
  });
});
