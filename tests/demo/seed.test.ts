import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase, type Database_ } from '../../src/db/client.js';
import { seedDemoData } from '../../src/demo/seed.js';
import { DEMO_PASSWORD, demoLoginLines } from '../../src/demo/demo-accounts.js';
import { verifyPassword } from '../../src/accounts/password.js';
import { namePublicSql } from '../helpers/consent.js';

let db: Database_;
let dbPath: string;

beforeEach(() => {
  dbPath = join(tmpdir(), `xiangyi-seed-${randomUUID()}.db`);
  db = openDatabase(dbPath);
  migrateDatabase(db);
});

afterEach(() => {
  db.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
});

const TABLES = [
  'regions',
  'villages',
  'projects',
  'project_split_rules',
  'project_households',
  'households',
  'producers',
  'producer_members',
  'products',
  'price_tiers',
  'product_photos',
  'media',
];

function count(table: string): number {
  return db.sqlite.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
}

function counts(): Record<string, number> {
  return Object.fromEntries(TABLES.map((t) => [t, count(t)]));
}

describe('seedDemoData', () => {
  it('fills a fresh database with villages, projects, households and products, each with a photo', async () => {
    expect(await seedDemoData(db, {})).toMatchObject({ seeded: true });

    expect(count('villages')).toBeGreaterThanOrEqual(5);
    expect(count('projects')).toBeGreaterThanOrEqual(5);
    expect(count('households')).toBeGreaterThanOrEqual(12);
    expect(count('products')).toBeGreaterThanOrEqual(24);
    const withoutPhoto = db.sqlite
      .prepare('SELECT count(*) FROM products p WHERE NOT EXISTS (SELECT 1 FROM product_photos pp WHERE pp.product_id = p.id)')
      .pluck()
      .get();
    expect(withoutPhoto).toBe(0);
  });

  it('sells 土瑶茶 at ¥560 per kilogram with cheaper bulk tiers', async () => {
    await seedDemoData(db, {});
    const tea = db.sqlite.prepare("SELECT id, price_fen AS priceFen, unit, max_retail_qty AS maxRetailQty FROM products WHERE title_zh = '土瑶茶'").get() as {
      id: number;
      priceFen: number;
      unit: string;
      maxRetailQty: number;
    };
    expect(tea).toMatchObject({ priceFen: 56000, unit: 'kg', maxRetailQty: 50 });
    const tiers = db.sqlite.prepare('SELECT min_qty AS minQty, price_fen AS priceFen FROM price_tiers WHERE product_id = ? ORDER BY min_qty').all(tea.id) as {
      minQty: number;
      priceFen: number;
    }[];
    expect(tiers.length).toBeGreaterThanOrEqual(1);
    for (const tier of tiers) expect(tier.priceFen).toBeLessThan(56000);
  });

  it('makes 土瑶茶 findable by the Chinese full-text search', async () => {
    await seedDemoData(db, {});
    const hits = db.sqlite.prepare(`SELECT p.title_zh FROM products_fts f JOIN products p ON p.id = f.rowid WHERE products_fts MATCH '"土瑶茶"'`).pluck().all();
    expect(hits).toContain('土瑶茶');
  });

  it('changes nothing when run a second time', async () => {
    await seedDemoData(db, {});
    const before = counts();
    expect(await seedDemoData(db, {})).toEqual({ seeded: false });
    expect(counts()).toEqual(before);
  });

  it('gives every project a split rule that sums to 10000 basis points', async () => {
    await seedDemoData(db, {});
    const rules = db.sqlite
      .prepare(
        `SELECT p.slug, r.household_bp + r.project_fund_bp + r.operations_bp AS total
         FROM projects p LEFT JOIN project_split_rules r ON r.project_id = p.id`,
      )
      .all() as { slug: string; total: number | null }[];
    expect(rules.length).toBe(count('projects'));
    for (const rule of rules) expect(rule).toEqual({ slug: rule.slug, total: 10000 });
  });

  it('keeps some households private: no display name and no public consent', async () => {
    await seedDemoData(db, {});
    const privateCount = db.sqlite
      .prepare(`SELECT count(*) FROM households WHERE ${namePublicSql('households')} = 0 AND display_name IS NULL`)
      .pluck()
      .get() as number;
    expect(privateCount).toBeGreaterThanOrEqual(3);
  });
  it('gives every village with published products a first secretary who can sign in with the demo password', async () => {
    await seedDemoData(db, {});
    const unshipped = db.sqlite
      .prepare(
        `SELECT DISTINCT v.slug FROM villages v JOIN producers pr ON pr.village_id = v.id JOIN products p ON p.producer_id = pr.id
         WHERE p.published = 1 AND NOT EXISTS (
           SELECT 1 FROM user_villages uv JOIN users u ON u.id = uv.user_id WHERE uv.village_id = v.id AND u.role = 'first_secretary')`,
      )
      .pluck()
      .all();
    expect(unshipped).toEqual([]);
    const secretaries = db.sqlite
      .prepare(
        `SELECT u.email, u.password_hash AS hash FROM users u JOIN user_villages uv ON uv.user_id = u.id JOIN villages v ON v.id = uv.village_id WHERE v.slug = 'mengzhuang'`,
      )
      .all() as { email: string; hash: string }[];
    expect(secretaries.map((s) => s.email)).toEqual(['secretary.mengzhuang@xiangyi.test']);
    expect(await verifyPassword(DEMO_PASSWORD, secretaries[0]!.hash)).toBe(true);
  });

  it('lists every demo login at start-up, including the secretaries of 孟庄村, 石板滩村 and 岔山村', () => {
    const lines = demoLoginLines().join('\n');
    for (const email of ['secretary.mengzhuang@xiangyi.test', 'secretary.shibantan@xiangyi.test', 'secretary.chashan@xiangyi.test'])
      expect(lines).toContain(email);
  });
});
