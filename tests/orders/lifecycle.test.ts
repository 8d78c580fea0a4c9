import { type SQL, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditService } from '../../src/audit/audit-service.js';
import { createLedgerService } from '../../src/ledger/ledger-service.js';
import { formatFen, splitLargestRemainder } from '../../src/money.js';
import { createOrdersService } from '../../src/orders/orders-service.js';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { rowOf, rowsOf } from '../helpers/db-query.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';
import { withdrawConsentOf } from '../helpers/consent.js';

/**
 * An order's life after checkout: a coordinator confirms the bank transfer and the ledger says
 * which households it belongs to; cancellation and expiry give the stock back once; each
 * village's first secretary ships their own parcel; refunds reverse exactly what was posted.
 */

const COORDINATOR = 'coordinator@xiangyi.test';
const SECRETARY_GULOU = 'secretary.gulou@xiangyi.test'; // 古楼村 and 明梅村
const SECRETARY_MEIYAOGOU = 'secretary.meiyaogou@xiangyi.test';
const HOUR = 3_600_000;

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

/** The first row of an engine-neutral query (tests/helpers/db-query.ts), which the test expects to find. */
const get = async <T>(query: SQL) => (await rowOf<T>(ctx.db, query)) as T;
const all = <T>(query: SQL) => rowsOf<T>(ctx.db, query);
const productId = async (slug: string) => (await get<{ id: number }>(sql`SELECT id FROM products WHERE slug = ${slug}`)).id;
const stockOf = async (slug: string) => (await get<{ stock: number }>(sql`SELECT stock FROM products WHERE slug = ${slug}`)).stock;
const villageOf = async (slug: string) => await get<{ id: number; name: string }>(sql`SELECT id, name_zh AS name FROM villages WHERE slug = ${slug}`);
const projectName = async (slug: string) => (await get<{ name: string }>(sql`SELECT name_zh AS name FROM projects WHERE slug = ${slug}`)).name;
const householdId = async (displayName: string) => (await get<{ id: number }>(sql`SELECT id FROM households WHERE display_name = ${displayName}`)).id;
const orderRow = async (number: string) =>
  await get<{ id: number; status: string; totalFen: number; refundedFen: number; shippingFen: number }>(
    sql`SELECT id, status, total_fen AS "totalFen", refunded_fen AS "refundedFen", shipping_fen AS "shippingFen" FROM orders WHERE number = ${number}`,
  );
const lineOf = async (orderId: number, slug: string) =>
  await get<{ id: number; lineTotalFen: number; refundedFen: number }>(
    sql`SELECT id, line_total_fen AS "lineTotalFen", refunded_fen AS "refundedFen" FROM order_lines WHERE order_id = ${orderId} AND product_id = ${await productId(slug)}`,
  );
const transactionCount = async () => (await get<{ n: number }>(sql`SELECT count(*) AS n FROM ledger_transactions`)).n;

interface Posting {
  id: number;
  kind: string;
  key: string;
  splitRuleId: number | null;
  entries: { code: string; amountFen: number; lineId: number | null }[];
}
/** The order's ledger transactions with their entries, in posting order. */
async function postingsOf(orderId: number): Promise<Posting[]> {
  const txs = await all<{ id: number; kind: string; key: string; splitRuleId: number | null }>(
    sql`SELECT id, kind, idempotency_key AS key, split_rule_id AS "splitRuleId" FROM ledger_transactions WHERE order_id = ${orderId} ORDER BY id`,
  );
  return Promise.all(
    txs.map(async (t) => ({
      ...t,
      entries: await all<{ code: string; amountFen: number; lineId: number | null }>(
        sql`SELECT a.code, e.amount_fen AS "amountFen", e.order_line_id AS "lineId" FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE e.transaction_id = ${t.id} ORDER BY e.id`,
      ),
    })),
  );
}
/** Entries as "account|line" → fen, so two postings compare regardless of order. */
const byAccountAndLine = (entries: Posting['entries']) => {
  const out = new Map<string, number>();
  for (const e of entries) out.set(`${e.code}|${e.lineId ?? ''}`, (out.get(`${e.code}|${e.lineId ?? ''}`) ?? 0) + e.amountFen);
  return out;
};

/**
 * What the payment of an order must post, worked out here from the split rules and member
 * weights in the database with the one rounding rule (largest remainder).
 */
