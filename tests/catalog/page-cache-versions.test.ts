import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { saleDay } from '../../src/projects/project-period.js';
import { anonymous, csrfTokenIn } from '../helpers/auth.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';
import { namePublicSql, withdrawConsentWhere } from '../helpers/consent.js';

const HONEY = '/products/meiyaogou-honey';
const TEA = '/products/tuyao-tea';
const isHit = (res: { headers: Record<string, unknown> }) => res.headers['x-page-cache'] === 'hit';

describe('what makes a cached page stale: the data it shows, whoever writes it', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestApp();
  });
  afterAll(async () => {
    await ctx.close();
  });

  /** Renders each page, then checks that the next anonymous visit is a hit. */
  async function warm(...urls: string[]) {
    for (const url of urls) {
      await anonymous(ctx.app).get(url);
      expect(isHit(await anonymous(ctx.app).get(url)), `${url} cached`).toBe(true);
    }
  }

  it('re-renders the pages a write from a second connection changes, and keeps another product’s page', async () => {
    await warm(HONEY, TEA, '/products');
    const other = new Database(ctx.dbPath);
    try {
      other.prepare(`UPDATE products SET price_fen = 12_340 WHERE slug = 'meiyaogou-honey'`).run();
    } finally {
      other.close();
    }
    const honey = await anonymous(ctx.app).get(HONEY);
    expect(isHit(honey)).toBe(false);
    expect(honey.body).toContain('¥123.40');
    const listing = await anonymous(ctx.app).get('/products');
    expect(isHit(listing)).toBe(false);
    expect(isHit(await anonymous(ctx.app).get(TEA))).toBe(true);
  });

  it('keeps every page cached through carts, sessions, sign-ins and failed sign-ins', async () => {
    await warm(HONEY, TEA, '/products', '/');
    const shopper = anonymous(ctx.app);
    const page = await shopper.get(HONEY);
    const productId = /name="productId" value="(\d+)"/.exec(page.body)![1]!;
    expect((await shopper.post('/cart/items', { productId, quantity: '1', _csrf: csrfTokenIn(page.body)! })).statusCode).toBe(303);
    const guesser = anonymous(ctx.app);
    expect((await guesser.post('/login', { email: 'buyer@xiangyi.test', password: 'wrong-password' }, { csrfFrom: '/login' })).statusCode).not.toBe(303);
    const buyer = anonymous(ctx.app);
    expect((await buyer.post('/login', { email: 'buyer@xiangyi.test', password: 'xiangyi-demo' }, { csrfFrom: '/login' })).statusCode).toBe(303);
    await buyer.get('/account');
    for (const url of [HONEY, TEA, '/products', '/']) expect(isHit(await anonymous(ctx.app).get(url)), url).toBe(true);
  });

  it('re-renders the pages with the ledger’s figures after a paid order, and keeps the listing and product pages', async () => {
    ctx.db.sqlite.prepare(`UPDATE products SET stock = 500, low_stock_threshold = 5 WHERE slug = 'xiaoji-eggs-dozen'`).run();
    await warm('/', '/products', '/products/xiaoji-eggs-dozen', TEA);
    await placePaidOrder(ctx, [{ slug: 'xiaoji-eggs-dozen', quantity: 2 }]);
    expect(isHit(await anonymous(ctx.app).get('/'))).toBe(false);
    for (const url of ['/products', '/products/xiaoji-eggs-dozen', TEA]) expect(isHit(await anonymous(ctx.app).get(url)), url).toBe(true);
  });

  it('re-renders a product page when its stock as shown changes, and not for a change it does not show', async () => {
    ctx.db.sqlite.prepare(`UPDATE products SET stock = 100, low_stock_threshold = 5 WHERE slug = 'tuyao-tea'`).run();
    await warm(TEA);
    expect((await anonymous(ctx.app).get(TEA)).body).toContain('data-in-stock');
    ctx.db.sqlite.prepare(`UPDATE products SET stock = 60 WHERE slug = 'tuyao-tea'`).run(); // still plenty: "in stock"
    expect(isHit(await anonymous(ctx.app).get(TEA))).toBe(true);
    ctx.db.sqlite.prepare(`UPDATE products SET stock = 4 WHERE slug = 'tuyao-tea'`).run(); // low: the count is shown
    const low = await anonymous(ctx.app).get(TEA);
    expect(isHit(low)).toBe(false);
    expect(low.body).toContain('data-stock="4"');
    ctx.db.sqlite.prepare(`UPDATE products SET stock = 0 WHERE slug = 'tuyao-tea'`).run();
    expect((await anonymous(ctx.app).get(TEA)).body).toContain('data-stock="0"');
    // The JSON API gives the exact stock: any change re-renders it.
    await warm('/api/v1/products/tuyao-tea');
    ctx.db.sqlite.prepare(`UPDATE products SET stock = 70 WHERE slug = 'tuyao-tea'`).run();
    await warm('/api/v1/products/tuyao-tea');
    ctx.db.sqlite.prepare(`UPDATE products SET stock = 71 WHERE slug = 'tuyao-tea'`).run();
    const api = await anonymous(ctx.app).get('/api/v1/products/tuyao-tea');
    expect(isHit(api)).toBe(false);
    expect(JSON.parse(api.body).stock).toBe(71);
  });

  it('removes a household’s name from cached pages once its consent is withdrawn', async () => {
    const row = ctx.db.sqlite
      .prepare(
        `SELECT h.id, p.slug FROM households h
         JOIN producer_members m ON m.household_id = h.id JOIN products p ON p.producer_id = m.producer_id
         WHERE ${namePublicSql('h')} = 1 AND h.display_name IS NOT NULL AND trim(coalesce(h.public_story_zh, '')) <> '' AND p.published = 1
         LIMIT 1`,
      )
      .get() as { id: number; slug: string };
    const url = `/products/${row.slug}`;
    const name = '试用户名甲'; // a name found nowhere else on the page
    ctx.db.sqlite.prepare(`UPDATE households SET display_name = ? WHERE id = ?`).run(name, row.id);
    await warm(url);
    expect((await anonymous(ctx.app).get(url)).body).toContain(name);
    withdrawConsentWhere(ctx.db, 'id = ?', row.id);
    const after = await anonymous(ctx.app).get(url);
    expect(isHit(after)).toBe(false);
    expect(after.body).not.toContain(name);
  });

  it('keeps one entry for a page whatever parameters the route ignores, and the same values written differently', async () => {
    await warm('/products?category=tea');
    const before = ctx.app.pageCacheStats().entries;
    for (const url of [
      '/products?category=tea&utm_source=a',
      '/products?utm=1&category=tea',
      '/products?category=tea&page=1',
      '/products?category=tea&lang=zh&fbclid=x',
    ]) {
      expect(isHit(await anonymous(ctx.app).get(url)), url).toBe(true);
    }
    for (let n = 0; n < 50; n++) await anonymous(ctx.app).get(`/products?utm=${n}`);
    expect(ctx.app.pageCacheStats().entries).toBeLessThanOrEqual(before + 1);
    // Searches are kept by their term as validated (trimmed).
    await anonymous(ctx.app).get('/products?q=%E8%8C%B6');
    expect(isHit(await anonymous(ctx.app).get('/products?q=%20%E8%8C%B6%20&ref=x'))).toBe(true);
  });

  it('renders a page once for many visitors asking for it at the same moment', async () => {
    const url = `/products?q=${encodeURIComponent('土鸡')}`;
    const answers = await Promise.all(Array.from({ length: 10 }, () => anonymous(ctx.app).get(url)));
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    expect(answers.filter((a) => !isHit(a)).length).toBe(1);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
  });

  it('keeps no invalid page: a missing product or an over-long search is answered but never cached', async () => {
    const before = ctx.app.pageCacheStats().entries;
    for (const url of [`/products?q=${'x'.repeat(101)}`, '/products/no-such-product']) {
      const res = await anonymous(ctx.app).get(url);
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(isHit(await anonymous(ctx.app).get(url)), url).toBe(false);
    }
    expect(ctx.app.pageCacheStats().entries).toBe(before);
  });

  it('keeps the bad page numbers of links as one first page and one last page, not one page each', async () => {
    await anonymous(ctx.app).get('/products?page=abc');
    const before = ctx.app.pageCacheStats().entries;
    for (const url of ['/products?page=0', '/products?page=-1', '/products?page=x1', '/products?page=1.5', '/products?page=abc&page=2']) {
      const res = await anonymous(ctx.app).get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toContain('data-page-notice');
      expect(isHit(res), url).toBe(true);
    }
    await anonymous(ctx.app).get('/products?page=99999');
    const last = await anonymous(ctx.app).get('/products?page=123456789');
    expect(isHit(last)).toBe(true);
    expect(last.body).toContain('data-page-notice');
    expect(ctx.app.pageCacheStats().entries).toBe(before + 1);
    // A good page number is not the bad one's page: page 1 says nothing about the link.
    const first = await anonymous(ctx.app).get('/products?page=1');
    expect(first.body).not.toContain('data-page-notice');
  });
});

