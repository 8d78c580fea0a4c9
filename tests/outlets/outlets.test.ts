import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Charity supermarkets: the public list, online orders picked up at an outlet with a code checked
 * once by its staff, counter sales that post to the ledger exactly like online sales, and shelf
 * stock moved from the online stock by the village's first secretary, never below zero.
 */

const OUTLET_STAFF = 'outlet@xiangyi.test';
const BUYER = 'buyer@xiangyi.test';
const COORDINATOR = 'coordinator@xiangyi.test';
const MEIYAOGOU = 'secretary.meiyaogou@xiangyi.test';
const GULOU = 'secretary.gulou@xiangyi.test';

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

const get = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).get(...params) as T;
const all = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).all(...params) as T[];
const count = (sql: string, ...params: unknown[]) => get<{ n: number }>(sql, ...params).n;
const outletId = (slug: string) => get<{ id: number }>(`SELECT id FROM outlets WHERE slug = ?`, slug).id;
const productId = (slug: string) => get<{ id: number }>(`SELECT id FROM products WHERE slug = ?`, slug).id;
const stockOf = (slug: string) => get<{ stock: number }>(`SELECT stock FROM products WHERE slug = ?`, slug).stock;
const shelfOf = (outlet: string, slug: string) =>
  get<{ quantity: number } | undefined>(`SELECT quantity FROM outlet_stock WHERE outlet_id = ? AND product_id = ?`, outletId(outlet), productId(slug))
    ?.quantity ?? 0;
const orderByNumber = (number: string) =>
  get<{ id: number; status: string; totalFen: number; shippingFen: number; deliveryMethod: string; contactName: string; paymentMethod: string }>(
    `SELECT id, status, total_fen AS totalFen, shipping_fen AS shippingFen, delivery_method AS deliveryMethod, contact_name AS contactName, payment_method AS paymentMethod
     FROM orders WHERE number = ?`,
    number,
  );
const codeIn = (html: string) => /data-pickup-code>(\d{6})</.exec(html)?.[1] ?? null;
const FUTIAN = 'shenzhen-futian';
const BABU = 'hezhou-babu';
const CONTACT = { name: '林晓', phone: '13800138000', paymentMethod: 'offline' };

/** A buyer puts the items in the cart and checks out for pick-up at the outlet; returns the order page URL. */
async function pickupOrder(buyer: TestBrowser, items: [string, number][], outlet = FUTIAN): Promise<{ number: string; url: string }> {
  for (const [slug, quantity] of items)
    expect((await buyer.post('/cart/items', { productId: String(productId(slug)), quantity: String(quantity) })).statusCode).toBe(303);
  const placed = await buyer.post('/checkout', { ...CONTACT, delivery: 'pickup', outletId: String(outletId(outlet)), step: 'place' });
  expect(placed.statusCode, placed.body.slice(0, 400)).toBe(303);
  const url = String(placed.headers.location);
  return { number: /^\/orders\/(XY-[0-9-]+)\?/.exec(url)![1]!, url };
}

describe('the public list of charity supermarkets', () => {
  it('shows each outlet with its address and opening hours', async () => {
    const page = await anonymous(ctx.app).get('/outlets');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('深圳福田慈善超市');
    expect(page.body).toContain('贺州八步慈善超市');
    expect(page.body).toContain('福华三路 88 号');
    expect(page.body).toContain('周一至周日 9:00–21:00');
  });
});

