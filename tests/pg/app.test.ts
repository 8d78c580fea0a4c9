import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openPgDatabase } from '../../src/db/pg-client.js';
import { run } from '../../src/db/unit-of-work.js';
import { anonymous, signIn } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/** The shop itself on PostgreSQL: its public pages, and the page cache following writes from anywhere. */
describe('the shop on PostgreSQL', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestApp();
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const isHit = (res: { headers: Record<string, unknown> }) => res.headers['x-page-cache'] === 'hit';
  const stockOnPage = (html: string) => Number(/data-stock="(\d+)"/.exec(html)?.[1]);
  /** Asks until the page is a hit (the versions are read in the background). */
  async function cached(url: string) {
    for (let i = 0; i < 40; i++) {
      const res = await anonymous(ctx.app).get(url);
      if (isHit(res)) return res;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${url} never became a hit`);
  }

  it('serves the public pages', async () => {
    for (const url of ['/', '/products', '/products/meiyaogou-honey', '/products?q=%E8%9C%82%E8%9C%9C', '/impact', '/healthz']) {
      const res = await anonymous(ctx.app).get(url);
      expect(res.statusCode, url).toBe(200);
    }
    expect((await anonymous(ctx.app).get('/healthz')).body).toContain('postgresql');
  });

  it('caches a page, and renders it again after another server’s write to what it shows', async () => {
    await cached('/products/tuyao-tea');
    const other = openPgDatabase(ctx.dbPath, { maxConnections: 1 });
    try {
      await other.pool.query(`UPDATE products SET stock = 7, low_stock_threshold = 20 WHERE slug = 'tuyao-tea'`);
    } finally {
      await other.end();
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
    const after = await anonymous(ctx.app).get('/products/tuyao-tea');
    expect(isHit(after)).toBe(false);
    expect(stockOnPage(after.body)).toBe(7);
    expect(stockOnPage((await cached('/products/tuyao-tea')).body)).toBe(7);
  });

  it('never serves a page older than this server’s own write, even before the next read', async () => {
    await cached('/products/meiyaogou-honey');
    await ctx.db.uow.write(function* () {
      yield* run(sql`UPDATE products SET price_fen = 55500 WHERE slug = 'meiyaogou-honey'`);
    });
    const after = await anonymous(ctx.app).get('/products/meiyaogou-honey');
    expect(isHit(after)).toBe(false);
    expect(after.body).toContain('¥555.00');
  });

  it('serves the coordinator’s console, reconciliation included', async () => {
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    for (const url of ['/coordinator', '/coordinator/reconciliation', '/coordinator/households', '/coordinator/payout-requests', '/admin/audit']) {
      expect((await coordinator.get(url)).statusCode, url).toBe(200);
    }
  });
});
