import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymous, type TestBrowser } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Shipping in words: the product page says what a parcel costs, where it ships from and when; the cart
 * says how much more ships free; the cart, the review and the order page say a free parcel the same way.
 */

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

const productId = (slug: string) => (ctx.db.sqlite.prepare(`SELECT id FROM products WHERE slug = ?`).get(slug) as { id: number }).id;
const textOf = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
/** A fact of the product page: the text of the <dd> after the <dt> named. */
const factOf = (html: string, name: string) => {
  const m = new RegExp(`<dt>${name}</dt><dd[^>]*>([\\s\\S]*?)</dd>`).exec(html);
  return m ? textOf(m[1]!) : null;
};
/** What a page's totals say a village's parcel costs ("煤窑沟村 发货运费"). */
const parcelFeeOf = (html: string, village: string) => {
  const m = new RegExp(`<dt>${village} 发货运费</dt><dd[^>]*>([\\s\\S]*?)</dd>`).exec(html);
  return m ? textOf(m[1]!) : null;
};

async function cartWith(items: [string, number][]): Promise<TestBrowser> {
  const visitor = anonymous(ctx.app);
  for (const [slug, quantity] of items) {
    const res = await visitor.post('/cart/items', { productId: String(productId(slug)), quantity: String(quantity) });
    expect(res.statusCode, slug).toBe(303);
  }
  return visitor;
}

/** Checks the cart out by bank transfer and returns the order page the confirmation link opens. */
async function placeOrder(visitor: TestBrowser) {
  const placed = await visitor.post(
    '/checkout',
    { name: '林晓', phone: '13800138000', province: '广东省', city: '深圳市', district: '福田区', address: '深南大道 1 号', paymentMethod: 'offline' },
    { csrfFrom: '/cart' },
  );
  expect(placed.statusCode).toBe(303);
  const page = await visitor.get(String(placed.headers.location));
  expect(page.statusCode).toBe(200);
  return page;
}

describe('shipping on the product page', () => {
  it('says what a parcel costs, from when it ships free, where it ships from and when', async () => {
    const page = (await anonymous(ctx.app).get('/products/meiyaogou-honey')).body;
    expect(factOf(page, '运费')).toBe('每个包裹 ¥10.00，煤窑沟村的商品满 ¥99.00 包邮');
    expect(factOf(page, '发货地')).toMatch(/^煤窑沟村（.+）$/);
    expect(factOf(page, '发货时间')).toBe('付款确认后由村里打包寄出；寄出后，订单页会显示快递公司和单号。');
    const english = (await anonymous(ctx.app).get('/products/meiyaogou-honey?lang=en')).body;
    expect(factOf(english, 'Shipping')).toBe('¥10.00 per parcel; free for orders of ¥99.00 or more from Meiyaogou Village');
    expect(factOf(english, 'Ships from')).toBe('Meiyaogou Village');
    expect(factOf(english, 'When it ships')).toContain('tracking number');
  });

  it('says 包邮 for a village that charges nothing', async () => {
    ctx.db.sqlite.prepare(`UPDATE villages SET shipping_fee_fen = 0 WHERE slug = 'meiyaogou'`).run();
    const page = (await anonymous(ctx.app).get('/products/meiyaogou-honey')).body;
    expect(factOf(page, '运费')).toBe('包邮');
  });
});

describe('the free-shipping hint in the cart', () => {
  it('says how much more from the village ships free: one ¥68 jar of honey, ¥31 more', async () => {
    const cart = (await (await cartWith([['meiyaogou-honey', 1]])).get('/cart')).body;
    expect(parcelFeeOf(cart, '煤窑沟村')).toBe('¥10.00');
    expect(cart).toContain('<dd>¥10.00</dd><dd class="free-shipping-hint" data-free-shipping-hint>再买 ¥31.00 包邮</dd>');
    const english = (await (await cartWith([['meiyaogou-honey', 1]])).get('/cart?lang=en')).body;
    expect(english).toContain('¥31.00 more from Meiyaogou Village ships free');
  });

  it('gives no hint once the parcel ships free', async () => {
    const cart = (await (await cartWith([['meiyaogou-honey', 2]])).get('/cart')).body;
    expect(parcelFeeOf(cart, '煤窑沟村')).toBe('包邮');
    expect(cart).not.toContain('data-free-shipping-hint');
  });
});

describe('the cart and the order say the same about shipping', () => {
  it('says 包邮 for a free parcel in the cart and on the order page, never ¥0.00', async () => {
    const visitor = await cartWith([['meiyaogou-honey', 2]]);
    expect(parcelFeeOf((await visitor.get('/cart')).body, '煤窑沟村')).toBe('包邮');
    const order = await placeOrder(visitor);
    expect(parcelFeeOf(order.body, '煤窑沟村')).toBe('包邮');
    expect(order.body).not.toContain('¥0.00');
  });

  it('says the same fee for a parcel that pays for shipping', async () => {
    const visitor = await cartWith([['meiyaogou-honey', 1]]);
    expect(parcelFeeOf((await visitor.get('/cart')).body, '煤窑沟村')).toBe('¥10.00');
    const order = await placeOrder(visitor);
    expect(parcelFeeOf(order.body, '煤窑沟村')).toBe('¥10.00');
  });
});