describe('pick-up at an outlet', () => {
  it('charges no shipping, takes the stock from the online stock, and shows a 6-digit code on the token link only', async () => {
    const buyer = anonymous(ctx.app);
    const honeyStock = stockOf('meiyaogou-honey');
    expect((await buyer.post('/cart/items', { productId: String(productId('meiyaogou-honey')), quantity: '1' })).statusCode).toBe(303);
    // Shipped, one jar (¥68) pays 煤窑沟村's ¥10 fee; picked up, it does not.
    const shipReview = await buyer.post('/checkout', {
      ...CONTACT,
      province: '广东省',
      city: '深圳市',
      district: '福田区',
      address: '深南大道 1 号',
      step: 'review',
    });
    expect(/data-total>([^<]*)</.exec(shipReview.body)?.[1]).toBe('¥78.00');
    const pickupReview = await buyer.post('/checkout', { ...CONTACT, delivery: 'pickup', outletId: String(outletId(FUTIAN)), step: 'review' });
    expect(pickupReview.statusCode).toBe(200);
    expect(/data-total>([^<]*)</.exec(pickupReview.body)?.[1]).toBe('¥68.00');
    expect(pickupReview.body).toContain('到店自取：深圳福田慈善超市');
    const noOutlet = await buyer.post('/checkout', { ...CONTACT, delivery: 'pickup', step: 'review' });
    expect(noOutlet.statusCode).toBe(422);
    expect(noOutlet.body).toContain('请选择自取的门店。');

    const placed = await buyer.post('/checkout', { ...CONTACT, delivery: 'pickup', outletId: String(outletId(FUTIAN)), step: 'place' });
    expect(placed.statusCode).toBe(303);
    const url = String(placed.headers.location);
    const number = /^\/orders\/(XY-[0-9-]+)\?/.exec(url)![1]!;
    expect(orderByNumber(number)).toMatchObject({ status: 'pending_payment', shippingFen: 0, totalFen: 6_800, deliveryMethod: 'pickup' });
    expect(stockOf('meiyaogou-honey')).toBe(honeyStock - 1);

    const page = await buyer.get(url);
    const code = codeIn(page.body);
    expect(code).toMatch(/^\d{6}$/);
    expect(page.body).toContain('请到 深圳福田慈善超市 取货');
    // Shown again on the same link; the database keeps only a keyed hash.
    expect(codeIn((await buyer.get(url)).body)).toBe(code);
    const stored = get<{ codeHash: string }>(`SELECT code_hash AS codeHash FROM pickups WHERE order_id = ?`, orderByNumber(number).id).codeHash;
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(stored).not.toContain(code!);
    // A wrong token shows nothing at all.
    expect((await anonymous(ctx.app).get(`/orders/${number}?token=wrong`)).statusCode).toBe(404);
  });

  it('gives the signed-in buyer’s order page the code only through the confirmation link', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    const { number, url } = await pickupOrder(buyer, [['meiyaogou-honey', 2]]);
    expect(codeIn((await buyer.get(url)).body)).toMatch(/^\d{6}$/);
    const withoutToken = await buyer.get(`/orders/${number}`);
    expect(withoutToken.statusCode).toBe(200);
    expect(codeIn(withoutToken.body)).toBeNull();
    expect(withoutToken.body).toContain('取货码显示在下单确认链接打开的订单页面上。');
  });

  it('is checked once by the outlet’s staff: unpaid 409, paid collected, again 409, wrong code 404', async () => {
    const buyer = anonymous(ctx.app);
    const { number, url } = await pickupOrder(buyer, [['meiyaogou-yuba', 4]]);
    const code = codeIn((await buyer.get(url)).body)!;
    const staff = await signIn(ctx.app, OUTLET_STAFF);
    const futian = outletId(FUTIAN);

    const unpaid = await staff.post(`/outlet/${futian}/pickups`, { code });
    expect(unpaid.statusCode).toBe(409);
    expect(unpaid.body).toContain(`订单 ${number} 还没有付款，不能交货。`);

    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await coordinator.post(`/coordinator/orders/${number}/mark-paid`, { reference: 'BANK-1' })).statusCode).toBe(303);
    const collected = await staff.post(`/outlet/${futian}/pickups`, { code });
    expect(collected.statusCode).toBe(200);
    expect(collected.body).toContain(`订单 ${number} 已付款，已登记取货`);
    expect(collected.body).toContain('手工腐竹 × 4 斤');
    const pickup = get<{ pickedUpAt: number | null; checkedBy: number }>(
      `SELECT picked_up_at AS pickedUpAt, checked_by_user_id AS checkedBy FROM pickups WHERE order_id = ?`,
      orderByNumber(number).id,
    );
    expect(pickup.pickedUpAt).not.toBeNull();
    expect((await buyer.get(url)).body).toContain('已于');

    const again = await staff.post(`/outlet/${futian}/pickups`, { code });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain(`订单 ${number} 已经取过货了。`);

    const wrong = await staff.post(`/outlet/${futian}/pickups`, { code: code === '000000' ? '000001' : '000000' });
    expect(wrong.statusCode).toBe(404);
    expect(wrong.body).toContain('本门店没有这个取货码的订单。');
    const malformed = await staff.post(`/outlet/${futian}/pickups`, { code: '12ab' });
    expect(malformed.statusCode).toBe(422);
    expect(malformed.body).toContain('取货码是 6 位数字。');
  });

  it('finds a code only at the outlet the order is picked up at', async () => {
    const buyer = anonymous(ctx.app);
    const { number, url } = await pickupOrder(buyer, [['meiyaogou-honey', 1]], BABU);
    const code = codeIn((await buyer.get(url)).body)!;
    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await coordinator.post(`/coordinator/orders/${number}/mark-paid`, { reference: 'BANK-2' })).statusCode).toBe(303);
    const staff = await signIn(ctx.app, OUTLET_STAFF);
    expect((await staff.post(`/outlet/${outletId(FUTIAN)}/pickups`, { code })).statusCode).toBe(404);
    expect(
      get<{ pickedUpAt: number | null }>(`SELECT picked_up_at AS pickedUpAt FROM pickups WHERE order_id = ?`, orderByNumber(number).id).pickedUpAt,
    ).toBeNull();
  });
});

