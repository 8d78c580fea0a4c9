import { asc, eq, sql } from 'drizzle-orm';
import { run } from '../../src/db/unit-of-work.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { users } from '../../src/accounts/schema.js';
import { auditLog } from '../../src/audit/schema.js';
import { products } from '../../src/catalog/schema.js';
import { orderDayCounters, orderLines, orders, shipments } from '../../src/orders/schema.js';
import { producers, villages } from '../../src/villages/schema.js';
import { anonymous, registerBuyer, signIn, type FormFields, type TestBrowser } from '../helpers/auth.js';
import { countOf, rowOf, rowsOf, writeOf } from '../helpers/db-query.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/** Checkout: the review step, placing exactly one order, and what the buyer can see afterwards. */

const BUYER = 'buyer@xiangyi.test';

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

const count = (table: Parameters<typeof countOf>[1]) => countOf(ctx.db, table);
const product = async (slug: string) => (await rowOf(ctx.db, (tx) => tx.select().from(products).where(eq(products.slug, slug))))!;
const productId = async (slug: string) => (await product(slug)).id;
const stockOf = async (slug: string) => (await product(slug)).stock;
const village = async (slug: string) =>
  (await rowOf(ctx.db, (tx) => tx.select({ id: villages.id, name: villages.nameZh }).from(villages).where(eq(villages.slug, slug))))!;
/** The only order's row (or the one numbered so). */
const order = async (number?: string) =>
  (await rowOf(ctx.db, (tx) =>
    tx
      .select()
      .from(orders)
      .where(number ? eq(orders.number, number) : undefined),
  ))!;
const setProduct = (slug: string, values: Partial<typeof products.$inferInsert>) =>
  writeOf(ctx.db, (tx) => tx.update(products).set(values).where(eq(products.slug, slug)));

const contact = (overrides: FormFields = {}): FormFields => ({
  name: '林小梅',
  phone: '13800138000',
  province: '广东省',
  city: '深圳市',
  district: '南山区',
  address: '科技园南路 88 号 3 栋 1201',
  note: '工作日白天送货',
  paymentMethod: 'offline',
  ...overrides,
});

const ORDER_URL = /^\/orders\/(XY-\d{8}-\d{4,6})\?token=([A-Za-z0-9_-]+)$/;

async function add(browser: TestBrowser, slug: string, quantity: number) {
  const res = await browser.post('/cart/items', { productId: String(await productId(slug)), quantity: String(quantity) });
  expect(res.statusCode).toBe(303);
}

/** 2 jars of 煤窑沟 honey (¥136, ships free from ¥99) and a pair of tiger-head shoes (¥168 + ¥8 from 孟庄). */
async function fillCart(browser: TestBrowser) {
  await add(browser, 'meiyaogou-honey', 2);
  await add(browser, 'tiger-head-shoes', 1);
}

async function cartOf(browser: TestBrowser): Promise<Map<number, number>> {
  const page = await browser.get('/cart');
  const lines = new Map<number, number>();
  for (const m of page.body.matchAll(/<input id="q-(\d+)" name="quantity"[^>]* value="(\d+)">/g)) lines.set(Number(m[1]), Number(m[2]));
  return lines;
}

/** Places the order from the cart; returns its number and the confirmation link. */
async function place(browser: TestBrowser, fields: FormFields = contact()) {
  const res = await browser.post('/checkout', fields);
  expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
  const location = String(res.headers.location);
  const match = ORDER_URL.exec(location);
  expect(match, location).not.toBeNull();
  return { number: match![1]!, token: decodeURIComponent(match![2]!), url: location };
}

const fieldError = (html: string, name: string) => new RegExp(`<p class="field-error" id="e-${name}">([^<]*)</p>`).exec(html)?.[1] ?? null;
const fieldValue = (html: string, name: string) => new RegExp(`<input id="f-${name}" name="${name}"[^>]* value="([^"]*)"`).exec(html)?.[1] ?? null;

