import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymous, signIn } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/** "Buy now" from the product page, and the cart's count in the header of every page. */

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

const productId = (slug: string) => (ctx.db.sqlite.prepare(`SELECT id FROM products WHERE slug = ?`).get(slug) as { id: number }).id;
/** The count the header shows beside 购物车 (0 when it shows none). */
const headerCount = (html: string) => Number(/<a href="\/cart" class="cart-link"[^>]*data-cart-count="(\d+)"/.exec(html)?.[1] ?? Number.NaN);
const cartQuantities = (html: string) =>
  [...html.matchAll(/<input id="q-(\d+)" name="quantity"[^>]* value="(\d+)">/g)].map((m) => [Number(m[1]), Number(m[2])]);

describe('buying now from the product page', () => {
  it('takes a visitor straight to the checkout with that product in the cart', async () => {
    const visitor = anonymous(ctx.app);
    const res = await visitor.post('/cart/items', { productId: String(productId('meiyaogou-honey')), quantity: '2', buyNow: '1' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/checkout');
    const checkout = await visitor.get('/checkout');
    expect(checkout.statusCode).toBe(200);
    expect(checkout.body).toContain('煤窑沟土蜂蜜 × 2');
  });

  it('sets the quantity chosen rather than adding it to what the cart already held', async () => {
    const visitor = anonymous(ctx.app);
    const honey = productId('meiyaogou-honey');
    await visitor.post('/cart/items', { productId: String(honey), quantity: '3' });
    await visitor.post('/cart/items', { productId: String(honey), quantity: '1', buyNow: '1' });
    expect(cartQuantities((await visitor.get('/cart')).body)).toEqual([[honey, 1]]);
  });

  it('refuses a quantity the product does not allow, on the cart page with the reason', async () => {
    const visitor = anonymous(ctx.app);
    const res = await visitor.post('/cart/items', { productId: String(productId('meiyaogou-honey')), quantity: '999', buyNow: '1' });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.body).toContain('data-error');
  });

  it('offers both buttons in the product page’s buy bar, and neither on a sold-out product', async () => {
    const page = await anonymous(ctx.app).get('/products/meiyaogou-honey');
    const bar = /<form class="add-to-cart buy-bar"[\s\S]*?<\/form>/.exec(page.body)?.[0] ?? '';
    expect(bar).toContain('<button type="submit">加入购物车</button>');
    expect(bar).toContain('<button type="submit" name="buyNow" value="1" class="buy-now">立即购买</button>');
    const english = await anonymous(ctx.app).get('/products/meiyaogou-honey?lang=en');
    expect(english.body).toContain('>Buy now</button>');
    ctx.db.sqlite.prepare(`UPDATE products SET stock = 0 WHERE slug = 'meiyaogou-honey'`).run();
    const soldOut = await anonymous(ctx.app).get('/products/meiyaogou-honey');
    expect(soldOut.body).not.toContain('buy-bar');
    expect(soldOut.body).not.toContain('立即购买');
  });
});

describe('the cart’s count in the header', () => {
  it('shows no count to a new visitor, then the units in the cart on every page', async () => {
    const visitor = anonymous(ctx.app);
    expect(headerCount((await visitor.get('/')).body)).toBe(0);
    await visitor.post('/cart/items', { productId: String(productId('meiyaogou-honey')), quantity: '2' });
    await visitor.post('/cart/items', { productId: String(productId('meiyaogou-yuba')), quantity: '2' });
    for (const path of ['/', '/products', '/products/meiyaogou-honey', '/cart', '/impact']) {
      const page = await visitor.get(path);
      expect(headerCount(page.body), path).toBe(4);
      expect(page.body, path).toContain('<span class="visually-hidden">4 件商品</span>');
    }
    const english = await visitor.get('/?lang=en');
    expect(english.body).toContain('<span class="visually-hidden">4 items</span>');
  });

  it('counts a signed-in buyer’s cart', async () => {
    const buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
    await buyer.post('/cart/items', { productId: String(productId('meiyaogou-honey')), quantity: '1' });
    const page = await buyer.get('/products');
    expect(headerCount(page.body)).toBe(1);
    expect(page.body).toContain('<span class="visually-hidden">1 件商品</span>');
    expect((await buyer.get('/products?lang=en')).body).toContain('<span class="visually-hidden">1 item</span>');
  });
});
