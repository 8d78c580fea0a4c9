import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymous, csrfTokenIn, signIn } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

describe('the rendered-page cache for anonymous visitors', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestApp();
  });
  afterAll(async () => {
    await ctx.close();
  });

  const stockOnPage = (html: string) => Number(/data-stock="(\d+)"/.exec(html)?.[1]);

  it('serves a second visitor the cached page with their own working CSRF token', async () => {
    const first = anonymous(ctx.app);
    const second = anonymous(ctx.app);
    const a = await first.get('/products/meiyaogou-honey');
    const b = await second.get('/products/meiyaogou-honey');
    expect(a.headers['x-page-cache']).toBeUndefined();
    expect(b.headers['x-page-cache']).toBe('hit');
    const tokenA = csrfTokenIn(a.body);
    const tokenB = csrfTokenIn(b.body);
    expect(tokenB).not.toBeNull();
    expect(tokenB).not.toBe(tokenA);
    // The cached page's form works for the second visitor: the item lands in their cart.
    const productId = /name="productId" value="(\d+)"/.exec(b.body)![1]!;
    const added = await second.post('/cart/items', { productId, quantity: '1', _csrf: tokenB! });
    expect(added.statusCode).toBe(303);
  });

  it('never shows a stale stock, price or product after a change', async () => {
    const visitor = anonymous(ctx.app);
    const before = stockOnPage((await visitor.get('/products/tuyao-tea')).body);
    await visitor.get('/products/tuyao-tea'); // cached now
    ctx.db.sqlite.prepare(`UPDATE products SET stock = stock - 7, price_fen = 55_500 WHERE slug = 'tuyao-tea'`).run();
    const after = await anonymous(ctx.app).get('/products/tuyao-tea');
    expect(after.headers['x-page-cache']).toBeUndefined();
    expect(stockOnPage(after.body)).toBe(before - 7);
    expect(after.body).toContain('¥555.00');
  });

  it('keeps languages apart and never serves a cached page to a signed-in user', async () => {
    await anonymous(ctx.app).get('/products?lang=en');
    const en = await anonymous(ctx.app).get('/products?lang=en');
    expect(en.headers['x-page-cache']).toBe('hit');
    expect(en.body).toContain('All products');
    const zh = await anonymous(ctx.app).get('/products');
    expect(zh.body).toContain('全部商品');
    const buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
    const page = await buyer.get('/products');
    expect(page.headers['x-page-cache']).toBeUndefined();
    expect(page.body).toContain('深圳买家');
  });
});