async function expectedPayment(orderId: number): Promise<Map<string, number>> {
  const order = await get<{ totalFen: number; shippingFen: number }>(
    sql`SELECT total_fen AS "totalFen", shipping_fen AS "shippingFen" FROM orders WHERE id = ${orderId}`,
  );
  const expected = new Map<string, number>([['clearing:bank|', order.totalFen]]);
  const credit = (code: string, lineId: number | null, fen: number) => {
    if (fen === 0) return;
    const key = `${code}|${lineId ?? ''}`;
    expected.set(key, (expected.get(key) ?? 0) - fen);
  };
  const lines = await all<{ id: number; projectId: number; producerId: number; lineTotalFen: number }>(
    sql`SELECT id, project_id AS "projectId", producer_id AS "producerId", line_total_fen AS "lineTotalFen" FROM order_lines WHERE order_id = ${orderId}`,
  );
  for (const line of lines) {
    const rule = await get<{ h: number; f: number; o: number }>(
      sql`SELECT household_bp AS h, project_fund_bp AS f, operations_bp AS o FROM project_split_rules WHERE project_id = ${line.projectId} ORDER BY effective_from DESC, id DESC LIMIT 1`,
    );
    const [toHouseholds, toFund, toOperations] = splitLargestRemainder(line.lineTotalFen, [rule.h, rule.f, rule.o]) as [number, number, number];
    const members = await all<{ householdId: number; weight: number }>(
      sql`SELECT household_id AS "householdId", weight FROM producer_members WHERE producer_id = ${line.producerId} ORDER BY household_id`,
    );
    const parts = splitLargestRemainder(
      toHouseholds,
      members.map((m) => m.weight),
    );
    members.forEach((m, i) => {
      credit(`household:${m.householdId}`, line.id, parts[i]!);
    });
    credit(`project:${line.projectId}`, line.id, toFund);
    credit('operations', line.id, toOperations);
  }
  credit('shipping', null, order.shippingFen);
  return expected;
}

const contact = {
  name: '林小梅',
  phone: '13800138000',
  province: '广东省',
  city: '深圳市',
  district: '南山区',
  address: '科技园南路 88 号',
  note: '',
  paymentMethod: 'offline',
};

/** A visitor buys `items` by bank transfer; returns the order's number, token and link. */
async function placeOrder(items: [slug: string, quantity: number][], buyer: TestBrowser = anonymous(ctx.app)) {
  for (const [slug, quantity] of items) {
    const added = await buyer.post('/cart/items', { productId: String(await productId(slug)), quantity: String(quantity) });
    expect(added.statusCode, `add ${slug}`).toBe(303);
  }
  const res = await buyer.post('/checkout', contact);
  expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
  const m = /^\/orders\/(XY-\d{8}-\d{4})\?token=(.+)$/.exec(String(res.headers.location))!;
  expect(m).not.toBeNull();
  return { buyer, number: m[1]!, token: decodeURIComponent(m[2]!), url: String(res.headers.location), id: (await orderRow(m[1]!)).id };
}

/**
 * 10 kg of 土瑶茶 (明梅村 tea factory, 4 households with equal weights, 深贺协作 8500/1000/500) and
 * a box of eggs (煤窑沟 cooperative, weights 5:2:3, 扶贫先扶志 9000/700/300), ¥10 shipping from 煤窑沟村.
 * Total ¥5,200 + ¥45 + ¥10 = ¥5,255.
 */
const TEA_AND_EGGS: [string, number][] = [
  ['tuyao-tea', 10],
  ['meiyaogou-eggs', 1],
];

const markPaid = (coordinator: TestBrowser, number: string, reference = 'ICBC 20301122 0007') =>
  coordinator.post(`/coordinator/orders/${number}/mark-paid`, { reference });

/** The orders service on the test's database and clock, as the app's expiry sweep uses it. */
function ordersService() {
  const clock = () => ctx.clock.now;
  return createOrdersService(ctx.db, {
    clock,
    ledger: createLedgerService(ctx.db, { clock }),
    audit: createAuditService(ctx.db, clock),
    expiry: ctx.config.orderExpiry,
  });
}

const statusOn = (html: string) => /<strong data-status="([a-z_]+)">([^<]*)<\/strong>/.exec(html)?.slice(1, 3) ?? null;
const benefitOn = (html: string) => /<section aria-labelledby="benefit-heading"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';