describe('the review step', () => {
  it('shows the lines, each village’s shipping and the total without placing anything', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await fillCart(buyer);
    const form = await buyer.get('/checkout');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<label for="f-phone">手机号</label>');

    const review = await buyer.post('/checkout', contact({ step: 'review' }));
    expect(review.statusCode).toBe(200);
    expect(review.body).toContain('<h1>确认订单</h1>');
    expect(review.body).toMatch(/煤窑沟土蜂蜜<\/th><td>¥68\.00<\/td><td>2 罐<\/td><td>¥136\.00/);
    expect(review.body).toMatch(/手工虎头鞋<\/th><td>¥168\.00<\/td><td>1 双<\/td><td>¥168\.00/);
    expect(review.body).toContain(`<dt>${(await village('meiyaogou')).name} 发货运费</dt><dd>包邮</dd>`);
    expect(review.body).toContain(`<dt>${(await village('mengzhuang')).name} 发货运费</dt><dd>¥8.00</dd>`);
    expect(review.body).toContain('<dd data-total>¥312.00</dd>');
    expect(review.body).toContain('林小梅 · 13800138000');
    // The place button carries what was typed, and asks to place.
    expect(review.body).toContain('<input type="hidden" name="address" value="科技园南路 88 号 3 栋 1201">');
    expect(review.body).toContain('<input type="hidden" name="step" value="place">');

    expect(await count(orders)).toBe(0);
    expect(await stockOf('meiyaogou-honey')).toBe(45);
    expect(await stockOf('tiger-head-shoes')).toBe(6);
    expect((await cartOf(buyer)).size).toBe(2);
  });
});

/** The fields of the review page's "place order" form, as the browser would send them. */
function placeForm(reviewHtml: string): FormFields {
  const form = /<form method="post" action="\/checkout">([\s\S]*?)<\/form>/.exec(reviewHtml)![1]!;
  return Object.fromEntries(
    [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&')]),
  );
}
const errorOn = (html: string) => /<p class="flash flash-error" role="alert" id="checkout-error">([^<]*)<\/p>/.exec(html)?.[1] ?? null;

describe('a price change between the review and placing the order', () => {
  it('places nothing at the new price, shows the new figures, and places the order at them once the buyer confirms', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await add(buyer, 'tiger-head-shoes', 1);
    const review = await buyer.post('/checkout', contact({ step: 'review' }));
    expect(review.body).toContain('<dd data-total>¥176.00</dd>');
    const reviewed = placeForm(review.body);

    // The first secretary raises the price while the buyer looks at the review.
    await setProduct('tiger-head-shoes', { priceFen: 26800 });
    const refused = await buyer.post('/checkout', reviewed);
    expect(refused.statusCode).toBe(409);
    expect(errorOn(refused.body)).toBe('你核对订单之后价格或运费有变动：核对时应付 ¥176.00，现在应付 ¥268.00。请看清下面的新金额，确认后再提交订单。');
    expect(refused.body).toContain('<h1>确认订单</h1>');
    expect(refused.body).toContain('<dd data-total>¥268.00</dd>');
    expect(await count(orders)).toBe(0);
    expect(await stockOf('tiger-head-shoes')).toBe(6);
    expect((await cartOf(buyer)).size).toBe(1);

    // Placing from the page with the new figures confirms them.
    const { number } = await place(buyer, placeForm(refused.body));
    expect((await order(number)).totalFen).toBe(26800);
  });

  it('also refuses a changed shipping fee or bulk price, a change of the cart in another tab, and a made-up figure', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await add(buyer, 'tiger-head-shoes', 1);
    const reviewed = placeForm((await buyer.post('/checkout', contact({ step: 'review' }))).body);

    const shoes = await product('tiger-head-shoes');
    const maker = (await rowOf(ctx.db, (tx) => tx.select({ villageId: producers.villageId }).from(producers).where(eq(producers.id, shoes.producerId))))!;
    await writeOf(ctx.db, (tx) =>
      tx
        .update(villages)
        .set({ shippingFeeFen: sql`${villages.shippingFeeFen} + 100` })
        .where(eq(villages.id, maker.villageId)),
    );
    expect((await buyer.post('/checkout', reviewed)).statusCode).toBe(409);

    const again = placeForm((await buyer.post('/checkout', contact({ step: 'review' }))).body);
    await add(buyer, 'meiyaogou-honey', 1);
    expect((await buyer.post('/checkout', again)).statusCode).toBe(409);
    expect((await buyer.post('/checkout', { ...again, reviewed: '1.not-a-real-digest-at-all' })).statusCode).toBe(409);
    expect(await count(orders)).toBe(0);
  });

  it('places the order when nothing changed since the review', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await fillCart(buyer);
    const { number } = await place(buyer, placeForm((await buyer.post('/checkout', contact({ step: 'review' }))).body));
    expect((await order(number)).totalFen).toBe(31200);
  });
});

