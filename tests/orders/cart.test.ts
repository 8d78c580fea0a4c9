import type { LightMyRequestResponse as Response } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatFen } from '../../src/money.js';
import { createCartService } from '../../src/orders/cart-service.js';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/** A buyer fills a cart: quantities checked against what the village can sell, prices and shipping as the village set them. */

const BUYER = 'buyer@xiangyi.test';

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

const get = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).get(...params) as T;
const run = (sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).run(...params);
const productId = (slug: string) => get<{ id: number }>(`SELECT id FROM products WHERE slug = ?`, slug).id;
const stockOf = (slug: string) => get<{ stock: number }>(`SELECT stock FROM products WHERE slug = ?`, slug).stock;
const villageName = (slug: string) => get<{ name: string }>(`SELECT name_zh AS name FROM villages WHERE slug = ?`, slug).name;
const userId = (email: string) => get<{ id: number }>(`SELECT id FROM users WHERE email = ?`, email).id;
const cartRows = () => get<{ n: number }>(`SELECT count(*) AS n FROM cart_items`).n;

/** The cart as the buyer sees it: product id → quantity in the quantity field. */
async function cartOf(browser: TestBrowser): Promise<Map<number, number>> {
  const page = await browser.get('/cart');
  expect(page.statusCode).toBe(200);
  const lines = new Map<number, number>();
  for (const m of page.body.matchAll(/<input id="q-(\d+)" name="quantity"[^>]* value="(\d+)">/g)) lines.set(Number(m[1]), Number(m[2]));
  return lines;
}
const errorIn = (html: string) => /data-error>([^<]*)</.exec(html)?.[1] ?? null;
const totalIn = (html: string) => /data-total>([^<]*)</.exec(html)?.[1] ?? null;
const subtotalIn = (html: string) => /data-subtotal>([^<]*)</.exec(html)?.[1] ?? null;
/** The shipping fee the cart shows for one village's parcel. */
const shippingIn = (html: string, village: string) => new RegExp(`<dt>${village} 发货运费</dt><dd>([^<]*)</dd>`).exec(html)?.[1] ?? null;

const add = (browser: TestBrowser, slug: string, quantity: number | string) =>
  browser.post('/cart/items', { productId: String(productId(slug)), quantity: String(quantity) });

/** The same prices in fen, straight from the cart service on the test's database. */
const pricedCartOf = (email: string) => createCartService(ctx.db, { clock: () => ctx.clock.now }).view({ userId: userId(email) });

describe('adding to the cart', () => {
  it('lets a visitor who is not signed in add a product and see it in the cart', async () => {
    const visitor = anonymous(ctx.app);
    const res = await add(visitor, 'meiyaogou-honey', 2);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/cart');
    expect(visitor.cookies.sid).toBeDefined();

    const page = await visitor.get('/cart');
    expect(page.body).toContain('已加入购物车：煤窑沟土蜂蜜 × 2');
    expect(page.body).toContain('煤窑沟土蜂蜜');
    expect(await cartOf(visitor)).toEqual(new Map([[productId('meiyaogou-honey'), 2]]));
  });

  it('adds to what is already in the cart for the same product', async () => {
    const visitor = anonymous(ctx.app);
    await add(visitor, 'meiyaogou-honey', 2);
    await add(visitor, 'meiyaogou-honey', 3);
    expect(await cartOf(visitor)).toEqual(new Map([[productId('meiyaogou-honey'), 5]]));
  });

  it('keeps the visitor’s cart through sign-in and merges it into the buyer’s saved cart, capped by the stock left', async () => {
    // The buyer saved 3 jars of honey and a pair of shoes on another device.
    const elsewhere = await signIn(ctx.app, BUYER);
    expect((await add(elsewhere, 'meiyaogou-honey', 3)).statusCode).toBe(303);
    expect((await add(elsewhere, 'tiger-head-shoes', 1)).statusCode).toBe(303);

    // Now, signed out on this device, they add 2 more jars of honey and some yuba.
    const visitor = anonymous(ctx.app);
    expect((await add(visitor, 'meiyaogou-honey', 2)).statusCode).toBe(303);
    expect((await add(visitor, 'meiyaogou-yuba', 4)).statusCode).toBe(303);
    // Meanwhile other buyers took most of the honey: only 4 jars are left.
    run(`UPDATE products SET stock = 4 WHERE slug = 'meiyaogou-honey'`);

    const login = await visitor.post('/login', { email: BUYER, password: 'xiangyi-demo' }, { csrfFrom: '/login' });
    expect(login.statusCode).toBe(303);

    const merged = await cartOf(visitor);
    expect(merged).toEqual(
      new Map([
        [productId('meiyaogou-honey'), 4],
        [productId('tiger-head-shoes'), 1],
        [productId('meiyaogou-yuba'), 4],
      ]),
    );
    // One cart per buyer: the other device sees the same merged cart, and the visitor's cart is gone.
    expect(await cartOf(elsewhere)).toEqual(merged);
    expect(get<{ n: number }>(`SELECT count(*) AS n FROM carts`).n).toBe(1);
  });

  it('adds quantities at sign-in when the stock allows it', async () => {
    const elsewhere = await signIn(ctx.app, BUYER);
    await add(elsewhere, 'meiyaogou-honey', 3);
    const visitor = anonymous(ctx.app);
    await add(visitor, 'meiyaogou-honey', 2);
    expect((await visitor.post('/login', { email: BUYER, password: 'xiangyi-demo' }, { csrfFrom: '/login' })).statusCode).toBe(303);
    expect(await cartOf(visitor)).toEqual(new Map([[productId('meiyaogou-honey'), 5]]));
  });
});

