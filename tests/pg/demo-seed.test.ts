import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/accounts/password.js';
import type { Database_ } from '../../src/db/client.js';
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from '../../src/demo/demo-accounts.js';
import { seedDemoData } from '../../src/demo/seed.js';
import { rowOf, rowsOf } from '../helpers/db-query.js';
import { freshTestDatabase } from '../helpers/test-app.js';

/**
 * The demo seed on PostgreSQL: the run's template database was seeded through it
 * (tests/pg/global-setup.ts), and these tests read a copy of that template.
 */
describe('the demo seed on PostgreSQL', () => {
  let fresh: Awaited<ReturnType<typeof freshTestDatabase>>;
  let db: Database_;
  beforeAll(async () => {
    fresh = await freshTestDatabase(true);
    db = fresh.db;
  });
  afterAll(async () => {
    await fresh.dispose();
  });

  const count = async (table: string) => (await rowOf<{ n: number }>(db, sql`SELECT count(*) AS n FROM ${sql.identifier(table)}`))?.n;

  it('fills the database with villages, projects, households, products with photos, accounts, wishes, lots and outlets', async () => {
    expect(await count('villages')).toBeGreaterThanOrEqual(5);
    expect(await count('products')).toBeGreaterThanOrEqual(24);
    expect(await count('users')).toBe(DEMO_ACCOUNTS.length);
    for (const table of ['wishes', 'lots', 'lot_households', 'outlets', 'outlet_stock', 'organization_quotas', 'organization_members', 'user_outlets'])
      expect(await count(table), table).toBeGreaterThan(0);
    const withoutPhoto = await rowOf<{ n: number }>(
      db,
      sql`SELECT count(*) AS n FROM products p WHERE NOT EXISTS (SELECT 1 FROM product_photos pp WHERE pp.product_id = p.id)`,
    );
    expect(withoutPhoto?.n).toBe(0);
  });

  it('sells 土瑶茶 at ¥560 per kilogram, indexed for search', async () => {
    const tea = await rowOf<{ price_fen: number; unit: string; published: boolean; title: string }>(
      db,
      sql`SELECT p.price_fen, p.unit, p.published, s.title FROM products p JOIN products_search s ON s.id = p.id WHERE p.title_zh = '土瑶茶'`,
    );
    expect(tea).toMatchObject({ price_fen: 56000, unit: 'kg', published: true });
    expect(tea?.title).toContain('土瑶茶');
  });

  it('changes nothing when run a second time', async () => {
    const before = await count('products');
    expect(await seedDemoData(db, {})).toEqual({ seeded: false });
    expect(await count('products')).toBe(before);
  });

  it('lets the village secretaries sign in with the demo password', async () => {
    const rows = await rowsOf<{ email: string; hash: string; villages: number }>(
      db,
      sql`SELECT u.email, u.password_hash AS hash, count(uv.village_id) AS villages FROM users u JOIN user_villages uv ON uv.user_id = u.id
          WHERE u.role = 'first_secretary' GROUP BY u.email, u.password_hash ORDER BY u.email`,
    );
    expect(rows.map((r) => r.email)).toContain('secretary.gulou@xiangyi.test');
    expect(rows.find((r) => r.email === 'secretary.gulou@xiangyi.test')?.villages).toBe(2);
    expect(await verifyPassword(DEMO_PASSWORD, rows[0]!.hash)).toBe(true);
  });
});