describe('confirming a bank transfer', () => {
  it('marks the order paid and posts one balanced transaction split by the project’s rule and the producer’s member weights', async () => {
    const order = await placeOrder(TEA_AND_EGGS);
    expect((await orderRow(order.number)).totalFen).toBe(525_500);
    const coordinator = await signIn(ctx.app, COORDINATOR);
    const res = await markPaid(coordinator, order.number);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/coordinator/orders/${order.number}`);
    expect((await orderRow(order.number)).status).toBe('paid');

    const postings = await postingsOf(order.id);
    expect(postings).toHaveLength(1);
    const payment = postings[0]!;
    expect(payment).toMatchObject({ kind: 'order_payment', key: `order-paid:${order.id}` });
    expect(payment.splitRuleId).not.toBeNull();
    expect(payment.entries.reduce((a, e) => a + e.amountFen, 0)).toBe(0);
    expect(byAccountAndLine(payment.entries)).toEqual(await expectedPayment(order.id));

    // The same figures by hand: ¥5,200 of tea → 85% to 4 households (¥1,105 each), 10% fund, 5% operations;
    // ¥45 of eggs → 90% to households split 5:2:3 (¥20.25, ¥8.10, ¥12.15).
    const tea = (await lineOf(order.id, 'tuyao-tea')).id;
    const eggs = (await lineOf(order.id, 'meiyaogou-eggs')).id;
    const credited = (code: string, lineId: number) => -(byAccountAndLine(payment.entries).get(`${code}|${lineId}`) ?? 0);
    for (const name of ['盘大姐', '赵大叔', '邓阿姨']) expect(credited(`household:${await householdId(name)}`, tea)).toBe(110_500);
    expect(credited(`household:${await householdId('张大姐')}`, eggs)).toBe(2_025);
    expect(credited(`household:${await householdId('王阿姨')}`, eggs)).toBe(810);
    expect(payment.entries.find((e) => e.code === 'shipping')?.amountFen).toBe(-1_000);
    expect(payment.entries.find((e) => e.code === 'clearing:bank')?.amountFen).toBe(525_500);

    const page = await coordinator.get(`/coordinator/orders/${order.number}`);
    expect(page.body).toContain('已确认收款，账本已记账。');
    expect(page.body).toContain('ICBC 20301122 0007');
    await expectLedgerSound(ctx.db);
  });

  it('refuses to mark the same order paid twice and posts nothing more', async () => {
    const order = await placeOrder(TEA_AND_EGGS);
    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await markPaid(coordinator, order.number)).statusCode).toBe(303);
    const again = await markPaid(coordinator, order.number, 'ICBC second try');
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('这个订单已经确认过收款了。');
    expect(await postingsOf(order.id)).toHaveLength(1);
    expect((await get<{ n: number }>(sql`SELECT count(*) AS n FROM payments WHERE order_id = ${order.id}`)).n).toBe(1);
    await expectLedgerSound(ctx.db);
  });
});

describe('cancelling and expiry', () => {
  it('gives the stock back once when the buyer cancels an unpaid order, and refuses a second cancel', async () => {
    const order = await placeOrder([['meiyaogou-honey', 2]]);
    expect(await stockOf('meiyaogou-honey')).toBe(43);
    const cancelled = await order.buyer.post(`/orders/${order.number}/cancel`, { token: order.token });
    expect(cancelled.statusCode).toBe(303);
    expect((await orderRow(order.number)).status).toBe('cancelled');
    expect(await stockOf('meiyaogou-honey')).toBe(45);
    const page = await order.buyer.get(order.url);
    expect(statusOn(page.body)).toEqual(['cancelled', '已取消']);
    expect(page.body).toContain('订单已取消，库存已释放。');

    const again = await order.buyer.post(`/orders/${order.number}/cancel`, { token: order.token });
    expect(again.statusCode).toBe(409);
    expect(await stockOf('meiyaogou-honey')).toBe(45);
    expect(await transactionCount()).toBe(0);
    // The refusal says why, on the page that answers it.
    expect(again.body).toContain('这个订单现在的状态');
    expect(again.body).toContain('不能取消');
  });

  it('cancels an unpaid bank-transfer order placed without signing in once it is past 24 hours, releasing its stock once even if expiry runs twice', async () => {
    const order = await placeOrder([['meiyaogou-honey', 3]]);
    const orders = ordersService();
    ctx.clock.advance(24 * HOUR - 60_000);
    expect(await orders.expireDue()).toBe(0);
    expect((await orderRow(order.number)).status).toBe('pending_payment');
    expect(await stockOf('meiyaogou-honey')).toBe(42);

    ctx.clock.advance(2 * 60_000);
    expect(await orders.expireDue()).toBe(1);
    expect(await orders.expireDue()).toBe(0);
    expect(await stockOf('meiyaogou-honey')).toBe(45);
    const page = await order.buyer.get(order.url);
    expect(statusOn(page.body)).toEqual(['cancelled', '已取消']);

    // A coordinator who finds the transfer afterwards cannot mark the expired order paid.
    const coordinator = await signIn(ctx.app, COORDINATOR);
    const late = await markPaid(coordinator, order.number);
    expect(late.statusCode).toBe(409);
    expect(late.body).toContain('不能确认收款');
    expect(await transactionCount()).toBe(0);
    expect(await stockOf('meiyaogou-honey')).toBe(45);
  });

  it('keeps a signed-in buyer’s unpaid bank-transfer order for 72 hours', async () => {
    const order = await placeOrder([['meiyaogou-honey', 3]], await signIn(ctx.app, 'buyer@xiangyi.test'));
    const orders = ordersService();
    ctx.clock.advance(72 * HOUR - 60_000);
    expect(await orders.expireDue()).toBe(0);
    expect((await orderRow(order.number)).status).toBe('pending_payment');
    ctx.clock.advance(2 * 60_000);
    expect(await orders.expireDue()).toBe(1);
    expect(await stockOf('meiyaogou-honey')).toBe(45);
  });

  it('never expires a paid order', async () => {
    const order = await placeOrder([['meiyaogou-honey', 3]]);
    expect((await markPaid(await signIn(ctx.app, COORDINATOR), order.number)).statusCode).toBe(303);
    ctx.clock.advance(100 * HOUR);
    expect(await ordersService().expireDue()).toBe(0);
    expect((await orderRow(order.number)).status).toBe('paid');
    expect(await stockOf('meiyaogou-honey')).toBe(42);
    await expectLedgerSound(ctx.db);
  });

  it('lets a coordinator cancel an unpaid order, which gives the stock back', async () => {
    const order = await placeOrder([['tiger-head-shoes', 2]]);
    const coordinator = await signIn(ctx.app, COORDINATOR);
    const res = await coordinator.post(`/coordinator/orders/${order.number}/cancel`, {});
    expect(res.statusCode).toBe(303);
    expect((await orderRow(order.number)).status).toBe('cancelled');
    expect(await stockOf('tiger-head-shoes')).toBe(6);
  });
});

describe('illegal transitions', () => {
  it('refuses to refund an order that is still waiting for payment', async () => {
    const order = await placeOrder([['meiyaogou-honey', 1]]);
    const coordinator = await signIn(ctx.app, COORDINATOR);
    const refund = await coordinator.post(`/coordinator/orders/${order.number}/refund`, { amount: '10', reason: '买家要求', lineId: '' });
    expect(refund.statusCode).toBe(409);
    expect(refund.body).toContain('不能退款');
    expect(await orderRow(order.number)).toMatchObject({ status: 'pending_payment', refundedFen: 0 });
    expect(await transactionCount()).toBe(0);
  });

  it('refuses the buyer’s cancel of a paid order and keeps the stock sold', async () => {
    const order = await placeOrder([['meiyaogou-honey', 1]]);
    expect((await markPaid(await signIn(ctx.app, COORDINATOR), order.number)).statusCode).toBe(303);
    const cancel = await order.buyer.post(`/orders/${order.number}/cancel`, { token: order.token });
    expect(cancel.statusCode).toBe(409);
    expect((await orderRow(order.number)).status).toBe('paid');
    expect(await stockOf('meiyaogou-honey')).toBe(44);
    await expectLedgerSound(ctx.db);
  });

  it('refuses to mark a cancelled order paid, naming its status in words', async () => {
    const order = await placeOrder([['meiyaogou-honey', 1]]);
    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await coordinator.post(`/coordinator/orders/${order.number}/cancel`, {})).statusCode).toBe(303);
    const res = await markPaid(coordinator, order.number);
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('不能确认收款');
    expect(await postingsOf(order.id)).toHaveLength(0);
    expect((await get<{ n: number }>(sql`SELECT count(*) AS n FROM payments WHERE order_id = ${order.id}`)).n).toBe(0);
    expect(await stockOf('meiyaogou-honey')).toBe(45);
    // "已取消", as the order page calls it, not the code "cancelled".
    expect(res.body).toContain('这个订单现在的状态（已取消）不能确认收款。');
  });

  it('refuses to ship an unpaid order and says why', async () => {
    const order = await placeOrder([['meiyaogou-honey', 1]]);
    const secretary = await signIn(ctx.app, SECRETARY_MEIYAOGOU);
    const ship = await secretary.post(`/secretary/orders/${order.number}/ship`, { carrier: '顺丰速运', trackingNumber: 'SF1234567890' });
    expect(ship.statusCode).toBe(409);
    expect((await get<{ status: string }>(sql`SELECT status FROM shipments WHERE order_id = ${order.id}`)).status).toBe('pending');
    expect((await orderRow(order.number)).status).toBe('pending_payment');
    expect(ship.body).toContain('不能发货');
  });
});

describe('shipping', () => {
  it('lets each village’s first secretary ship only their own parcel; the order is shipped when every parcel is', async () => {
    const order = await placeOrder([
      ['tuyao-tea', 1],
      ['meiyaogou-honey', 2],
    ]);
    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await markPaid(coordinator, order.number)).statusCode).toBe(303);
    const mingmei = await villageOf('mingmei');
    const meiyaogou = await villageOf('meiyaogou');
    const gulouSecretary = await signIn(ctx.app, SECRETARY_GULOU);
    const meiyaogouSecretary = await signIn(ctx.app, SECRETARY_MEIYAOGOU);

    // 煤窑沟村's secretary cannot touch 明梅村's parcel.
    const foreign = await meiyaogouSecretary.post(`/secretary/orders/${order.number}/ship`, {
      carrier: '顺丰速运',
      trackingNumber: 'SF0000000001',
      villageId: String(mingmei.id),
    });
    expect(foreign.statusCode).toBe(404);
    expect((await get<{ status: string }>(sql`SELECT status FROM shipments WHERE order_id = ${order.id} AND village_id = ${mingmei.id}`)).status).toBe(
      'pending',
    );

    const list = await gulouSecretary.get('/secretary/orders');
    expect(list.body).toContain(`<h2>${order.number}</h2>`);
    const first = await gulouSecretary.post(`/secretary/orders/${order.number}/ship`, {
      carrier: '中国邮政',
      trackingNumber: 'EMS-9876543210',
      villageId: String(mingmei.id),
    });
    expect(first.statusCode).toBe(303);
    expect((await orderRow(order.number)).status).toBe('paid');

    const second = await meiyaogouSecretary.post(`/secretary/orders/${order.number}/ship`, { carrier: '顺丰速运', trackingNumber: 'SF1234567890' });
    expect(second.statusCode).toBe(303);
    expect((await orderRow(order.number)).status).toBe('shipped');
    expect(
      await all<{ villageId: number; carrier: string; tracking: string }>(
        sql`SELECT village_id AS "villageId", carrier, tracking_number AS tracking FROM shipments WHERE order_id = ${order.id} AND status = 'shipped' ORDER BY village_id`,
      ),
    ).toEqual(
      [
        { villageId: mingmei.id, carrier: '中国邮政', tracking: 'EMS-9876543210' },
        { villageId: meiyaogou.id, carrier: '顺丰速运', tracking: 'SF1234567890' },
      ].sort((a, b) => a.villageId - b.villageId),
    );

    const again = await meiyaogouSecretary.post(`/secretary/orders/${order.number}/ship`, { carrier: '顺丰速运', trackingNumber: 'SF1234567891' });
    expect(again.statusCode).toBe(409);

    const page = await order.buyer.get(order.url);
    expect(statusOn(page.body)).toEqual(['shipped', '已发货']);
    // Each parcel by its carrier, its waybill linked to the carrier's tracking page.
    expect(page.body).toContain(`${mingmei.name} 发出：已发货 · EMS / 中国邮政 · <a href="https://www.ems.com.cn/queryList?mailNum&#x3D;EMS-9876543210"`);
    expect(page.body).toContain(`${meiyaogou.name} 发出：已发货 · 顺丰速运 · <a href="https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF1234567890"`);
    await expectLedgerSound(ctx.db);
  });
});

describe('refunds', () => {
  it('posts the exact negation of the payment for a full refund', async () => {
    const order = await placeOrder(TEA_AND_EGGS);
    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await markPaid(coordinator, order.number)).statusCode).toBe(303);
    const res = await coordinator.post(`/coordinator/orders/${order.number}/refund`, { amount: '5255.00', reason: '买家退货', lineId: '' });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
    expect(await orderRow(order.number)).toMatchObject({ status: 'refunded', refundedFen: 525_500 });

    const [payment, refund] = await postingsOf(order.id);
    expect(refund).toBeDefined();
    expect(refund!.kind).toBe('refund');
    const negated = new Map([...byAccountAndLine(payment!.entries)].map(([k, v]) => [k, -v]));
    expect(byAccountAndLine(refund!.entries)).toEqual(negated);
    expect(refund!.entries).toHaveLength(payment!.entries.length);

    // Nothing is left to refund.
    const more = await coordinator.post(`/coordinator/orders/${order.number}/refund`, { amount: '0.01', reason: '再退', lineId: '' });
    expect(more.statusCode).toBe(422);
    expect(await postingsOf(order.id)).toHaveLength(2);
    await expectLedgerSound(ctx.db);
  });

  it('reverses one line’s credits in proportion for a partial refund of that line, and marks the order partially refunded', async () => {
    const order = await placeOrder(TEA_AND_EGGS);
    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await markPaid(coordinator, order.number)).statusCode).toBe(303);
    const eggs = await lineOf(order.id, 'meiyaogou-eggs');

    const res = await coordinator.post(`/coordinator/orders/${order.number}/refund`, { amount: '20', reason: '蛋壳破损', lineId: String(eggs.id) });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
    expect(await orderRow(order.number)).toMatchObject({ status: 'partially_refunded', refundedFen: 2_000 });
    expect((await lineOf(order.id, 'meiyaogou-eggs')).refundedFen).toBe(2_000);
    expect((await lineOf(order.id, 'tuyao-tea')).refundedFen).toBe(0);

    const [payment, refund] = await postingsOf(order.id);
    const eggCredits = payment!.entries.filter((e) => e.lineId === eggs.id && e.amountFen < 0);
    const parts = splitLargestRemainder(
      2_000,
      eggCredits.map((e) => -e.amountFen),
    );
    const expected = new Map<string, number>([['clearing:bank|', -2_000]]);
    eggCredits.forEach((e, i) => {
      if (parts[i]! > 0) expected.set(`${e.code}|${e.lineId}`, parts[i]!);
    });
    expect(byAccountAndLine(refund!.entries)).toEqual(expected);
    expect(refund!.entries.some((e) => e.lineId !== null && e.lineId !== eggs.id)).toBe(false);
    await expectLedgerSound(ctx.db);
  });

  it('brings every account of the order back to zero when the rest is refunded after a line refund', async () => {
    const order = await placeOrder(TEA_AND_EGGS);
    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await markPaid(coordinator, order.number)).statusCode).toBe(303);
    const eggs = await lineOf(order.id, 'meiyaogou-eggs');
    expect(
      (await coordinator.post(`/coordinator/orders/${order.number}/refund`, { amount: '20', reason: '蛋壳破损', lineId: String(eggs.id) })).statusCode,
    ).toBe(303);
    const rest = await coordinator.post(`/coordinator/orders/${order.number}/refund`, { amount: '5235.00', reason: '买家取消', lineId: '' });
    expect(rest.statusCode, rest.body.slice(0, 300)).toBe(303);
    expect(await orderRow(order.number)).toMatchObject({ status: 'refunded', refundedFen: 525_500 });
    await expectLedgerSound(ctx.db);

    // Net over the payment and both refunds: nothing is left with any household, fund or account.
    const net = new Map<string, number>();
    for (const p of await postingsOf(order.id)) for (const e of p.entries) net.set(e.code, (net.get(e.code) ?? 0) + e.amountFen);
    const leftOver = [...net].filter(([, fen]) => fen !== 0);
    expect(leftOver, 'accounts not back to zero after refunding everything').toEqual([]);
    expect((await lineOf(order.id, 'meiyaogou-eggs')).refundedFen).toBe(eggs.lineTotalFen);
    expect((await lineOf(order.id, 'tuyao-tea')).refundedFen).toBe(520_000);
  });

  it('leaves not a fen with any household when an order is refunded in two parts', async () => {
    const order = await placeOrder(TEA_AND_EGGS);
    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await markPaid(coordinator, order.number)).statusCode).toBe(303);
    expect((await coordinator.post(`/coordinator/orders/${order.number}/refund`, { amount: '0.07', reason: '差价', lineId: '' })).statusCode).toBe(303);
    expect((await coordinator.post(`/coordinator/orders/${order.number}/refund`, { amount: '5254.93', reason: '买家取消', lineId: '' })).statusCode).toBe(303);
    expect(await orderRow(order.number)).toMatchObject({ status: 'refunded', refundedFen: 525_500 });
    await expectLedgerSound(ctx.db);

    const net = new Map<string, number>();
    for (const p of await postingsOf(order.id)) for (const e of p.entries) net.set(e.code, (net.get(e.code) ?? 0) + e.amountFen);
    expect(
      [...net].filter(([, fen]) => fen !== 0),
      'accounts not back to zero after refunding everything',
    ).toEqual([]);
  });

  it('puts a wholly refunded line back in stock while its parcel has not shipped, but not a part refund or shipped units', async () => {
    const order = await placeOrder([
      ['tuyao-tea', 2],
      ['meiyaogou-honey', 2],
    ]);
    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await markPaid(coordinator, order.number)).statusCode).toBe(303);
    const [teaBefore, honeyBefore] = [await stockOf('tuyao-tea'), await stockOf('meiyaogou-honey')];
    const tea = await lineOf(order.id, 'tuyao-tea');
    const honey = await lineOf(order.id, 'meiyaogou-honey');

    // A part of the tea line back is money only.
    const part = await coordinator.post(`/coordinator/orders/${order.number}/refund`, { amount: '1.00', reason: '包装破损', lineId: String(tea.id) });
    expect(part.statusCode, part.body.slice(0, 300)).toBe(303);
    expect(await stockOf('tuyao-tea')).toBe(teaBefore);

    // 煤窑沟村's honey ships; then the honey line is refunded whole: the jars are with the buyer.
    const meiyaogouSecretary = await signIn(ctx.app, SECRETARY_MEIYAOGOU);
    const shipped = await meiyaogouSecretary.post(`/secretary/orders/${order.number}/ship`, { carrier: '顺丰速运', trackingNumber: 'SF1234567899' });
    expect(shipped.statusCode, shipped.body.slice(0, 300)).toBe(303);
    const honeyBack = await coordinator.post(`/coordinator/orders/${order.number}/refund`, {
      amount: (honey.lineTotalFen / 100).toFixed(2),
      reason: '买家退货',
      lineId: String(honey.id),
    });
    expect(honeyBack.statusCode, honeyBack.body.slice(0, 300)).toBe(303);
    expect(await stockOf('meiyaogou-honey')).toBe(honeyBefore);

    // The rest of the tea line, never shipped: its two units are on sale again, once.
    const rest = await coordinator.post(`/coordinator/orders/${order.number}/refund`, {
      amount: ((tea.lineTotalFen - 100) / 100).toFixed(2),
      reason: '买家取消',
      lineId: String(tea.id),
    });
    expect(rest.statusCode, rest.body.slice(0, 300)).toBe(303);
    expect(await stockOf('tuyao-tea')).toBe(teaBefore + 2);
    await expectLedgerSound(ctx.db);
  });

  it('refuses a refund larger than what is left (of the order or of the line) with 422 and posts nothing', async () => {
    const order = await placeOrder(TEA_AND_EGGS);
    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await markPaid(coordinator, order.number)).statusCode).toBe(303);
    const eggs = await lineOf(order.id, 'meiyaogou-eggs');
    expect(
      (await coordinator.post(`/coordinator/orders/${order.number}/refund`, { amount: '20', reason: '蛋壳破损', lineId: String(eggs.id) })).statusCode,
    ).toBe(303);
    const before = await transactionCount();

    const tooMuchForOrder = await coordinator.post(`/coordinator/orders/${order.number}/refund`, { amount: '5235.01', reason: '全部', lineId: '' });
    expect(tooMuchForOrder.statusCode).toBe(422);
    expect(tooMuchForOrder.body).toContain('退款金额超过了可退金额。');
    expect(tooMuchForOrder.body).toContain('value="5235.01"');
    const tooMuchForLine = await coordinator.post(`/coordinator/orders/${order.number}/refund`, {
      amount: '25.01',
      reason: '蛋壳破损',
      lineId: String(eggs.id),
    });
    expect(tooMuchForLine.statusCode).toBe(422);
    const unknownLine = await coordinator.post(`/coordinator/orders/${order.number}/refund`, { amount: '1', reason: '蛋壳破损', lineId: '999999' });
    expect(unknownLine.statusCode).toBe(422);
    expect(unknownLine.body).toContain('订单中没有这一项。');
    for (const amount of ['-5', 'abc', '1.234', '0']) {
      expect((await coordinator.post(`/coordinator/orders/${order.number}/refund`, { amount, reason: 'x', lineId: '' })).statusCode, amount).toBe(422);
    }

    expect(await transactionCount()).toBe(before);
    expect(await orderRow(order.number)).toMatchObject({ status: 'partially_refunded', refundedFen: 2_000 });
    expect((await lineOf(order.id, 'meiyaogou-eggs')).refundedFen).toBe(2_000);
    await expectLedgerSound(ctx.db);
  });
});

describe('where the money went', () => {
  it('shows the buyer, once paid, the household amounts per village and project with consented names only and no private field', async () => {
    const order = await placeOrder(TEA_AND_EGGS);
    // 邓阿姨 has withdrawn her consent to be named.
    await withdrawConsentOf(ctx.db, '邓阿姨');

    const before = await order.buyer.get(order.url);
    expect(benefitOn(before.body)).toContain('付款确认后，这里会显示每一元归属哪些农户和项目。');

    expect((await markPaid(await signIn(ctx.app, COORDINATOR), order.number)).statusCode).toBe(303);
    const page = await order.buyer.get(order.url);
    expect(statusOn(page.body)).toEqual(['paid', '已付款']);
    const benefit = benefitOn(page.body);
    const items = [...benefit.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]!);
    const mingmei = (await villageOf('mingmei')).name;
    const meiyaogou = (await villageOf('meiyaogou')).name;
    const shenHe = await projectName('shen-he-xiezuo');
    const fupin = await projectName('fupin-xianfuzhi');
    expect(items).toContain(`${formatFen(442_000)} 归 ${mingmei} 的 4 户农户，通过“${shenHe}”项目`);
    expect(items).toContain(`${formatFen(4_050)} 归 ${meiyaogou} 的 3 户农户，通过“${fupin}”项目`);
    expect(items).toContain(`${formatFen(52_000)} 进入“${shenHe}”项目基金`);
    expect(items).toContain(`${formatFen(315)} 进入“${fupin}”项目基金`);
    expect(items).toContain(`${formatFen(26_135)} 用于平台运营`);
    expect(items).toContain(`${formatFen(1_000)} 为运费`);

    const named = items.filter((i) => i.startsWith('其中：'));
    expect(named).toHaveLength(2);
    expect(named.join()).toContain('盘大姐');
    expect(named.join()).toContain('赵大叔');
    expect(named.join()).toContain('张大姐');
    expect(named.join()).toContain('王阿姨');
    expect(page.body).not.toContain('邓阿姨');

    const secrets = await all<{ realName: string; phone: string | null; idCardLast4: string | null; povertyRegNo: string | null }>(
      sql`SELECT real_name AS "realName", phone, id_card_last4 AS "idCardLast4", poverty_reg_no AS "povertyRegNo" FROM households`,
    );
    for (const s of secrets) {
      expect(page.body).not.toContain(s.realName);
      if (s.phone) expect(page.body).not.toContain(s.phone);
      if (s.povertyRegNo) expect(page.body).not.toContain(s.povertyRegNo);
      if (s.idCardLast4) expect(benefit).not.toContain(s.idCardLast4);
    }
    await expectLedgerSound(ctx.db);
  });

  it('shows what is left with households after a partial refund', async () => {
    const order = await placeOrder(TEA_AND_EGGS);
    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await markPaid(coordinator, order.number)).statusCode).toBe(303);
    const eggs = await lineOf(order.id, 'meiyaogou-eggs');
    expect(
      (await coordinator.post(`/coordinator/orders/${order.number}/refund`, { amount: '45', reason: '整盒破损', lineId: String(eggs.id) })).statusCode,
    ).toBe(303);
    const page = await order.buyer.get(order.url);
    expect(statusOn(page.body)).toEqual(['partially_refunded', '部分退款']);
    const benefit = benefitOn(page.body);
    expect(benefit).toContain(`${formatFen(442_000)} 归 ${(await villageOf('mingmei')).name}`);
    expect(benefit).not.toContain(`归 ${(await villageOf('meiyaogou')).name}`);
    await expectLedgerSound(ctx.db);
  });
});
