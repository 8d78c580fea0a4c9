import type { LightMyRequestResponse as Response } from 'fastify';
import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/audit/schema.js';
import { products } from '../../src/catalog/schema.js';
import { orders } from '../../src/orders/schema.js';
import { createAuditService } from '../../src/audit/audit-service.js';
import { createLedgerService } from '../../src/ledger/ledger-service.js';
import { HOLD_LIMITS } from '../../src/orders/holds.js';
import { createOrdersService } from '../../src/orders/orders-service.js';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { countOf, rowOf } from '../helpers/db-query.js';
import { createScopedCoordinator, STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * What unpaid orders may hold (src/orders/holds.ts): a visitor, a phone number and an address may
 * each keep at most a product's retail limit off the shelf in unpaid orders; anonymous bank-transfer
 * orders hold for a day; coordinators see the holds and release the suspicious ones.
 */

/** 瑶山冬蜜: 18 jars, at most 10 a retail order. */
const HONEY = 'yaoshan-winter-honey';
const HONEY_STOCK = 18;
const HONEY_CAP = 10;
const HOUR = 3_600_000;

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

const product = async (slug: string) => (await rowOf(ctx.db, (tx) => tx.select().from(products).where(eq(products.slug, slug))))!;
const productId = async (slug: string) => (await product(slug)).id;
const stockOf = async (slug: string) => (await product(slug)).stock;
const orderCount = () => countOf(ctx.db, orders);
const orderByNumber = async (number: string) => (await rowOf(ctx.db, (tx) => tx.select().from(orders).where(eq(orders.number, number))))!;
const errorOn = (html: string) => /<p class="flash flash-error" role="alert"[^>]*>([^<]*)<\/p>/.exec(html)?.[1] ?? null;
const HOLD_REFUSAL = `还没付款的订单里，“瑶山冬蜜”最多只能留 ${HONEY_CAP} 罐（同一个买家、手机号或网络地址合计）。请先为之前的订单付款或取消它们，或者等它们到期释放后再下单。`;

let phones = 0;
/** A phone number no other buyer in the test uses. */
const newPhone = () => `1370000${String(1000 + ++phones)}`;

/** Puts units in the browser's cart and checks out by bank transfer; answers the checkout. */
async function order(buyer: TestBrowser, slug: string, quantity: number, phone = newPhone(), paymentMethod = 'offline'): Promise<Response> {
  const added = await buyer.post('/cart/items', { productId: String(await productId(slug)), quantity: String(quantity) });
  expect(added.statusCode, added.body.slice(0, 300)).toBe(303);
  return buyer.post(
    '/checkout',
    { name: '林晓', phone, province: '广东省', city: '深圳市', district: '福田区', address: '深南大道 1 号', paymentMethod },
    { csrfFrom: '/cart' },
  );
}
const numberOf = (placed: Response) => /^\/orders\/(XY-\d{8}-\d{4})\?/.exec(String(placed.headers.location))![1]!;

function ordersService() {
  const clock = () => ctx.clock.now;
  return createOrdersService(ctx.db, {
    clock,
    ledger: createLedgerService(ctx.db, { clock }),
    audit: createAuditService(ctx.db, clock),
    expiry: ctx.config.orderExpiry,
  });
}

describe('what unpaid orders may hold', () => {
  it('stops one address from taking a product’s whole stock with several unpaid orders, and leaves the rest to others', async () => {
    const HOARDER = '203.0.113.66';
    // Three browsers, three phone numbers, one address: the retail limit, then what is left, twice.
    const first = await order(anonymous(ctx.app, { remoteAddress: HOARDER }), HONEY, HONEY_CAP);
    expect(first.statusCode).toBe(303);
    for (let i = 0; i < 2; i++) {
      const refused = await order(anonymous(ctx.app, { remoteAddress: HOARDER }), HONEY, HONEY_STOCK - HONEY_CAP);
      expect(refused.statusCode).toBe(409);
      expect(errorOn(refused.body)).toBe(HOLD_REFUSAL);
    }
    expect(await stockOf(HONEY)).toBe(HONEY_STOCK - HONEY_CAP);
    expect(await orderCount()).toBe(1);

    // A buyer elsewhere gets the rest.
    const neighbour = await order(anonymous(ctx.app, { remoteAddress: '198.51.100.7' }), HONEY, HONEY_STOCK - HONEY_CAP);
    expect(neighbour.statusCode, errorOn(neighbour.body) ?? '').toBe(303);
    expect(await stockOf(HONEY)).toBe(0);
  });

  it('counts one phone number over browsers and addresses, and one signed-in buyer over phones and addresses', async () => {
    const phone = newPhone();
    expect((await order(anonymous(ctx.app, { remoteAddress: '198.51.100.1' }), HONEY, 6, phone)).statusCode).toBe(303);
    const samePhone = await order(anonymous(ctx.app, { remoteAddress: '198.51.100.2' }), HONEY, 5, phone);
    expect(samePhone.statusCode).toBe(409);
    // Within the cap, it is fine.
    expect((await order(anonymous(ctx.app, { remoteAddress: '198.51.100.3' }), HONEY, 4, phone)).statusCode).toBe(303);

    const buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
    expect((await order(buyer, 'gulou-shiitake', 15)).statusCode).toBe(303);
    const again = await order(buyer, 'gulou-shiitake', 6);
    expect(again.statusCode).toBe(409);
    expect(errorOn(again.body)).toContain('“椴木香菇”最多只能留 20 袋');
    // What was refused stays in the cart, to pay the first order and come back.
    expect((await buyer.get('/cart')).body).toContain('椴木香菇');
  });

  it(`caps a product without a retail limit at ${HOLD_LIMITS.unitsWithoutRetailLimit} unpaid units per holder`, async () => {
    const { slug } = (await rowOf(ctx.db, (tx) =>
      tx
        .select({ slug: products.slug })
        .from(products)
        .where(and(isNull(products.maxRetailQty), eq(products.published, true), gt(products.stock, 40)))
        .orderBy(asc(products.id))
        .limit(1),
    ))!;
    const buyer = anonymous(ctx.app);
    expect((await order(buyer, slug, HOLD_LIMITS.unitsWithoutRetailLimit)).statusCode).toBe(303);
    expect((await order(buyer, slug, 2)).statusCode).toBe(409);
  });

  it('counts only unpaid orders: once an order is paid or has expired, its holder may order again', async () => {
    const buyer = anonymous(ctx.app);
    const placed = await order(buyer, HONEY, HONEY_CAP);
    expect((await order(buyer, HONEY, 1)).statusCode).toBe(409);
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    expect((await coordinator.post(`/coordinator/orders/${numberOf(placed)}/mark-paid`, { reference: 'ICBC 0001' })).statusCode).toBe(303);
    const next = await buyer.post(
      '/checkout',
      { name: '林晓', phone: newPhone(), province: '广东省', city: '深圳市', district: '福田区', address: '深南大道 1 号', paymentMethod: 'offline' },
      { csrfFrom: '/cart' },
    );
    expect(next.statusCode).toBe(303);

    ctx.clock.advance(24 * HOUR + 1);
    expect(await ordersService().expireDue()).toBe(1);
    expect((await order(buyer, HONEY, 1)).statusCode).toBe(303);
  });

  it('holds stock for a day when a bank-transfer order is placed without signing in, and three days when signed in', async () => {
    const placedAt = ctx.clock.now;
    const hoursHeld = async (placed: Response) => ((await orderByNumber(numberOf(placed))).expiresAt - placedAt) / HOUR;
    expect(await hoursHeld(await order(anonymous(ctx.app), HONEY, 1))).toBe(24);
    expect(await hoursHeld(await order(await signIn(ctx.app, 'buyer@xiangyi.test'), HONEY, 1))).toBe(72);
  });
});

describe('the coordinator’s view of unpaid holds', () => {
  it('lists unpaid orders with the signs of hoarding first, and releasing one puts its stock back', async () => {
    const HOARDER = '203.0.113.66';
    const phone = newPhone();
    // Two orders of one phone from one address (under the cap), one big share of the shoes, one ordinary order.
    const a = await order(anonymous(ctx.app, { remoteAddress: HOARDER }), HONEY, 4, phone);
    const b = await order(anonymous(ctx.app, { remoteAddress: HOARDER }), HONEY, 4, phone);
    const shoes = await order(anonymous(ctx.app, { remoteAddress: '198.51.100.9' }), 'tiger-head-shoes', 3);
    const ordinary = await order(anonymous(ctx.app, { remoteAddress: '198.51.100.10' }), 'gulou-shiitake', 2);
    const paid = await order(anonymous(ctx.app, { remoteAddress: '198.51.100.11' }), 'gulou-shiitake', 1);
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    await coordinator.post(`/coordinator/orders/${numberOf(paid)}/mark-paid`, { reference: 'ICBC 0002' });

    const page = await coordinator.get('/coordinator/holds');
    expect(page.statusCode).toBe(200);
    const section = (id: string) => new RegExp(`<h2 id="${id}">[\\s\\S]*?</table>`).exec(page.body)?.[0] ?? '';
    const listed = (html: string) => [...html.matchAll(/<tr data-hold="([^"]+)">/g)].map((m) => m[1]);
    expect(listed(section('holds-suspicious')).sort()).toEqual([numberOf(a), numberOf(b), numberOf(shoes)].sort());
    expect(listed(section('holds-others'))).toEqual([numberOf(ordinary)]);
    const row = (number: string) => new RegExp(`<tr data-hold="${number}">([\\s\\S]*?)</tr>`).exec(page.body)?.[1] ?? '';
    expect(row(numberOf(a))).toContain('同一手机号有 2 笔未付款订单');
    expect(row(numberOf(a))).toContain('同一网络地址有 2 笔未付款订单');
    expect(row(numberOf(a))).toContain(HOARDER);
    expect(row(numberOf(shoes))).toContain('占了“手工虎头鞋”3 双，货架上只剩 3 双');

    const released = await coordinator.post(`/coordinator/holds/${numberOf(a)}/release`, {}, { csrfFrom: '/coordinator/holds' });
    expect(released.statusCode).toBe(303);
    expect(released.headers.location).toBe('/coordinator/holds');
    expect(await stockOf(HONEY)).toBe(HONEY_STOCK - 4);
    expect((await orderByNumber(numberOf(a))).status).toBe('cancelled');
    const audit = (await rowOf(ctx.db, (tx) =>
      tx
        .select({ summary: auditLog.summary })
        .from(auditLog)
        .where(and(eq(auditLog.action, 'order.cancel'), eq(auditLog.entityId, numberOf(a)))),
    ))!.summary;
    expect(audit).toContain('released by staff');
    // Releasing twice says it is no longer pending.
    const twice = await coordinator.post(`/coordinator/holds/${numberOf(a)}/release`, {}, { csrfFrom: '/coordinator/holds' });
    expect(twice.statusCode).toBe(303);
    expect((await coordinator.get('/coordinator/holds')).body).toContain('不能取消');
  });

  it('shows a coordinator only the holds of their projects, and nobody else the page', async () => {
    const honey = await order(anonymous(ctx.app), HONEY, 1); // 深贺协作
    const shoes = await order(anonymous(ctx.app), 'tiger-head-shoes', 1); // 巧手绣娘
    await createScopedCoordinator(ctx.db, 'scoped.holds@xiangyi.test', ['shen-he-xiezuo']);
    const scoped = await signIn(ctx.app, 'scoped.holds@xiangyi.test', STAFF_PASSWORD);
    const page = await scoped.get('/coordinator/holds');
    expect(page.body).toContain(`data-hold="${numberOf(honey)}"`);
    expect(page.body).not.toContain(numberOf(shoes));
    expect((await scoped.post(`/coordinator/holds/${numberOf(shoes)}/release`, {}, { csrfFrom: '/coordinator/holds' })).statusCode).toBe(404);
    expect((await orderByNumber(numberOf(shoes))).status).toBe('pending_payment');

    for (const email of ['secretary.gulou@xiangyi.test', 'buyer@xiangyi.test']) {
      expect((await (await signIn(ctx.app, email)).get('/coordinator/holds')).statusCode).toBe(403);
    }
  });
});