describe('the page cache under a flood of different pages', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestApp({ env: { PAGE_CACHE_MAX_ENTRIES: '20', PAGE_CACHE_MAX_MB: '1', PAGE_CACHE_COMPRESSION_QUEUE: '2' } });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('holds at most its entries, bytes and queued compressions, and keeps the page visited all along', async () => {
    await anonymous(ctx.app).get('/');
    let most = { entries: 0, bytes: 0, queued: 0, compressing: 0 };
    for (let n = 0; n < 120; n++) {
      // Unique searches arrive together: compressions are refused rather than queued beyond two.
      await Promise.all([0, 1, 2].map((k) => anonymous(ctx.app).get(`/products?q=${encodeURIComponent(`蜂蜜${n}-${k}`)}`)));
      expect(isHit(await anonymous(ctx.app).get('/')), `/ after ${n}`).toBe(true);
      const s = ctx.app.pageCacheStats();
      most = {
        entries: Math.max(most.entries, s.entries),
        bytes: Math.max(most.bytes, s.bytes),
        queued: Math.max(most.queued, s.queued),
        compressing: Math.max(most.compressing, s.compressing),
      };
    }
    expect(most.entries).toBeLessThanOrEqual(20);
    expect(most.bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(most.queued).toBeLessThanOrEqual(2);
    expect(most.compressing).toBeLessThanOrEqual(1);
  });
});

