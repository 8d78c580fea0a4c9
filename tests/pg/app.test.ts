import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq, sql } from 'drizzle-orm';
import { productPhotos, products } from '../../src/catalog/schema.js';
import { openPgDatabase } from '../../src/db/pg-client.js';
import { all, one, run } from '../../src/db/unit-of-work.js';
import { anonymous, signIn } from '../helpers/auth.js';
import { rowOf } from '../helpers/db-query.js';
import { jpegPhoto, postMultipart } from '../helpers/multipart.js';
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

  it('keeps the language a guest ordered in, and writes their text message in it', async () => {
    const guest = anonymous(ctx.app);
    await guest.get('/?lang=en');
    const product = await rowOf<{ id: number }>(ctx.db, sql`SELECT id FROM products WHERE slug = 'meiyaogou-honey'`);
    expect((await guest.post('/cart/items', { productId: String(product!.id), quantity: '1' })).statusCode).toBe(303);
    const placed = await guest.post('/checkout', {
      name: 'Lin',
      phone: '13800138000',
      province: '广东省',
      city: '深圳市',
      district: '南山区',
      address: '科技园南路 88 号',
      paymentMethod: 'offline',
    });
    expect(placed.statusCode, placed.body.slice(0, 300)).toBe(303);
    const number = /^\/orders\/(XY-\d{8}-\d{4})/.exec(String(placed.headers.location))![1]!;
    const order = await rowOf<{ id: number; locale: string }>(ctx.db, sql`SELECT id, locale FROM orders WHERE number = ${number}`);
    expect(order!.locale).toBe('en');
    const text = await rowOf<{ text_body: string }>(ctx.db, sql`SELECT text_body FROM outbox_messages WHERE dedupe_key = ${`sms:order_placed:${order!.id}`}`);
    expect(text!.text_body).toMatch(new RegExp(`^Order ${number} placed, ¥`));
  });

  it('shows the first page with a notice for a bad page number, and the last for one past the last', async () => {
    for (const page of ['abc', '-1', '99999']) {
      const res = await anonymous(ctx.app).get(`/products?page=${page}`);
      expect(res.statusCode, page).toBe(200);
      expect(res.body, page).toContain('data-page-notice');
    }
  });

  it('keeps a product’s photos in the order the secretary gives, the main one on its cards', async () => {
    const secretary = await signIn(ctx.app, 'secretary.gulou@xiangyi.test');
    const id = (await ctx.db.uow.read((tx) => one(tx.select({ id: products.id }).from(products).where(eq(products.slug, 'gulou-shiitake')))))!.id;
    const photos = () =>
      ctx.db.uow.read((tx) =>
        all(
          tx
            .select({ id: productPhotos.id, list: productPhotos.listMediaId })
            .from(productPhotos)
            .where(eq(productPhotos.productId, id))
            .orderBy(asc(productPhotos.position), asc(productPhotos.id)),
        ),
      );
    const photo = await jpegPhoto('photo', '#224466');
    expect((await postMultipart(ctx.app, secretary, `/secretary/products/${id}/photos`, {}, photo, `/secretary/products/${id}`)).statusCode).toBe(303);
    const [first, second] = await photos();
    expect(second).toBeDefined();
    expect((await secretary.post(`/secretary/products/${id}/photos/${second!.id}/move`, { move: 'main' })).statusCode).toBe(303);
    expect((await photos()).map((p) => p.id)).toEqual([second!.id, first!.id]);
    expect((await secretary.post(`/secretary/products/${id}/photos/${second!.id}/alt`, { altZh: '香菇特写', altEn: 'Shiitake close-up' })).statusCode).toBe(
      303,
    );
    const listing = await anonymous(ctx.app).get('/products?village=gulou');
    const card = /<a href="\/products\/gulou-shiitake" class="card-link">\s*<img src="\/media\/(\d+)"/.exec(listing.body);
    expect(Number(card?.[1])).toBe(second!.list);
    expect((await anonymous(ctx.app).get('/products/gulou-shiitake?lang=en')).body).toContain('alt="Shiitake close-up"');
  });

  it('names regions and funding sources in English on English pages', async () => {
    const visitor = anonymous(ctx.app);
    expect((await visitor.get('/villages/gulou?lang=en')).body).toContain('Guangxi · Hezhou · Zhongshan County · Huilong Town');
    expect((await visitor.get('/projects/fupin-xianfuzhi')).body).toContain('China Welfare Lottery charity fund');
  });

  it('serves the coordinator’s console, reconciliation included', async () => {
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    for (const url of ['/coordinator', '/coordinator/reconciliation', '/coordinator/households', '/coordinator/payout-requests', '/admin/audit']) {
      expect((await coordinator.get(url)).statusCode, url).toBe(200);
    }
  });
});
