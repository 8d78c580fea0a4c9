import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchFilter } from '../../src/catalog/catalog-service.js';
import { countProducts, listProducts, type ProductCard } from '../../src/catalog/listing-queries.js';
import { migrateDatabase, openDatabase, type Database_ } from '../../src/db/client.js';
import { seedDemoData } from '../../src/demo/seed.js';
import { freshTestDatabase } from '../helpers/test-app.js';

/**
 * Chinese search on PostgreSQL (pg_trgm on products_search) against SQLite's FTS5 trigram search,
 * on the demo catalogue seeded into both: the same products found for every term, 1–2 character
 * terms included, ranked the same way (a category or title naming the term before a story that
 * mentions it).
 */
describe('search on PostgreSQL, beside SQLite', () => {
  let fresh: Awaited<ReturnType<typeof freshTestDatabase>>;
  let sqlite: Database_;
  beforeAll(async () => {
    fresh = await freshTestDatabase(true);
    sqlite = openDatabase(':memory:');
    migrateDatabase(sqlite);
    await seedDemoData(sqlite, {});
  }, 120_000);
  afterAll(async () => {
    sqlite.close();
    await fresh.dispose();
  });

  const search = async (db: Database_, q: string): Promise<{ slugs: string[]; total: number; cards: ProductCard[] }> => {
    const filter = { terms: searchFilter(q), sort: 'relevance' as const, limit: 100, offset: 0 };
    const cards = await db.uow.read((tx) => listProducts(tx, filter));
    const total = await db.uow.read((tx) => countProducts(tx, filter));
    return { slugs: cards.map((c) => c.slug), total, cards };
  };

  const QUERIES = [
    '茶',
    '蜂蜜',
    '土瑶茶',
    '腐竹',
    '鸡蛋',
    '油',
    '古楼',
    '虎头鞋',
    '王',
    '茶 油',
    '手工',
    '香菇',
    '煤窑沟',
    'tea',
    'Honey',
    '深圳',
    '50%',
    'a_b',
  ];

  it.each(QUERIES)('finds the same products for %s as SQLite', async (q) => {
    const [lite, pg] = [await search(sqlite, q), await search(fresh.db, q)];
    expect(pg.total).toBe(lite.total);
    expect([...pg.slugs].sort()).toEqual([...lite.slugs].sort());
  });

  it.each(['茶', '蜂蜜', '土瑶茶', '腐竹', '鸡蛋', '油', '古楼', '王', '茶 油', '手工', '香菇'])('ranks the results for %s as SQLite does', async (q) => {
    expect((await search(fresh.db, q)).slugs).toEqual((await search(sqlite, q)).slugs);
  });

  it('finds 1- and 2-character terms in titles and names, not only in stories', async () => {
    const tea = await search(fresh.db, '茶');
    expect(tea.total).toBeGreaterThan(0);
    for (const card of tea.cards) expect(`${card.titleZh}${card.villageZh}${card.producerZh}${card.category}`).toMatch(/茶|tea/);
    expect(
      (await search(fresh.db, '古楼')).cards.every((c) => c.villageZh.includes('古楼') || c.producerZh.includes('古楼') || c.titleZh.includes('古楼')),
    ).toBe(true);
  });

  it('puts a product whose title or category names the term before one whose story only mentions it', async () => {
    const { cards } = await search(fresh.db, '煤窑沟');
    const honey = await search(fresh.db, '蜂蜜');
    expect(honey.cards[0]?.category).toBe('honey');
    expect(cards.length).toBeGreaterThan(1);
    const named = (c: ProductCard) => c.titleZh.includes('蜂蜜') || c.category === 'honey';
    const firstUnnamed = honey.cards.findIndex((c) => !named(c));
    if (firstUnnamed >= 0) expect(honey.cards.slice(firstUnnamed).some(named)).toBe(false);
  });

  it('ignores the case of Latin letters, as SQLite does', async () => {
    const lower = await search(fresh.db, 'tea');
    expect(lower.total).toBeGreaterThan(0);
    expect((await search(fresh.db, 'TEA')).slugs).toEqual(lower.slugs);
    expect((await search(fresh.db, 'Tea')).slugs).toEqual(lower.slugs);
  });

  it('takes % and _ in a term literally', async () => {
    expect((await search(fresh.db, '%')).total).toBe(0);
    expect((await search(fresh.db, '_')).total).toBe(0);
  });
});
