import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createScopedCoordinator, STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * What a recall stops: parcels holding units of the recalled lot are not shipped (the other
 * villages' parcels of the same order are), unpaid orders holding them are not marked paid, and
 * the coordinators of the lot's project see every affected buyer with a notice ready to send, and
 * refund the units or replace them with another lot before they leave.
 *
 * Demo lots of 煤窑沟土蜂蜜 (¥68 a jar, project 煤窑沟产业扶贫, village 煤窑沟村): MYG-HONEY-SPRING (20 jars,
 * sold first) and MYG-HONEY-AUTUMN (25).
 */

const MEIYAOGOU_SECRETARY = 'secretary.meiyaogou@xiangyi.test';
const HONEY_FEN = 6800;

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

const get = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).get(...params) as T;
const value = <T>(sql: string, ...params: unknown[]) =>
  ctx.db.sqlite
    .prepare(sql)
    .pluck()
    .get(...params) as T;
const lotId = (code: string) => value<number>(`SELECT id FROM lots WHERE code = ?`, code);
const villageId = (slug: string) => value<number>(`SELECT id FROM villages WHERE slug = ?`, slug);
const orderRow = (number: string) =>
  get<{ id: number; status: string; refundedFen: number }>(`SELECT id, status, refunded_fen AS refundedFen FROM orders WHERE number = ?`, number);
const parcelStatus = (number: string, village: string) =>
  value<string>(`SELECT s.status FROM shipments s JOIN orders o ON o.id = s.order_id WHERE o.number = ? AND s.village_id = ?`, number, villageId(village));
const honeyLots = (number: string) =>
  ctx.db.sqlite
    .prepare(
      `SELECT l.code, oll.quantity FROM order_line_lots oll JOIN lots l ON l.id = oll.lot_id JOIN order_lines ol ON ol.id = oll.order_line_id JOIN orders o ON o.id = ol.order_id WHERE o.number = ? ORDER BY l.id`,
    )
    .all(number) as { code: string; quantity: number }[];

/** A visitor orders by bank transfer (unpaid) and gets the order number. */
async function placeUnpaid(buyer: TestBrowser, items: [slug: string, quantity: number][], name = '林晓'): Promise<string> {
  for (const [slug, quantity] of items) {
    const productId = value<number>(`SELECT id FROM products WHERE slug = ?`, slug);
    const added = await buyer.post('/cart/items', { productId: String(productId), quantity: String(quantity) }, { csrfFrom: `/products/${slug}` });
    expect(
      added.statusCode,
      added.body
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .slice(0, 2000),
    ).toBe(303);
  }
  const res = await buyer.post(
    '/checkout',
    { name, phone: '13912345678', province: '广东省', city: '深圳市', district: '南山区', address: '科技园 1 号', paymentMethod: 'offline' },
    { csrfFrom: '/cart' },
  );
  expect(res.statusCode, /<p class="field-error"[^>]*>[^<]*/g.exec(res.body)?.[0] ?? res.body.slice(0, 300)).toBe(303);
  return /^\/orders\/(XY-\d{8}-\d{4})/.exec(String(res.headers.location))![1]!;
}

async function recall(code: string, reason = '抽检发现含水量偏高') {
  const secretary = await signIn(ctx.app, MEIYAOGOU_SECRETARY);
  const res = await secretary.post(`/secretary/lots/${lotId(code)}/recall`, { reason }, { csrfFrom: `/secretary/lots/${lotId(code)}` });
  expect(res.statusCode).toBe(303);
}

const ship = (secretary: TestBrowser, number: string, village: string) =>
  secretary.post(
    `/secretary/orders/${number}/ship`,
    { villageId: String(villageId(village)), carrier: '顺丰', trackingNumber: `SF${number.slice(-4)}` },
    { csrfFrom: '/secretary/orders' },
  );

/** The part of the recall page about one order. */
const orderSection = (html: string, number: string) =>
  new RegExp(`<section class="console-section" id="order-${number}"[^>]*>(.*?)</section>`, 's').exec(html)?.[1] ?? '';