describe('the work compression takes', () => {
  const idle = (ctx: TestContext) =>
    vi.waitFor(() => {
      const s = ctx.app.pageCacheStats();
      expect(s.queued + s.compressing).toBe(0);
    });

  it('compresses a page rendered again with the same bytes no more: its compressed forms are kept', async () => {
    const ctx = await createTestApp();
    try {
      await anonymous(ctx.app).get('/');
      await idle(ctx);
      expect(ctx.app.pageCacheStats().compressions.quick).toBe(1);
      ctx.clock.advance(61_000); // its minute is up: rendered again, unchanged
      expect(isHit(await anonymous(ctx.app).get('/'))).toBe(false);
      await idle(ctx);
      expect(ctx.app.pageCacheStats().compressions.quick).toBe(1);
      const hit = await anonymous(ctx.app).get('/', { 'accept-encoding': 'br' });
      expect(isHit(hit)).toBe(true);
      expect(hit.headers['content-encoding']).toBe('br');
    } finally {
      await ctx.close();
    }
  });

  it('compresses a popular page at best quality once, and not at all when the operator gives it no time', async () => {
    for (const [budget, best] of [
      ['50', 1],
      ['0', 0],
    ] as const) {
      const ctx = await createTestApp({ env: { PAGE_CACHE_BEST_MS_PER_S: budget } });
      try {
        await anonymous(ctx.app).get('/products');
        for (let n = 0; n < 40; n++) expect(isHit(await anonymous(ctx.app).get('/products'))).toBe(true);
        await idle(ctx);
        expect(ctx.app.pageCacheStats().compressions, `budget ${budget}`).toEqual({ quick: 1, best });
      } finally {
        await ctx.close();
      }
    }
  });
});