describe('the review step with markup typed into the form', () => {
  it('shows it as text and carries it on unchanged', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await fillCart(buyer);
    const name = '<script>alert("林")</script>';
    const review = await buyer.post('/checkout', contact({ name, note: '"><img src=x onerror=alert(1)>', step: 'review' }));
    expect(review.statusCode).toBe(200);
    expect(review.body).not.toContain('<script>alert(');
    expect(review.body).not.toContain('<img src=x');
    expect(review.body).toContain('&lt;script&gt;alert(&quot;林&quot;)&lt;/script&gt;');
    await place(buyer, contact({ name }));
    expect((await order()).contactName).toBe(name);
  });
});

describe('placing an order', () => {
  it('creates exactly one order, numbered by the date in China, with its lines, parcels and reserved stock, and empties the cart', async () => {
    // 17:30 UTC on 1 March is already 2 March in China.
    ctx.clock.now = Date.UTC(2030, 2, 1, 17, 30);
    const buyer = await signIn(ctx.app, BUYER);
    await fillCart(buyer);
    const { number, url } = await place(buyer, contact({ step: 'place' }));
    expect(number).toBe('XY-20300302-0001');

    expect(await count(orders)).toBe(1);
    const placed = await order();
    expect(placed).toMatchObject({
      status: 'pending_payment',
      subtotalFen: 30_400,
      shippingFen: 800,
      totalFen: 31_200,
      paymentMethod: 'offline',
      phone: '13800138000',
      contactName: '林小梅',
    });
    expect(placed.buyerUserId).toBe((await rowOf(ctx.db, (tx) => tx.select({ id: users.id }).from(users).where(eq(users.email, BUYER))))!.id);
    const lines = await rowsOf(ctx.db, (tx) =>
      tx
        .select({ productId: orderLines.productId, unitPrice: orderLines.unitPriceFen, quantity: orderLines.quantity, lineTotal: orderLines.lineTotalFen })
        .from(orderLines)
        .where(eq(orderLines.orderId, placed.id))
        .orderBy(asc(orderLines.id)),
    );
    expect(lines).toEqual([
      { productId: await productId('meiyaogou-honey'), unitPrice: 6_800, quantity: 2, lineTotal: 13_600 },
      { productId: await productId('tiger-head-shoes'), unitPrice: 16_800, quantity: 1, lineTotal: 16_800 },
    ]);
    const parcels = await rowsOf(ctx.db, (tx) =>
      tx
        .select({ villageId: shipments.villageId, fee: shipments.shippingFeeFen, status: shipments.status })
        .from(shipments)
        .where(eq(shipments.orderId, placed.id))
        .orderBy(asc(shipments.villageId)),
    );
    expect(parcels).toEqual(
      [
        { villageId: (await village('meiyaogou')).id, fee: 0, status: 'pending' },
        { villageId: (await village('mengzhuang')).id, fee: 800, status: 'pending' },
      ].sort((a, b) => a.villageId - b.villageId),
    );
    expect(await stockOf('meiyaogou-honey')).toBe(43);
    expect(await stockOf('tiger-head-shoes')).toBe(5);

    const page = await buyer.get(url);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`订单 ${number}`);
    expect(page.body).toContain(`订单已提交：${number}`);
    expect(page.body).toContain('<strong data-status="pending_payment">待付款</strong>');
    expect(page.body).toContain('请转账 ¥312.00 到以下账户');
    expect(page.body).toContain(`${(await village('mengzhuang')).name} 发出：待发货`);
    expect((await cartOf(buyer)).size).toBe(0);
  });

  it('numbers the orders of one China day in sequence and starts again the next day', async () => {
    ctx.clock.now = Date.UTC(2030, 2, 1, 17, 30);
    const buyer = await signIn(ctx.app, BUYER);
    await add(buyer, 'meiyaogou-honey', 1);
    expect((await place(buyer)).number).toBe('XY-20300302-0001');
    ctx.clock.advance(22 * 3_600_000); // 15:30 UTC on 2 March: 23:30 in China, still 2 March
    await add(buyer, 'meiyaogou-honey', 1);
    expect((await place(buyer)).number).toBe('XY-20300302-0002');
    ctx.clock.advance(3_600_000); // 00:30 on 3 March in China
    await add(buyer, 'meiyaogou-honey', 1);
    expect((await place(buyer)).number).toBe('XY-20300303-0001');
  });

  it('continues the day’s numbers after orders it has no counter for (a database from before the counters), past 9999', async () => {
    ctx.clock.now = Date.UTC(2030, 4, 10, 4, 0);
    const buyer = await signIn(ctx.app, BUYER);
    await add(buyer, 'meiyaogou-honey', 1);
    const first = await place(buyer);
    expect(first.number).toBe('XY-20300510-0001');
    // As if 9,999 more orders of that day had been numbered before the counter existed.
    await writeOf(ctx.db, (tx) => tx.delete(orderDayCounters));
    const { id: _id, ...firstRow } = await order(first.number);
    await ctx.db.uow.write(function* (tx) {
      for (let from = 2; from <= 10_000; from += 500) {
        const numbers = Array.from({ length: Math.min(500, 10_001 - from) }, (_, i) => from + i);
        yield* run(
          tx.insert(orders).values(
            numbers.map((n) => ({
              ...firstRow,
              number: `XY-20300510-${String(n).padStart(4, '0')}`,
              accessTokenHash: `${firstRow.accessTokenHash}-${n}`,
              receiptCode: `${firstRow.receiptCode}-${n}`,
              status: 'cancelled' as const,
            })),
          ),
        );
      }
    });
    await add(buyer, 'meiyaogou-honey', 1);
    expect((await place(buyer)).number).toBe('XY-20300510-10001');
    await add(buyer, 'meiyaogou-honey', 1);
    expect((await place(buyer)).number).toBe('XY-20300510-10002');
  });

  it('keeps the prices of the order when the product’s price changes afterwards', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await fillCart(buyer);
    const { number, url } = await place(buyer);
    await setProduct('meiyaogou-honey', { priceFen: 9900 });
    await writeOf(ctx.db, (tx) => tx.update(villages).set({ shippingFeeFen: 2500 }).where(eq(villages.slug, 'mengzhuang')));

    const page = await buyer.get(url);
    expect(page.body).toMatch(/煤窑沟土蜂蜜<\/th><td>¥68\.00<\/td><td>2 罐<\/td><td>¥136\.00/);
    expect(page.body).toContain('<dd data-total>¥312.00</dd>');
    expect((await order(number)).totalFen).toBe(31_200);
  });

  it('opens the order with its link, and answers "not found" to a wrong token or none', async () => {
    const visitor = anonymous(ctx.app);
    await fillCart(visitor);
    const { number, token, url } = await place(visitor);
    expect((await order()).buyerUserId).toBeNull();

    const stranger = anonymous(ctx.app);
    expect((await stranger.get(url)).statusCode).toBe(200);
    const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect((await stranger.get(`/orders/${number}?token=${wrong}`)).statusCode).toBe(404);
    expect((await stranger.get(`/orders/${number}?token=`)).statusCode).toBe(404);
    expect((await stranger.get(`/orders/${number}`)).statusCode).toBe(404);
    expect((await stranger.get(`/orders/XY-20000101-0001?token=${token}`)).statusCode).toBe(404);
  });

  it('lists the order under the signed-in buyer’s orders, and another buyer gets "not found"', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await fillCart(buyer);
    const { number } = await place(buyer);

    const mine = await buyer.get('/account/orders');
    expect(mine.statusCode).toBe(200);
    expect(mine.body).toContain(`<a href="/orders/${number}">${number}</a>`);
    expect(mine.body).toContain('¥312.00');
    expect((await buyer.get(`/orders/${number}`)).statusCode).toBe(200);

    const other = await registerBuyer(ctx, { email: 'chen.buyer@example.test', displayName: '陈先生', password: 'a-long-enough-secret' });
    expect((await other.get(`/orders/${number}`)).statusCode).toBe(404);
    const theirs = await other.get('/account/orders');
    expect(theirs.statusCode).toBe(200);
    expect(theirs.body).not.toContain(number);
    expect((await other.post(`/orders/${number}/cancel`, {})).statusCode).toBe(404);
    expect((await order()).status).toBe('pending_payment');
  });
});