describe('counter sales', () => {
  /** The payment posting of an order: per line (by product), the account and amount of each split entry. */
  function lineEntries(orderNumber: string) {
    const order = orderByNumber(orderNumber);
    const rows = all<{ productId: number; account: string; amountFen: number }>(
      `SELECT l.product_id AS productId, a.code AS account, e.amount_fen AS amountFen
       FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id JOIN ledger_accounts a ON a.id = e.account_id
       JOIN order_lines l ON l.id = e.order_line_id
       WHERE t.order_id = ? AND t.kind = 'order_payment' ORDER BY l.product_id, a.code`,
      order.id,
    );
    return rows;
  }
  const clearingOf = (orderNumber: string) =>
    all<{ account: string; amountFen: number }>(
      `SELECT a.code AS account, e.amount_fen AS amountFen FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id
       JOIN ledger_accounts a ON a.id = e.account_id WHERE t.order_id = ? AND t.kind = 'order_payment' AND a.kind = 'clearing'`,
      orderByNumber(orderNumber).id,
    );

  it('records a sale paid at the till as an order posted to the ledger exactly like the same lines sold online', async () => {
    const staff = await signIn(ctx.app, OUTLET_STAFF);
    const futian = outletId(FUTIAN);
    const honey = productId('meiyaogou-honey');
    const yuba = productId('meiyaogou-yuba');
    const onlineHoney = stockOf('meiyaogou-honey');
    const shelfHoney = shelfOf(FUTIAN, 'meiyaogou-honey');

    const sold = await staff.post(`/outlet/${futian}/sales`, { [`qty_${honey}`]: '2', [`qty_${yuba}`]: '3', channel: 'wechat' });
    expect(sold.statusCode, sold.body.slice(0, 400)).toBe(303);
    const counter = get<{ number: string; channel: string }>(
      `SELECT o.number, cs.channel FROM counter_sales cs JOIN orders o ON o.id = cs.order_id WHERE cs.outlet_id = ? ORDER BY o.id DESC LIMIT 1`,
      futian,
    );
    expect(counter.channel).toBe('wechat');
    // 2 × ¥68 + 3 × ¥28, no shipping, paid at once by the walk-in buyer.
    expect(orderByNumber(counter.number)).toMatchObject({
      status: 'paid',
      totalFen: 22_000,
      shippingFen: 0,
      deliveryMethod: 'pickup',
      contactName: '门店现场销售',
      paymentMethod: 'offline',
    });
    expect(shelfOf(FUTIAN, 'meiyaogou-honey')).toBe(shelfHoney - 2);
    expect(stockOf('meiyaogou-honey')).toBe(onlineHoney);
    expect(get(`SELECT channel, status, amount_fen AS amountFen FROM payments WHERE order_id = ?`, orderByNumber(counter.number).id)).toEqual({
      channel: 'wechat',
      status: 'succeeded',
      amountFen: 22_000,
    });
    const page = await staff.get(`/outlet/${futian}`);
    expect(page.body).toContain(`已记录销售 ${counter.number}，收款 ¥220.00`);

    // The same lines sold online (free shipping above ¥99) and confirmed by the coordinator.
    const online = await placePaidOrder(ctx, [
      { slug: 'meiyaogou-honey', quantity: 2 },
      { slug: 'meiyaogou-yuba', quantity: 3 },
    ]);
    expect(orderByNumber(online.number).totalFen).toBe(22_000);

    const counterLines = lineEntries(counter.number);
    expect(counterLines.length).toBeGreaterThan(2);
    expect(counterLines).toEqual(lineEntries(online.number));
    expect(clearingOf(counter.number)).toEqual([{ account: 'clearing:wechat', amountFen: 22_000 }]);
    expect(clearingOf(online.number)).toEqual([{ account: 'clearing:bank', amountFen: 22_000 }]);
    await expectLedgerSound(ctx.db);

    // Its public benefit receipt shows it paid, with the posting's place in the hash chain.
    const sale = get<{ id: number; code: string }>(`SELECT id, receipt_code AS code FROM orders WHERE number = ?`, counter.number);
    const posting = get<{ hash: string }>(`SELECT hash FROM ledger_transactions WHERE order_id = ? AND kind = 'order_payment'`, sale.id);
    const receipt = await anonymous(ctx.app).get(`/receipts/${sale.code}`);
    expect(receipt.statusCode).toBe(200);
    expect(receipt.body).not.toContain('这笔订单还没有付款。');
    expect(receipt.body).toContain(posting.hash);
  });

  it('never sells more than is on the shelf and writes nothing when refused', async () => {
    const staff = await signIn(ctx.app, OUTLET_STAFF);
    const futian = outletId(FUTIAN);
    const honey = productId('meiyaogou-honey');
    const shelf = shelfOf(FUTIAN, 'meiyaogou-honey');
    const orders = count(`SELECT count(*) AS n FROM orders`);

    const tooMany = await staff.post(`/outlet/${futian}/sales`, { [`qty_${honey}`]: String(shelf + 1), channel: 'cash' });
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.body).toContain(`门店库存只有 ${shelf}。`);
    expect(tooMany.body).toContain(`value="${shelf + 1}"`);
    const noChannel = await staff.post(`/outlet/${futian}/sales`, { [`qty_${honey}`]: '1' });
    expect(noChannel.statusCode).toBe(422);
    expect(noChannel.body).toContain('请选择收款方式。');
    const nothing = await staff.post(`/outlet/${futian}/sales`, { channel: 'cash' });
    expect(nothing.statusCode).toBe(422);
    expect(nothing.body).toContain('请至少填写一件商品的数量。');
    expect(count(`SELECT count(*) AS n FROM orders`)).toBe(orders);
    expect(shelfOf(FUTIAN, 'meiyaogou-honey')).toBe(shelf);

    // The whole shelf sells; then the product is no longer offered, and the database refuses a negative shelf.
    expect((await staff.post(`/outlet/${futian}/sales`, { [`qty_${honey}`]: String(shelf), channel: 'cash' })).statusCode).toBe(303);
    expect(shelfOf(FUTIAN, 'meiyaogou-honey')).toBe(0);
    const after = await staff.post(`/outlet/${futian}/sales`, { [`qty_${honey}`]: '1', channel: 'cash' });
    expect(after.statusCode).toBe(422);
    expect(shelfOf(FUTIAN, 'meiyaogou-honey')).toBe(0);
    expect(() => ctx.db.sqlite.prepare(`UPDATE outlet_stock SET quantity = quantity - 1 WHERE outlet_id = ? AND product_id = ?`).run(futian, honey)).toThrow(
      /CHECK/,
    );
    await expectLedgerSound(ctx.db);
  });

  it('keeps staff to their own outlets: another outlet is 404, other roles 403', async () => {
    const staff = await signIn(ctx.app, OUTLET_STAFF);
    const babu = outletId(BABU);
    const fungus = productId('gulou-black-fungus');
    const shelf = shelfOf(BABU, 'gulou-black-fungus');
    expect((await staff.get(`/outlet/${babu}`)).statusCode).toBe(404);
    expect((await staff.post(`/outlet/${babu}/sales`, { [`qty_${fungus}`]: '1', channel: 'cash' })).statusCode).toBe(404);
    expect((await staff.post(`/outlet/${babu}/pickups`, { code: '123456' })).statusCode).toBe(404);
    expect((await staff.get('/outlet/999999')).statusCode).toBe(404);
    expect(shelfOf(BABU, 'gulou-black-fungus')).toBe(shelf);
    const own = await staff.get('/outlet');
    expect(own.statusCode).toBe(200);
    expect(own.body).toContain('门店收银：深圳福田慈善超市');
    expect(own.body).not.toContain('黑木耳');

    const buyer = await signIn(ctx.app, BUYER);
    expect((await buyer.get('/outlet')).statusCode).toBe(403);
    expect((await buyer.post(`/outlet/${outletId(FUTIAN)}/sales`, { channel: 'cash' })).statusCode).toBe(403);
  });
});