describe('quantities the village can sell', () => {
  it('refuses more than the stock left, says how many are left in Chinese, and changes nothing', async () => {
    const visitor = anonymous(ctx.app);
    await add(visitor, 'locust-flower-honey', 1);
    const before = await cartOf(visitor);
    const res = await add(visitor, 'locust-flower-honey', 3); // 1 + 3 > 3 left
    expect(res.statusCode).toBe(409);
    expect(await cartOf(visitor)).toEqual(before);
    expect(stockOf('locust-flower-honey')).toBe(3);
    // The unit is said in Chinese (罐), not as its code (jar).
    expect(errorIn(res.body)).toBe('“槐花蜜”只剩 3 罐。');
  });

  it('refuses less than the minimum order with a message in Chinese and adds nothing', async () => {
    const visitor = anonymous(ctx.app);
    const res = await add(visitor, 'meiyaogou-yuba', 1);
    expect(res.statusCode).toBe(422);
    expect(cartRows()).toBe(0);
    expect(errorIn(res.body)).toBe('“手工腐竹”至少要买 2 斤。');
  });

  it('keeps the session a new visitor was given with a refusal, so their next add goes into it', async () => {
    const visitor = anonymous(ctx.app);
    const refused = await add(visitor, 'meiyaogou-yuba', 1);
    expect(refused.statusCode).toBe(422);
    const sid = visitor.cookies.sid;
    expect(sid).toBeDefined();
    const sessions = get<{ n: number }>(`SELECT count(*) AS n FROM sessions`).n;
    const added = await add(visitor, 'meiyaogou-yuba', 2);
    expect(added.statusCode).toBe(303);
    expect(visitor.cookies.sid).toBe(sid);
    expect(get<{ n: number }>(`SELECT count(*) AS n FROM sessions`).n).toBe(sessions);
    expect(await cartOf(visitor)).toEqual(new Map([[productId('meiyaogou-yuba'), 2]]));
  });

  it("stores a new visitor's session and their first item in one commit", async () => {
    const visitor = anonymous(ctx.app);
    const before = ctx.db.commitGrouped.stats.batches;
    const added = await add(visitor, 'meiyaogou-yuba', 2);
    expect(added.statusCode).toBe(303);
    expect(ctx.db.commitGrouped.stats.batches - before).toBe(1);
    expect(visitor.cookies.sid).toBeDefined();
    expect(await cartOf(visitor)).toEqual(new Map([[productId('meiyaogou-yuba'), 2]]));
  });

  it('refuses more than the retail limit and points to a quote, without changing the cart', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await add(buyer, 'meiyaogou-honey', 20);
    const res = await add(buyer, 'meiyaogou-honey', 1);
    expect(res.statusCode).toBe(422);
    expect(await cartOf(buyer)).toEqual(new Map([[productId('meiyaogou-honey'), 20]]));
    expect(errorIn(res.body)).toBe('“煤窑沟土蜂蜜”零售最多 20 罐，更大数量请询价。');
  });

  it('checks a changed quantity the same way and keeps the old one when it is refused', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await add(buyer, 'meiyaogou-honey', 2);
    const id = productId('meiyaogou-honey');
    const tooMany = await buyer.post(`/cart/items/${id}`, { quantity: '21' });
    expect(tooMany.statusCode).toBe(422);
    expect(errorIn(tooMany.body)).toContain('零售最多 20');
    expect(await cartOf(buyer)).toEqual(new Map([[id, 2]]));

    const changed = await buyer.post(`/cart/items/${id}`, { quantity: '7' });
    expect(changed.statusCode).toBe(303);
    expect(await cartOf(buyer)).toEqual(new Map([[id, 7]]));

    const removed = await buyer.post(`/cart/items/${id}`, { quantity: '0' });
    expect(removed.statusCode).toBe(303);
    expect(await cartOf(buyer)).toEqual(new Map());
  });

  it('refuses a sold-out product with the sold-out message', async () => {
    const visitor = anonymous(ctx.app);
    const res = await add(visitor, 'tiger-head-pillow', 1);
    expect(res.statusCode).toBe(409);
    expect(errorIn(res.body)).toContain('“虎头枕”刚刚卖完了');
    expect(cartRows()).toBe(0);
  });
});