describe('the delivery form', () => {
  it('accepts a phone number written as +86 138-0013-8000 and stores the 11 digits', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await fillCart(buyer);
    const review = await buyer.post('/checkout', contact({ phone: '+86 138-0013-8000', step: 'review' }));
    expect(review.statusCode).toBe(200);
    await place(buyer, contact({ phone: '+86 138-0013-8000' }));
    expect((await order()).phone).toBe('13800138000');
  });

  it.each([['12345'], ['23800138000'], ['138001380001'], ['1380013800a'], ['']])(
    'refuses the phone %j next to the field and keeps what was typed',
    async (phone) => {
      const buyer = await signIn(ctx.app, BUYER);
      await fillCart(buyer);
      const res = await buyer.post('/checkout', contact({ phone }));
      expect(res.statusCode).toBe(422);
      expect(fieldError(res.body, 'phone')).toBe('请输入 11 位手机号，以 1 开头。');
      expect(fieldValue(res.body, 'phone')).toBe(phone);
      expect(fieldValue(res.body, 'name')).toBe('林小梅');
      expect(fieldValue(res.body, 'address')).toBe('科技园南路 88 号 3 栋 1201');
      expect(res.body).toContain('<input type="radio" id="pm-offline" name="paymentMethod" value="offline" checked>');
      expect(await count(orders)).toBe(0);
      expect((await cartOf(buyer)).size).toBe(2);
    },
  );

  it('marks every missing field and places nothing', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await fillCart(buyer);
    const res = await buyer.post('/checkout', contact({ name: '  ', district: '', paymentMethod: 'cheque' }));
    expect(res.statusCode).toBe(422);
    expect(fieldError(res.body, 'name')).toBe('这一项必须填写。');
    expect(fieldError(res.body, 'district')).toBe('这一项必须填写。');
    expect(fieldError(res.body, 'phone')).toBeNull();
    expect(res.body).toContain('请选择付款方式。');
    expect(fieldValue(res.body, 'city')).toBe('深圳市');
    expect(await count(orders)).toBe(0);
  });

  it('refuses online payment while Stripe is not configured', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await fillCart(buyer);
    const res = await buyer.post('/checkout', contact({ paymentMethod: 'stripe' }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('请选择付款方式。');
    expect(await count(orders)).toBe(0);
  });
});