describe('shipping after a recall', () => {
  it('refuses the parcel holding units of the recalled lot with a clear message, and ships the other village’s parcel of the same order', async () => {
    const order = await placePaidOrder(ctx, [
      { slug: 'meiyaogou-honey', quantity: 3 },
      { slug: 'gulou-shiitake', quantity: 1 },
    ]);
    await recall('MYG-HONEY-SPRING');

    const secretary = await signIn(ctx.app, MEIYAOGOU_SECRETARY);
    const list = await secretary.get('/secretary/orders');
    expect(list.body).toContain('这个包裹里有 3 罐「煤窑沟土蜂蜜」来自已召回的批次 MYG-HONEY-SPRING，暂不能发货');
    const refused = await ship(secretary, order.number, 'meiyaogou');
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('这个包裹里有 3 罐「煤窑沟土蜂蜜」来自已召回的批次 MYG-HONEY-SPRING，不能发货。');
    expect(parcelStatus(order.number, 'meiyaogou')).toBe('pending');

    const gulou = await signIn(ctx.app, 'secretary.gulou@xiangyi.test');
    expect((await ship(gulou, order.number, 'gulou')).statusCode).toBe(303);
    expect(parcelStatus(order.number, 'gulou')).toBe('shipped');
    expect(orderRow(order.number).status).toBe('paid'); // not shipped while a parcel waits
  });
});

describe('an unpaid order holding units of a recalled lot', () => {
  it('cannot be marked paid until the units are replaced with another lot; then it is paid and shipped as usual', async () => {
    const number = await placeUnpaid(anonymous(ctx.app), [['meiyaogou-honey', 3]]);
    await recall('MYG-HONEY-SPRING');
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    const ledgerBefore = value<number>(`SELECT count(*) FROM ledger_transactions`);

    const refused = await coordinator.post(`/coordinator/orders/${number}/mark-paid`, { reference: 'BANK-1' }, { csrfFrom: `/coordinator/orders/${number}` });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain(
      '这个订单有 3 罐「煤窑沟土蜂蜜」来自已召回的批次 MYG-HONEY-SPRING，现在不能确认收款。请先在召回页面把这部分换成其他批次，或者取消订单。',
    );
    expect(orderRow(number).status).toBe('pending_payment');
    expect(value<number>(`SELECT count(*) FROM ledger_transactions`)).toBe(ledgerBefore);
    expect((await coordinator.get(`/coordinator/orders/${number}`)).body).toContain(
      `<a href="/coordinator/recalls/${lotId('MYG-HONEY-SPRING')}#order-${number}">`,
    );

    const page = await coordinator.get(`/coordinator/recalls/${lotId('MYG-HONEY-SPRING')}`);
    const section = orderSection(page.body, number);
    expect(section).toContain('未付款：不能确认收款，请换货或取消订单。');
    expect(section).toContain('林晓您好：您在乡益下的订单');
    expect(section).toContain('请先不要付款');
    expect(section).not.toContain('/refund"'); // nothing was paid, so nothing to refund

    const stockBefore = value<number>(`SELECT stock FROM products WHERE slug = 'meiyaogou-honey'`);
    const replaced = await coordinator.post(
      `/coordinator/recalls/${lotId('MYG-HONEY-SPRING')}/orders/${number}/replace`,
      {},
      { csrfFrom: `/coordinator/recalls/${lotId('MYG-HONEY-SPRING')}` },
    );
    expect(replaced.statusCode).toBe(303);
    // The line is now served from the autumn lot; the recalled jars went back into their lot, not onto the shelf.
    expect(honeyLots(number)).toEqual([{ code: 'MYG-HONEY-AUTUMN', quantity: 3 }]);
    expect(value<number>(`SELECT remaining FROM lots WHERE code = 'MYG-HONEY-SPRING'`)).toBe(20);
    expect(value<number>(`SELECT remaining FROM lots WHERE code = 'MYG-HONEY-AUTUMN'`)).toBe(22);
    expect(value<number>(`SELECT stock FROM products WHERE slug = 'meiyaogou-honey'`)).toBe(stockBefore - 3);
    const after = orderSection((await coordinator.get(`/coordinator/recalls/${lotId('MYG-HONEY-SPRING')}`)).body, number);
    expect(after).toContain('已处理：已换成其他批次的商品。');
    expect(after).toContain('我们已经换成其他批次的同样商品，您不需要做任何事。');

    expect(
      (await coordinator.post(`/coordinator/orders/${number}/mark-paid`, { reference: 'BANK-1' }, { csrfFrom: `/coordinator/orders/${number}` })).statusCode,
    ).toBe(303);
    expect((await ship(await signIn(ctx.app, MEIYAOGOU_SECRETARY), number, 'meiyaogou')).statusCode).toBe(303);
    await expectLedgerSound(ctx.db);
  });

  it('is refused a replacement when the other lots have too few units, and nothing changes', async () => {
    const number = await placeUnpaid(anonymous(ctx.app), [['meiyaogou-honey', 3]]);
    await recall('MYG-HONEY-SPRING');
    await recall('MYG-HONEY-AUTUMN', '同一批蜂箱');
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    const url = `/coordinator/recalls/${lotId('MYG-HONEY-SPRING')}`;
    expect(orderSection((await coordinator.get(url)).body, number)).not.toContain('/replace"');

    const refused = await coordinator.post(`${url}/orders/${number}/replace`, {}, { csrfFrom: url });
    expect(refused.statusCode).toBe(409);
    expect(orderSection(refused.body, number)).toContain('其他批次的「煤窑沟土蜂蜜」只剩 0 罐，不够换 3 罐。');
    expect(honeyLots(number)).toEqual([{ code: 'MYG-HONEY-SPRING', quantity: 3 }]);
  });
});