describe('shelf stock from the first secretary', () => {
  it('moves units between the online stock and an outlet, never below zero on either side, with a stock record and an audit entry', async () => {
    const secretary = await signIn(ctx.app, GULOU);
    const shiitake = productId('gulou-shiitake');
    const babu = outletId(BABU);
    const online = stockOf('gulou-shiitake');

    const moved = await secretary.post('/secretary/outlets', { productId: String(shiitake), outletId: String(babu), quantity: '5', direction: 'to_outlet' });
    expect(moved.statusCode).toBe(303);
    expect(stockOf('gulou-shiitake')).toBe(online - 5);
    expect(shelfOf(BABU, 'gulou-shiitake')).toBe(5);
    expect(count(`SELECT count(*) AS n FROM stock_adjustments WHERE product_id = ? AND delta = -5 AND reason LIKE '调拨到门店%'`, shiitake)).toBe(1);
    expect(count(`SELECT count(*) AS n FROM audit_log WHERE action = 'outlet.stock_allocate' AND entity_id = ?`, String(shiitake))).toBe(1);

    const tooMany = await secretary.post('/secretary/outlets', {
      productId: String(shiitake),
      outletId: String(babu),
      quantity: String(online),
      direction: 'to_outlet',
    });
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.body).toContain('网店库存不够');
    const tooManyBack = await secretary.post('/secretary/outlets', {
      productId: String(shiitake),
      outletId: String(babu),
      quantity: '6',
      direction: 'to_online',
    });
    expect(tooManyBack.statusCode).toBe(422);
    expect(tooManyBack.body).toContain('门店只有 5，不能调回更多。');
    expect(stockOf('gulou-shiitake')).toBe(online - 5);
    expect(shelfOf(BABU, 'gulou-shiitake')).toBe(5);

    expect(
      (await secretary.post('/secretary/outlets', { productId: String(shiitake), outletId: String(babu), quantity: '2', direction: 'to_online' })).statusCode,
    ).toBe(303);
    expect(stockOf('gulou-shiitake')).toBe(online - 3);
    expect(shelfOf(BABU, 'gulou-shiitake')).toBe(3);
    expect((await secretary.get('/secretary/outlets')).body).toContain('贺州八步慈善超市');
  });

  it('does not let a secretary move another village’s product (404)', async () => {
    const secretary = await signIn(ctx.app, MEIYAOGOU);
    const shiitake = productId('gulou-shiitake');
    const online = stockOf('gulou-shiitake');
    const res = await secretary.post('/secretary/outlets', {
      productId: String(shiitake),
      outletId: String(outletId(FUTIAN)),
      quantity: '1',
      direction: 'to_outlet',
    });
    expect(res.statusCode).toBe(404);
    expect(stockOf('gulou-shiitake')).toBe(online);
  });
});