describe('a product selling out between the cart and checkout', () => {
  it('answers 409 with the sold-out message, keeps the cart and writes nothing', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await fillCart(buyer);
    const before = await cartOf(buyer);
    const auditRows = await count(auditLog);
    await setProduct('meiyaogou-honey', { stock: 0 });

    const res = await buyer.post('/checkout', contact());
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('“煤窑沟土蜂蜜”刚刚卖完了。购物车没有变化，请调整后再结算。');
    expect(await cartOf(buyer)).toEqual(before);
    expect(await count(orders)).toBe(0);
    expect(await count(orderLines)).toBe(0);
    expect(await count(shipments)).toBe(0);
    expect(await count(auditLog)).toBe(auditRows);
    expect(await stockOf('meiyaogou-honey')).toBe(0);
    expect(await stockOf('tiger-head-shoes')).toBe(6);
  });

  it('answers 409 when fewer are left than the cart holds, and reserves nothing', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    await fillCart(buyer);
    await setProduct('meiyaogou-honey', { stock: 1 });
    const res = await buyer.post('/checkout', contact());
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('有商品需要调整数量后才能结算。');
    expect(await count(orders)).toBe(0);
    expect(await stockOf('meiyaogou-honey')).toBe(1);
    expect(await stockOf('tiger-head-shoes')).toBe(6);
    expect((await cartOf(buyer)).get(await productId('meiyaogou-honey'))).toBe(2);
  });

  it('sends a buyer with an empty cart back to the cart', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    const form = await buyer.get('/checkout');
    expect(form.statusCode).toBe(303);
    expect(form.headers.location).toBe('/cart');
    const res = await buyer.post('/checkout', contact());
    expect(res.statusCode).toBe(409);
    expect(await count(orders)).toBe(0);
  });
});