describe('prices and totals', () => {
  it('prices 10 kg of 土瑶茶 at the ¥520 bulk tier and 9 kg at the retail ¥560', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await add(buyer, 'tuyao-tea', 9);
    let page = await buyer.get('/cart');
    expect(page.body).toContain('¥560.00');
    expect(page.body).not.toContain('已按批量价计算');
    expect(totalIn(page.body)).toBe('¥5,040.00');
    let priced = await pricedCartOf(BUYER);
    expect(priced.lines[0]!.unitPriceFen).toBe(56_000);
    expect(priced.totalFen).toBe(504_000);

    await add(buyer, 'tuyao-tea', 1);
    page = await buyer.get('/cart');
    expect(page.body).toContain('¥520.00');
    expect(page.body).toContain('已按批量价计算');
    expect(subtotalIn(page.body)).toBe('¥5,200.00');
    // 明梅村 ships free above ¥199.
    expect(shippingIn(page.body, villageName('mingmei'))).toBe('包邮');
    expect(totalIn(page.body)).toBe('¥5,200.00');
    priced = await pricedCartOf(BUYER);
    expect(priced.lines[0]!).toMatchObject({ quantity: 10, unitPriceFen: 52_000, lineTotalFen: 520_000 });
    expect(priced).toMatchObject({ subtotalFen: 520_000, shippingFen: 0, totalFen: 520_000 });
  });

  it('keeps every total in whole fen, with ¥39.80 items adding up exactly', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await add(buyer, 'gulou-passion-fruit', 3); // 3 × ¥39.80 = ¥119.40, free from ¥99 in 古楼村
    await add(buyer, 'fuchuan-navel-oranges', 1); // ¥59.80 from 茶山村, below its ¥159 threshold
    const priced = await pricedCartOf(BUYER);
    for (const n of [priced.subtotalFen, priced.shippingFen, priced.totalFen, ...priced.lines.map((l) => l.lineTotalFen)])
      expect(Number.isSafeInteger(n)).toBe(true);
    const oranges = get<{ fee: number }>(
      `SELECT shipping_fee_fen AS fee FROM villages v JOIN producers pr ON pr.village_id = v.id JOIN products p ON p.producer_id = pr.id WHERE p.slug = 'fuchuan-navel-oranges'`,
    ).fee;
    expect(priced).toMatchObject({ subtotalFen: 11_940 + 5_980, shippingFen: oranges, totalFen: 11_940 + 5_980 + oranges });
    const page = await buyer.get('/cart');
    expect(totalIn(page.body)).toBe(formatFen(11_940 + 5_980 + oranges));
  });
});