describe('a pick-up order holding units of a recalled lot', () => {
  it('is not handed over at the outlet; the coordinator refunds the units instead', async () => {
    const buyer = anonymous(ctx.app);
    const futian = value<number>(`SELECT id FROM outlets WHERE slug = 'shenzhen-futian'`);
    const honey = value<number>(`SELECT id FROM products WHERE slug = 'meiyaogou-honey'`);
    expect((await buyer.post('/cart/items', { productId: String(honey), quantity: '1' })).statusCode).toBe(303);
    const placed = await buyer.post('/checkout', {
      name: '林晓',
      phone: '13800138000',
      paymentMethod: 'offline',
      delivery: 'pickup',
      outletId: String(futian),
      step: 'place',
    });
    expect(placed.statusCode).toBe(303);
    const number = /^\/orders\/(XY-[0-9-]+)\?/.exec(String(placed.headers.location))![1]!;
    const code = /data-pickup-code>(\d{6})</.exec((await buyer.get(String(placed.headers.location))).body)![1]!;
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    expect(
      (await coordinator.post(`/coordinator/orders/${number}/mark-paid`, { reference: 'BANK-7' }, { csrfFrom: `/coordinator/orders/${number}` })).statusCode,
    ).toBe(303);
    await recall('MYG-HONEY-SPRING');

    const staff = await signIn(ctx.app, 'outlet@xiangyi.test');
    const refused = await staff.post(`/outlet/${futian}/pickups`, { code });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('这个订单有 1 罐「煤窑沟土蜂蜜」来自已召回的批次 MYG-HONEY-SPRING，不能交给顾客。');
    expect(value<number | null>(`SELECT picked_up_at FROM pickups WHERE order_id = ?`, orderRow(number).id)).toBeNull();

    const url = `/coordinator/recalls/${lotId('MYG-HONEY-SPRING')}`;
    expect((await coordinator.post(`${url}/orders/${number}/refund`, {}, { csrfFrom: url })).statusCode).toBe(303);
    expect(orderRow(number)).toMatchObject({ status: 'refunded', refundedFen: HONEY_FEN });
  });
});

describe('refunding the recalled units of a paid order', () => {
  it('refunds exactly their price through the order’s refund, after which the parcel ships with the rest', async () => {
    const order = await placePaidOrder(ctx, [
      { slug: 'meiyaogou-honey', quantity: 2 },
      { slug: 'meiyaogou-yuba', quantity: 2 },
    ]);
    await recall('MYG-HONEY-SPRING');
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    const url = `/coordinator/recalls/${lotId('MYG-HONEY-SPRING')}`;
    const page = await coordinator.get(url);
    const section = orderSection(page.body, order.number);
    expect(section).toContain('已付款、未发出：包裹暂不发货，请退款或换货。');
    expect(section).toContain('为召回的商品退款 ¥136.00');
    expect(section).toContain('这部分商品我们不会寄出');

    const refunded = await coordinator.post(`${url}/orders/${order.number}/refund`, {}, { csrfFrom: url });
    expect(refunded.statusCode).toBe(303);
    expect(orderRow(order.number)).toMatchObject({ status: 'partially_refunded', refundedFen: 2 * HONEY_FEN });
    expect(
      get<{ amountFen: number; status: string; reason: string }>(
        `SELECT amount_fen AS amountFen, status, reason FROM refunds WHERE order_id = ?`,
        order.orderId,
      ),
    ).toEqual({
      amountFen: 2 * HONEY_FEN,
      status: 'succeeded',
      reason: '批次 MYG-HONEY-SPRING 召回',
    });
    await expectLedgerSound(ctx.db);

    const settled = orderSection((await coordinator.get(url)).body, order.number);
    expect(settled).toContain('已处理：这部分已经退款。');
    expect(settled).toContain('我们已为您办理这部分货款的退款');
    const again = await coordinator.post(`${url}/orders/${order.number}/refund`, {}, { csrfFrom: url });
    expect(again.statusCode).toBe(409);
    expect(orderSection(again.body, order.number)).toContain('这个订单里召回批次的商品都已经退款或换货了。');
    expect(orderRow(order.number).refundedFen).toBe(2 * HONEY_FEN);

    // Nothing holds the parcel now: the yuba goes out (the refunded honey stays behind).
    expect((await ship(await signIn(ctx.app, MEIYAOGOU_SECRETARY), order.number, 'meiyaogou')).statusCode).toBe(303);
  });

  it('of a parcel already shipped: tells the buyer to stop using them, offers a refund but no replacement', async () => {
    const order = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    expect((await ship(await signIn(ctx.app, MEIYAOGOU_SECRETARY), order.number, 'meiyaogou')).statusCode).toBe(303);
    await recall('MYG-HONEY-SPRING');
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    const url = `/coordinator/recalls/${lotId('MYG-HONEY-SPRING')}`;
    const section = orderSection((await coordinator.get(url)).body, order.number);
    expect(section).toContain('已发出：请通知买家停止食用或使用，并为这部分退款。');
    expect(section).toContain('请立即停止食用或使用这部分商品');
    expect(section).toContain('Please stop eating or using them at once');
    expect(section).toContain('为召回的商品退款 ¥68.00');
    expect(section).not.toContain('/replace"');
    const refused = await coordinator.post(`${url}/orders/${order.number}/replace`, {}, { csrfFrom: url });
    expect(refused.statusCode).toBe(409);
    expect(orderSection(refused.body, order.number)).toContain('已经发出的只能退款');
  });
});