describe('pages that change with the clock', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestApp();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('renders a product page again after midnight in China: its project ended yesterday', async () => {
    // 23:30 China time (15:30 UTC) on the clock's day.
    const day = new Date(ctx.clock.now);
    ctx.clock.now = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 15, 30);
    const today = saleDay(ctx.clock.now);
    ctx.db.sqlite
      .prepare(`UPDATE projects SET starts_on = NULL, ends_on = ? WHERE id = (SELECT project_id FROM products WHERE slug = 'meiyaogou-honey')`)
      .run(today);
    await anonymous(ctx.app).get(HONEY);
    const before = await anonymous(ctx.app).get(HONEY);
    expect(isHit(before)).toBe(true);
    expect(before.body).not.toContain('data-not-on-sale');
    ctx.clock.advance(31 * 60_000); // 00:01 the next day
    const after = await anonymous(ctx.app).get(HONEY);
    expect(isHit(after)).toBe(false);
    expect(after.body).toContain('data-not-on-sale');
  });

  it('renders a page again at most a minute later (the popularity order follows no trigger)', async () => {
    await anonymous(ctx.app).get('/');
    expect(isHit(await anonymous(ctx.app).get('/'))).toBe(true);
    ctx.clock.advance(61_000);
    expect(isHit(await anonymous(ctx.app).get('/'))).toBe(false);
  });
});

describe('CDN headers when the operator asks for them', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestApp({ env: { CDN_MAX_AGE: '300', CDN_STALE_WHILE_REVALIDATE: '600' } });
  });
  afterAll(async () => {
    await ctx.close();
  });
  afterEach(() => {
    ctx.clock.now = Date.now();
  });

  const cacheControl = (res: { headers: Record<string, unknown> }) => String(res.headers['cache-control']);

  it('lets a shared cache keep an anonymous page for everyone, without varying on cookies when the URL names the language, and a signed-in page never', async () => {
    // Ten past the hour, China afternoon: far from the clock's boundaries.
    ctx.clock.now = Date.UTC(2026, 11, 5, 6, 10);
    for (const url of ['/products?lang=zh', `${HONEY}?lang=en`]) {
      for (const res of [await anonymous(ctx.app).get(url), await anonymous(ctx.app).get(url)]) {
        expect(cacheControl(res), url).toBe('public, max-age=0, s-maxage=300, stale-while-revalidate=600');
        expect(String(res.headers.vary).toLowerCase(), url).not.toContain('cookie');
      }
    }
    // Without ?lang= the lang cookie or the browser's Accept-Language chose the language: the CDN keeps a copy per both.
    for (const url of ['/products', HONEY]) {
      for (const res of [await anonymous(ctx.app).get(url), await anonymous(ctx.app).get(url)]) {
        expect(cacheControl(res), url).toBe('public, max-age=0, s-maxage=300, stale-while-revalidate=600');
        expect(String(res.headers.vary).toLowerCase(), url).toBe('accept-encoding, accept-language, cookie');
      }
    }
    const shopper = anonymous(ctx.app);
    const page = await shopper.get(HONEY);
    const productId = /name="productId" value="(\d+)"/.exec(page.body)![1]!;
    await shopper.post('/cart/items', { productId, quantity: '1', _csrf: csrfTokenIn(page.body)! });
    const own = await shopper.get(HONEY);
    expect(cacheControl(own)).toBe('private, no-cache');
    expect(String(own.headers.vary).toLowerCase()).toContain('cookie');
  });

  it('never lets a shared cache keep a page past the clock’s next boundary, and keeps a 404 only briefly', async () => {
    ctx.clock.now = Date.UTC(2026, 11, 5, 6, 58, 20); // 100 s before the catalogue token's next hour
    await anonymous(ctx.app).get('/products?category=honey');
    const hit = await anonymous(ctx.app).get('/products?category=honey');
    expect(cacheControl(hit)).toBe('public, max-age=0, s-maxage=100');
    ctx.clock.now = Date.UTC(2026, 11, 5, 15, 55); // 23:55 in China
    expect(cacheControl(await anonymous(ctx.app).get('/products?category=tea'))).toBe('public, max-age=0, s-maxage=300');
    ctx.clock.now = Date.UTC(2026, 11, 5, 6, 10);
    const missing = await anonymous(ctx.app).get('/products/no-such-product');
    expect(missing.statusCode).toBe(404);
    expect(cacheControl(missing)).toBe('public, max-age=0, s-maxage=10');
  });
});