describe('shipping per village', () => {
  it('charges 煤窑沟村’s flat ¥10 below its threshold and ships free at ¥99 and above', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    const village = villageName('meiyaogou');
    await add(buyer, 'meiyaogou-honey', 1);
    let page = await buyer.get('/cart');
    expect(shippingIn(page.body, village)).toBe('¥10.00');
    expect(totalIn(page.body)).toBe('¥78.00');

    await add(buyer, 'meiyaogou-honey', 1); // ¥136 ≥ ¥99
    page = await buyer.get('/cart');
    expect(shippingIn(page.body, village)).toBe('包邮');
    expect(totalIn(page.body)).toBe('¥136.00');
  });

  it('ships free exactly at the threshold and charges one fen below it', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await add(buyer, 'meiyaogou-honey', 2); // ¥136.00
    run(`UPDATE villages SET free_shipping_over_fen = 13600 WHERE slug = 'meiyaogou'`);
    expect((await pricedCartOf(BUYER)).shippingFen).toBe(0);
    run(`UPDATE villages SET free_shipping_over_fen = 13601 WHERE slug = 'meiyaogou'`);
    expect(await pricedCartOf(BUYER)).toMatchObject({ shippingFen: 1000, totalFen: 14_600 });
  });

  it('charges each village its own fee when the cart holds products from two villages', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await add(buyer, 'meiyaogou-honey', 1); // 煤窑沟村: ¥68 + ¥10
    await add(buyer, 'tiger-head-shoes', 1); // 孟庄: ¥168 + ¥8 (free from ¥199)
    const page = await buyer.get('/cart');
    expect(shippingIn(page.body, villageName('meiyaogou'))).toBe('¥10.00');
    expect(shippingIn(page.body, villageName('mengzhuang'))).toBe('¥8.00');
    expect(totalIn(page.body)).toBe('¥254.00');
    expect(await pricedCartOf(BUYER)).toMatchObject({ subtotalFen: 23_600, shippingFen: 1_800, totalFen: 25_400 });
  });
});

describe('bad input', () => {
  const expectRefused = (res: Response) => {
    expect(res.statusCode, res.body.slice(0, 200)).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
  };

  it('refuses quantities like -1, 1.5, abc and 99999999 with a 4xx and adds nothing', async () => {
    const visitor = anonymous(ctx.app);
    for (const quantity of ['-1', '1.5', 'abc', '99999999', '999999', '0', '', ' ', '1e3', '0x10']) {
      const res = await add(visitor, 'meiyaogou-honey', quantity);
      expectRefused(res);
      expect(res.statusCode, `quantity ${JSON.stringify(quantity)}`).toBe(422);
    }
    expect(cartRows()).toBe(0);
  });

  it('refuses a draft product, an unknown product and a malformed id with a 4xx, never a 500', async () => {
    const visitor = anonymous(ctx.app);
    const draft = await visitor.post('/cart/items', { productId: String(productId('grain-gift-box')), quantity: '1' });
    expect(draft.statusCode).toBe(404);
    const unknown = await visitor.post('/cart/items', { productId: '999999', quantity: '1' });
    expect(unknown.statusCode).toBe(404);
    for (const bad of ['abc', '-3', '1.5', '0', '', '99999999999999999999'])
      expectRefused(await visitor.post('/cart/items', { productId: bad, quantity: '1' }));
    expect(cartRows()).toBe(0);
  });

  it('refuses bad quantities and bad product ids when changing a line, keeping the line as it was', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await add(buyer, 'meiyaogou-honey', 2);
    const id = productId('meiyaogou-honey');
    for (const quantity of ['-1', '1.5', 'abc', '99999999', '999999']) expectRefused(await buyer.post(`/cart/items/${id}`, { quantity }));
    expectRefused(await buyer.post('/cart/items/abc', { quantity: '1' }));
    expectRefused(await buyer.post(`/cart/items/${productId('grain-gift-box')}`, { quantity: '1' }));
    expectRefused(await buyer.post('/cart/items/999999', { quantity: '1' }));
    expect(await cartOf(buyer)).toEqual(new Map([[id, 2]]));
  });
});