describe('the affected buyers of a recall', () => {
  it('are listed with their contact and a notice in Chinese and English, for the coordinators of the lot’s project only', async () => {
    const buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
    const signedIn = await placeUnpaid(buyer, [['meiyaogou-honey', 2]], '周买家');
    const visitor = await placeUnpaid(anonymous(ctx.app), [['meiyaogou-honey', 1]], '吴买家');
    const other = await placeUnpaid(anonymous(ctx.app), [['meiyaogou-yuba', 2]], '郑买家'); // no honey
    await recall('MYG-HONEY-SPRING', '检出农药残留超标');
    const url = `/coordinator/recalls/${lotId('MYG-HONEY-SPRING')}`;

    await createScopedCoordinator(ctx.db, 'coordinator.meiyaogou@xiangyi.test', ['meiyaogou-chanye']);
    const inScope = await signIn(ctx.app, 'coordinator.meiyaogou@xiangyi.test', STAFF_PASSWORD);
    expect((await inScope.get('/coordinator/recalls')).body).toContain(`<a href="${url}">MYG-HONEY-SPRING</a>`);
    const page = await inScope.get(`${url}?lang=en`);
    expect(page.statusCode).toBe(200);
    expect([...page.body.matchAll(/data-recall-order="(XY-[0-9-]+)"/g)].map((m) => m[1]).sort()).toEqual([signedIn, visitor].sort());
    expect(page.body).not.toContain(other);
    const mine = orderSection(page.body, signedIn);
    expect(mine).toContain('Contact: 周买家, phone: 13912345678');
    expect(mine).toContain('E-mail: buyer@xiangyi.test');
    expect(mine).toContain(
      `周买家您好：您在乡益下的订单 ${signedIn} 中有 2 罐「煤窑沟土蜂蜜」来自批次 MYG-HONEY-SPRING，这个批次已被召回（原因：检出农药残留超标）。`,
    );
    expect(mine).toContain(`Dear 周买家, your Xiangyi order ${signedIn} includes 2 jars of “`);
    expect(mine).toContain('” from lot MYG-HONEY-SPRING, which has been recalled (reason: 检出农药残留超标).');
    expect(orderSection(page.body, visitor)).not.toContain('E-mail:');

    // Coordinators of other projects, secretaries and buyers see none of it.
    await createScopedCoordinator(ctx.db, 'coordinator.scoped@xiangyi.test', ['shen-he-xiezuo']);
    const outOfScope = await signIn(ctx.app, 'coordinator.scoped@xiangyi.test', STAFF_PASSWORD);
    expect((await outOfScope.get('/coordinator/recalls')).body).not.toContain('MYG-HONEY-SPRING');
    expect((await outOfScope.get(url)).statusCode).toBe(404);
    expect((await outOfScope.post(`${url}/orders/${signedIn}/replace`, {}, { csrfFrom: '/coordinator' })).statusCode).toBe(404);
    expect(honeyLots(signedIn)).toEqual([{ code: 'MYG-HONEY-SPRING', quantity: 2 }]);
    expect((await (await signIn(ctx.app, MEIYAOGOU_SECRETARY)).get(url)).statusCode).toBe(403);
    expect((await buyer.get(url)).statusCode).toBe(403);
  });
});