describe('outlet scopes of staff accounts', () => {
  it('lets the admin assign an outlet-staff account to an outlet, and only such accounts', async () => {
    const admin = await signIn(ctx.app, 'admin@xiangyi.test');
    const babu = outletId(BABU);
    const wrongRole = await admin.post(`/admin/outlets/${babu}/staff`, { email: BUYER });
    expect(wrongRole.statusCode).toBe(422);
    expect(wrongRole.body).toContain('只能分配角色为“门店店员”的账号。');
    expect((await admin.post(`/admin/outlets/${babu}/staff`, { email: OUTLET_STAFF })).statusCode).toBe(303);
    const staff = await signIn(ctx.app, OUTLET_STAFF);
    expect((await staff.get(`/outlet/${babu}`)).statusCode).toBe(200);
  });
});

describe('in English', () => {
  it('renders every outlet page with English text', async () => {
    const visitor = anonymous(ctx.app);
    const list = await visitor.get('/outlets?lang=en');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Charity supermarkets');
    expect(list.body).toContain('Shenzhen Futian Charity Supermarket');

    const buyer = anonymous(ctx.app);
    await buyer.get('/?lang=en');
    const { url } = await pickupOrder(buyer, [['meiyaogou-honey', 1]]);
    const order = await buyer.get(url);
    expect(order.body).toContain('Pick-up code');
    expect((await buyer.post('/cart/items', { productId: String(productId('meiyaogou-honey')), quantity: '1' })).statusCode).toBe(303);
    expect((await buyer.get('/checkout')).body).toContain('Pick up at a charity supermarket (no shipping fee)');

    const pages: [string, string, string][] = [
      [OUTLET_STAFF, '/outlet?lang=en', 'Till: Shenzhen Futian Charity Supermarket'],
      [GULOU, '/secretary/outlets?lang=en', 'Your products on outlet shelves'],
      ['admin@xiangyi.test', '/admin/outlets?lang=en', 'Outlets and their staff'],
    ];
    for (const [email, path, text] of pages) {
      const page = await (await signIn(ctx.app, email)).get(path);
      expect(page.statusCode, path).toBe(200);
      expect(page.body, path).toContain(text);
    }
  });
});
