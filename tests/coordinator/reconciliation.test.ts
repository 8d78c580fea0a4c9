import type { AuditService } from '../../src/audit/audit-service.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { Database_ } from '../../src/db/client.js';
import { createReconciliationService } from '../../src/coordinator/reconciliation-service.js';
import { createLedgerService } from '../../src/ledger/ledger-service.js';
import { formatFen } from '../../src/money.js';
import { periodOf } from '../../src/time.js';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { startFakeStripe, type FakeStripe } from '../helpers/fake-stripe.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createScopedCoordinator, STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/** The audit log the reconciliation service writes to (audit.add, a step of its unit of work), keeping nothing: these tests read reports. */
const noAudit: AuditService = {
  *add() {},
  // biome-ignore lint/correctness/useYield: nothing to redact in a log that keeps nothing
  *redactIn() {
    return 0;
  },
  *forgetAddressesOf() {},
  list: async () => ({ rows: [], total: 0 }),
};

/**
 * Reconciling a month: every payment received is matched to its order and its ledger posting, the
 * clearing accounts move by what was received less fees and refunds, and whatever does not match is
 * listed (and nothing else). Closing a month locks it: later corrections post in the next month.
 */

let fake: FakeStripe;
let ctx: TestContext;
let coordinator: TestBrowser;

beforeEach(async () => {
  fake = await startFakeStripe();
  ctx = await createTestApp({ env: fake.env, stripe: fake.client });
  coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
});
afterEach(async () => {
  await ctx.close();
  await fake.close();
});

const get = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).get(...params) as T;
const run = (sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).run(...params);
const period = () => periodOf(ctx.clock.now);
const nextPeriod = (p: string) => {
  const [y, m] = p.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
};
const CONTACT = { name: '林晓', phone: '13800138000', province: '广东省', city: '深圳市', district: '福田区', address: '深南大道 1 号' };

/** The mismatches a page lists: [kind, the order or posting it links to]. */
function listedMismatches(html: string): [string, string][] {
  const items = [...html.matchAll(/<li class="console-form" data-mismatch="([a-z_]+)">([\s\S]*?)<\/li>\n\s*(?=<li class="console-form"|<\/ul>)/g)];
  return items
    .map(
      (m) =>
        [
          m[1]!,
          /href="\/coordinator\/orders\/(XY-[0-9-]+)"/.exec(m[2]!)?.[1] ?? /href="(\/coordinator\/reconciliation\/transactions\/\d+)/.exec(m[2]!)?.[1] ?? '',
        ] as [string, string],
    )
    .sort();
}

async function reconciliation(p = period()) {
  const res = await coordinator.get(`/coordinator/reconciliation?period=${p}`);
  expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
  return res.body;
}

/** A visitor checks out (bank transfer or Stripe) and leaves the order unpaid; returns its number and id. */
async function placeUnpaid(app: App, db: Database_, paymentMethod: 'offline' | 'stripe', slug = 'meiyaogou-yuba') {
  const buyer = anonymous(app);
  const productId = get<{ id: number }>(`SELECT id FROM products WHERE slug = ?`, slug).id;
  expect((await buyer.post('/cart/items', { productId: String(productId), quantity: '2' })).statusCode).toBe(303);
  const res = await buyer.post('/checkout', { ...CONTACT, paymentMethod });
  expect(res.statusCode).toBe(303);
  const row = db.sqlite.prepare(`SELECT id, number, total_fen AS totalFen FROM orders ORDER BY id DESC LIMIT 1`).get() as {
    id: number;
    number: string;
    totalFen: number;
  };
  return row;
}

/** Stripe reports the order's Checkout Session paid (a signed webhook). */
async function stripePays(orderId: number) {
  const session = fake.sessionOfOrder(orderId)!;
  const event = fake.event('checkout.session.completed', fake.session(session.id));
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/webhooks/stripe',
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': event.signature },
    payload: event.payload,
  });
  expect(res.statusCode).toBe(200);
}

describe('the reconciliation of a clean month', () => {
  it('matches bank transfers, a Stripe payment with its fee, and a refund, and reports no mismatch', async () => {
    const a = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    await placePaidOrder(ctx, [
      { slug: 'xiaoji-eggs-dozen', quantity: 3 },
      { slug: 'tiger-head-shoes', quantity: 1 },
    ]);
    const online = await placeUnpaid(ctx.app, ctx.db, 'stripe');
    await stripePays(online.id);
    const refund = await coordinator.post(`/coordinator/orders/${a.number}/refund`, { amount: '10', reason: '少发了一罐' }, { csrfFrom: '/coordinator' });
    expect(refund.statusCode).toBe(303);

    const html = await reconciliation();
    expect(listedMismatches(html)).toEqual([]);
    expect(html).toContain('data-clean');
    expect(html).toContain('本月共有 3 笔到账、1 笔退款记录。');
    // The Stripe clearing account moved by the payment less its fee, as the ledger says.
    const fee = fake.feeFor(online.totalFen);
    const stripeRow = /<tr data-channel="stripe">([\s\S]*?)<\/tr>/.exec(html)![1]!;
    expect(stripeRow).toContain(formatFen(online.totalFen - fee));
    expect(stripeRow).not.toContain('badge-warn');
    await expectLedgerSound(ctx.db);
  });

  it('defaults to the current month (China time) and refuses a period that is not YYYY-MM with 400', async () => {
    const res = await coordinator.get('/coordinator/reconciliation');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`<h1>${period()} 对账</h1>`);
    for (const bad of ['2026-13', '2026-00', '26-01', 'abc', '2026-1']) {
      expect((await coordinator.get(`/coordinator/reconciliation?period=${bad}`)).statusCode, bad).toBe(400);
      expect((await coordinator.get(`/coordinator/reconciliation.csv?period=${bad}`)).statusCode, bad).toBe(400);
    }
  });

  it('is for coordinators of all projects only', async () => {
    expect((await anonymous(ctx.app).get('/coordinator/reconciliation')).statusCode).toBe(303);
    const buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
    expect((await buyer.get('/coordinator/reconciliation')).statusCode).toBe(403);
    await createScopedCoordinator(ctx.db, 'scoped@xiangyi.test', ['xiaoji-kuaipao']);
    const scoped = await signIn(ctx.app, 'scoped@xiangyi.test', STAFF_PASSWORD);
    expect((await scoped.get('/coordinator/reconciliation')).statusCode).toBe(403);
    expect((await scoped.get('/coordinator/reconciliation.csv')).statusCode).toBe(403);
    expect((await scoped.post(`/coordinator/periods/${period()}/close`, {}, { csrfFrom: '/coordinator' })).statusCode).toBe(403);
    expect(get<{ n: number }>(`SELECT count(*) AS n FROM period_locks`).n).toBe(0);
  });
});

/** Outlet staff sell at the 福田 counter, paid through `channel`; returns the order's number, id and total. */
async function counterSale(
  channel: 'cash' | 'wechat' | 'alipay',
  items: [string, number][] = [
    ['meiyaogou-honey', 2],
    ['meiyaogou-yuba', 3],
  ],
) {
  const staff = await signIn(ctx.app, 'outlet@xiangyi.test');
  const futian = get<{ id: number }>(`SELECT id FROM outlets WHERE slug = 'shenzhen-futian'`).id;
  const form: Record<string, string> = { channel };
  for (const [slug, quantity] of items) form[`qty_${get<{ id: number }>(`SELECT id FROM products WHERE slug = ?`, slug).id}`] = String(quantity);
  const sold = await staff.post(`/outlet/${futian}/sales`, form);
  expect(sold.statusCode, sold.body.slice(0, 400)).toBe(303);
  return get<{ number: string; id: number; totalFen: number }>(
    `SELECT o.number, o.id, o.total_fen AS totalFen FROM counter_sales cs JOIN orders o ON o.id = cs.order_id ORDER BY o.id DESC LIMIT 1`,
  );
}

/** The cells of a clearing account's row on the page: payments, received, fees, refunds, expected, ledger, explained, unexplained. */
function channelRow(html: string, channel: string): string[] {
  const row = new RegExp(`<tr data-channel="${channel}">([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? '';
  return [...row.matchAll(/<td>(?:<strong[^>]*>)?([^<]*)</g)].map((m) => m[1]!);
}

describe('counter sales at a charity supermarket', () => {
  it('reconcile as one payment on the till channel’s clearing account, and a refund goes back through that channel', async () => {
    const wechat = await counterSale('wechat');
    const cash = await counterSale('cash', [['gulou-shiitake', 2]]);
    let html = await reconciliation();
    expect(listedMismatches(html)).toEqual([]);
    expect(html).toContain('本月共有 2 笔到账、0 笔退款记录。');
    expect(channelRow(html, 'wechat').slice(0, 2)).toEqual(['1', formatFen(wechat.totalFen)]);
    expect(channelRow(html, 'cash').slice(0, 2)).toEqual(['1', formatFen(cash.totalFen)]);

    // The coordinator refunds part of the WeChat sale: the money leaves clearing:wechat, not the bank's.
    const refunded = await coordinator.post(
      `/coordinator/orders/${wechat.number}/refund`,
      { amount: '30', reason: '一罐蜂蜜结晶' },
      { csrfFrom: '/coordinator' },
    );
    expect(refunded.statusCode, refunded.body.slice(0, 400)).toBe(303);
    const clearing = ctx.db.sqlite
      .prepare(
        `SELECT a.code AS account, e.amount_fen AS amountFen FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id
         JOIN ledger_accounts a ON a.id = e.account_id WHERE t.order_id = ? AND t.kind = 'refund' AND a.kind = 'clearing'`,
      )
      .all(wechat.id);
    expect(clearing).toEqual([{ account: 'clearing:wechat', amountFen: -3000 }]);
    html = await reconciliation();
    expect(listedMismatches(html)).toEqual([]);
    expect(channelRow(html, 'wechat')[3]).toBe(formatFen(3000));
    expect(channelRow(html, 'bank').slice(0, 4)).toEqual(['0', formatFen(0), formatFen(0), formatFen(0)]);
    await expectLedgerSound(ctx.db);
  });
});

describe('every way money comes in', () => {
  /** The organisation of the demo trade union asks for a quote of tea, 明梅村's secretary answers it, the union accepts it: an order to pay by bank transfer. */
  async function quoteOrder() {
    const org = await signIn(ctx.app, 'org@xiangyi.test');
    expect((await org.post('/products/tuyao-tea/quote', { quantity: '120', note: '中秋慰问品' })).statusCode).toBe(303);
    const id = get<{ id: number }>(`SELECT max(id) AS id FROM quotes`).id;
    const secretary = await signIn(ctx.app, 'secretary.gulou@xiangyi.test');
    const validUntil = new Date(ctx.clock.now + 7 * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10);
    expect((await secretary.post(`/secretary/quotes/${id}/answer`, { unitPrice: '480', validUntil })).statusCode).toBe(303);
    const accepted = await org.post(`/account/organization/quotes/${id}/accept`, {
      ...CONTACT,
      name: '工会采购员',
      invoiceTitle: '深圳市福田区总工会',
      taxNumber: '81440304MC0A1B2C3J',
    });
    expect(accepted.statusCode, accepted.body.slice(0, 400)).toBe(303);
    return get<{ id: number; number: string }>(`SELECT o.id, o.number FROM quotes q JOIN orders o ON o.id = q.order_id WHERE q.id = ?`, id);
  }

  /** A donor claims the open wish of `child` and pays by Stripe. */
  async function wishDonation(child: string) {
    const wish = get<{ id: number }>(`SELECT id FROM wishes WHERE child_name = ? AND status = 'open'`, child);
    const claimed = await anonymous(ctx.app).post(
      `/wishes/${wish.id}/claim`,
      { name: '林晓', phone: '13800138000', paymentMethod: 'stripe' },
      { csrfFrom: `/wishes/${wish.id}` },
    );
    expect(claimed.statusCode, claimed.body.slice(0, 400)).toBe(303);
    const order = get<{ id: number; number: string }>(`SELECT o.id, o.number FROM wishes w JOIN orders o ON o.id = w.order_id WHERE w.id = ?`, wish.id);
    await stripePays(order.id);
    return order;
  }

  it('reconciles a clean month of online, bank, counter (cash and WeChat), wish and quote payments, each partly refunded, with nothing unexplained', async () => {
    const online = await placeUnpaid(ctx.app, ctx.db, 'stripe');
    await stripePays(online.id);
    const bank = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    const cash = await counterSale('cash', [['gulou-shiitake', 3]]);
    const wechat = await counterSale('wechat');
    const wish = await wishDonation('小花');
    const quote = await quoteOrder();
    expect(
      (await coordinator.post(`/coordinator/orders/${quote.number}/mark-paid`, { reference: 'BOC-20261201-1' }, { csrfFrom: '/coordinator' })).statusCode,
    ).toBe(303);
    for (const number of [online.number, bank.number, cash.number, wechat.number, wish.number, quote.number]) {
      const refunded = await coordinator.post(`/coordinator/orders/${number}/refund`, { amount: '12.34', reason: '部分退款' }, { csrfFrom: '/coordinator' });
      expect(refunded.statusCode, `${number}: ${refunded.body.slice(0, 300)}`).toBe(303);
    }
    expect(get<{ n: number }>(`SELECT count(*) AS n FROM refunds WHERE status = 'succeeded'`).n).toBe(6);

    const service = createReconciliationService(ctx.db, {
      clock: () => ctx.clock.now,
      audit: noAudit,
    });
    const report = await service.report(period());
    expect(report.mismatches).toEqual([]);
    expect(report.payments).toBe(6);
    expect(report.refunds).toBe(6);
    // Each clearing account moved in the ledger by exactly what its payments, fees and refunds say.
    const fees =
      fake.feeFor(online.totalFen) + fake.feeFor(get<{ totalFen: number }>(`SELECT total_fen AS totalFen FROM orders WHERE id = ?`, wish.id).totalFen);
    const totalOf = (...ids: number[]) =>
      ids.reduce((sum, id) => sum + get<{ totalFen: number }>(`SELECT total_fen AS totalFen FROM orders WHERE id = ?`, id).totalFen, 0);
    const expected: Record<string, { payments: number; movement: number }> = {
      stripe: { payments: 2, movement: totalOf(online.id, wish.id) - fees - 2 * 1234 },
      bank: { payments: 2, movement: totalOf(bank.orderId, quote.id) - 2 * 1234 },
      cash: { payments: 1, movement: totalOf(cash.id) - 1234 },
      wechat: { payments: 1, movement: totalOf(wechat.id) - 1234 },
    };
    for (const c of report.channels) {
      const want = expected[c.channel] ?? { payments: 0, movement: 0 };
      expect(c, c.channel).toMatchObject({
        payments: want.payments,
        expectedMovementFen: want.movement,
        ledgerMovementFen: want.movement,
        explainedFen: 0,
        unexplainedFen: 0,
      });
    }
    expect(report.channels.map((c) => c.channel).sort()).toEqual(expect.arrayContaining(Object.keys(expected).sort()));
    // The CSV's way (every payment classified as it streams past) says the same.
    const problems: string[] = [];
    expect(await service.report(period(), (line) => problems.push(...line.problems))).toEqual(report);
    expect(problems).toEqual([]);
    await expectLedgerSound(ctx.db);
  });
});

describe('Stripe fees charged in another currency', () => {
  it('are posted in yuan at the exchange rate, so the Stripe clearing account reconciles, and the fee as charged is on the page and in the CSV', async () => {
    // The charity's Stripe account settles in HKD: a fee of HKD 10.45 at 1.0875 HKD to the yuan is ¥9.61.
    fake.settlement = { currency: 'hkd', exchangeRate: 1.0875, fee: 1045 };
    const online = await placeUnpaid(ctx.app, ctx.db, 'stripe');
    await stripePays(online.id);

    const html = await reconciliation();
    expect(listedMismatches(html)).toEqual([]);
    expect(channelRow(html, 'stripe').slice(0, 3)).toEqual(['1', formatFen(online.totalFen), '¥9.61']);
    expect(channelRow(html, 'stripe')[5]).toBe(formatFen(online.totalFen - 961));
    expect(channelRow(html, 'stripe')[7]).toBe('¥0.00');
    expect(html).toContain('<li data-foreign-fee="hkd">HKD：1 笔付款，手续费共 HKD 10.45，折合 ¥9.61。</li>');

    const csv = await coordinator.get(`/coordinator/reconciliation.csv?period=${period()}`);
    const row = csv.body
      .split('\r\n')
      .find((r) => r.includes(online.number))!
      .split(',');
    expect(row.slice(0, 3)).toEqual(['付款', '一致', '']);
    expect(row[10]).toBe('9.61');
    expect(row.slice(-4)).toEqual(['10.45', 'HKD', '1.0875', '']);

    // Summed in SQL for the page and row by row for the CSV alike.
    const service = createReconciliationService(ctx.db, {
      clock: () => ctx.clock.now,
      audit: noAudit,
    });
    expect((await service.report(period())).foreignFees).toEqual([{ currency: 'hkd', payments: 1, chargedMinor: 1045, feesFen: 961 }]);
    expect(await service.report(period(), () => undefined)).toEqual(await service.report(period()));

    const english = await coordinator.get(`/coordinator/reconciliation?period=${period()}&lang=en`);
    expect(english.body).toContain('Payments settled in HKD: 1; fees of HKD 10.45 in all, posted as ¥9.61.');
  });

  it('lists a fee Stripe gave no exchange rate for as one it could not convert', async () => {
    fake.settlement = { currency: 'usd', exchangeRate: null, fee: 33 };
    const online = await placeUnpaid(ctx.app, ctx.db, 'stripe');
    await stripePays(online.id);
    const html = await reconciliation();
    expect(listedMismatches(html)).toEqual([['fee_unconverted', online.number]]);
    expect(html).toContain('Stripe 以 USD 0.33 收取了手续费，但没有给出汇率，无法折算成人民币记账');
  });
});

describe('planted mismatches', () => {
  it('are each flagged, with links, and nothing else is', async () => {
    const clean = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    const shortPaid = await placePaidOrder(ctx, [{ slug: 'meiyaogou-yuba', quantity: 3 }]);
    expect(listedMismatches(await reconciliation())).toEqual([]);

    // 1. A Stripe payment that succeeded for an order that had been cancelled.
    const late = await placeUnpaid(ctx.app, ctx.db, 'offline', 'dengfeng-walnuts');
    expect((await coordinator.post(`/coordinator/orders/${late.number}/cancel`, {}, { csrfFrom: '/coordinator' })).statusCode).toBe(303);
    run(
      `INSERT INTO payments (order_id, channel, status, amount_fen, fee_fen, stripe_payment_intent_id, stripe_charge_id, confirmed_at, created_at)
       VALUES (?, 'stripe', 'succeeded', ?, 251, 'pi_late', 'ch_late', ?, ?)`,
      late.id,
      late.totalFen,
      ctx.clock.now,
      ctx.clock.now,
    );
    // 2. An order marked paid with no payment behind it.
    const unbacked = await placeUnpaid(ctx.app, ctx.db, 'offline', 'dengfeng-millet');
    run(`UPDATE orders SET status = 'paid', paid_at = ? WHERE id = ?`, ctx.clock.now, unbacked.id);
    // 3. A payment whose amount differs from its order's total (and the ledger's clearing debit).
    run(`UPDATE payments SET amount_fen = amount_fen - 100 WHERE order_id = ?`, shortPaid.orderId);
    // 4. The bank clearing account moved by a posting that is no payment, refund or fee.
    const ledger = createLedgerService(ctx.db, { clock: () => ctx.clock.now });
    const stray = (
      await ledger.post({
        idempotencyKey: 'manual:stray-1',
        kind: 'adjustment',
        entries: [
          { account: { kind: 'clearing', channel: 'bank' }, amountFen: 500 },
          { account: { kind: 'operations' }, amountFen: -500 },
        ],
      })
    ).transaction;

    const html = await reconciliation();
    expect(listedMismatches(html)).toEqual(
      [
        ['amount_mismatch', shortPaid.number],
        ['clearing_off', `/coordinator/reconciliation/transactions/${stray.id}`],
        ['order_paid_without_payment', unbacked.number],
        ['payment_order_not_paid', late.number],
      ].sort(),
    );
    expect(html).not.toContain(clean.number);
    expect(html).toContain('对不上的项目（4）');
    expect(html).toContain('金额对不上：付款 ');
    expect(html).toContain('href="https://dashboard.stripe.com/payments/pi_late"');
    // Only the bank account is off, by exactly the stray ¥5; the late Stripe payment is explained by its own line.
    expect(/<tr data-channel="bank">[\s\S]*?badge-warn">-¥5.00</.test(html)).toBe(true);
    expect(/<tr data-channel="stripe">[\s\S]*?<\/tr>/.exec(html)![0]).not.toContain('badge-warn');

    // The page (SQL picks the suspect rows) and the CSV (every row classified) agree.
    const service = createReconciliationService(ctx.db, {
      clock: () => ctx.clock.now,
      audit: noAudit,
    });
    const streamed: string[] = [];
    const full = await service.report(period(), (line) => streamed.push(line.problems.join(' ')));
    expect(full).toEqual(await service.report(period()));
    expect(streamed.filter(Boolean).sort()).toEqual(['amount_mismatch', 'payment_order_not_paid fee_not_posted']);

    // The posting's page shows its entries and hash.
    const tx = await coordinator.get(`/coordinator/reconciliation/transactions/${stray.id}?period=${period()}`);
    expect(tx.statusCode).toBe(200);
    expect(tx.body).toContain(stray.hash);
    expect(tx.body).toContain('clearing:bank');
    expect((await coordinator.get('/coordinator/reconciliation/transactions/999999')).statusCode).toBe(404);
  });

  it('flags a ledger payment posting with no payment row, a payment never posted, and a refund posting without a refund', async () => {
    const noRow = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    const refunded = await placePaidOrder(ctx, [{ slug: 'meiyaogou-yuba', quantity: 2 }]);
    expect(
      (await coordinator.post(`/coordinator/orders/${refunded.number}/refund`, { amount: '5', reason: '破损' }, { csrfFrom: '/coordinator' })).statusCode,
    ).toBe(303);
    run(`DELETE FROM payments WHERE order_id = ?`, noRow.orderId);
    run(`UPDATE refunds SET status = 'failed' WHERE order_id = ?`, refunded.orderId);
    const unposted = await placeUnpaid(ctx.app, ctx.db, 'offline', 'dengfeng-millet');
    run(`UPDATE orders SET status = 'paid', paid_at = ? WHERE id = ?`, ctx.clock.now, unposted.id);
    run(
      `INSERT INTO payments (order_id, channel, status, amount_fen, reference, confirmed_at, created_at) VALUES (?, 'bank', 'succeeded', ?, 'BANK-X', ?, ?)`,
      unposted.id,
      unposted.totalFen,
      ctx.clock.now,
      ctx.clock.now,
    );

    expect(listedMismatches(await reconciliation())).toEqual(
      [
        ['payment_without_posting', unposted.number],
        ['posting_without_payment', noRow.number],
        ['posting_without_refund', refunded.number],
      ].sort(),
    );
  });

  it('flags a Stripe payment that arrived after its order had been cancelled (the webhook records it, nothing is posted)', async () => {
    const order = await placeUnpaid(ctx.app, ctx.db, 'stripe');
    expect((await coordinator.post(`/coordinator/orders/${order.number}/cancel`, {}, { csrfFrom: '/coordinator' })).statusCode).toBe(303);
    await stripePays(order.id);
    expect(get<{ status: string }>(`SELECT status FROM payments WHERE order_id = ?`, order.id).status).toBe('succeeded');
    expect(listedMismatches(await reconciliation())).toEqual([['payment_order_not_paid', order.number]]);
  });
});

describe('the CSV export', () => {
  it('is UTF-8 with a byte-order mark, one row per payment with its match, then the other mismatches', async () => {
    const paid = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }], { reference: 'ICBC-20261125-77' });
    const unbacked = await placeUnpaid(ctx.app, ctx.db, 'offline', 'dengfeng-millet');
    run(`UPDATE orders SET status = 'paid', paid_at = ? WHERE id = ?`, ctx.clock.now, unbacked.id);

    const res = await coordinator.get(`/coordinator/reconciliation.csv?period=${period()}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="reconciliation-${period()}.csv"`);
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const [header, ...rows] = res.body
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(header).toBe(
      '项目,状态,问题,订单号,订单状态,付款编号,渠道,转账附言 / Stripe 编号,到账时间,付款金额（元）,手续费（元）,净额（元）,订单总额（元）,账本清算金额（元）,账本记录编号,账本记录哈希,手续费原币金额,手续费币种,汇率（1 元人民币兑）,协调员说明',
    );
    expect(rows).toHaveLength(2);
    const payment = rows.find((r) => r.includes(paid.number))!.split(',');
    const total = get<{ totalFen: number }>(`SELECT total_fen AS totalFen FROM orders WHERE id = ?`, paid.orderId).totalFen;
    const tx = get<{ id: number; hash: string }>(`SELECT id, hash FROM ledger_transactions WHERE idempotency_key = ?`, `order-paid:${paid.orderId}`);
    expect(payment.slice(0, 8)).toEqual(['付款', '一致', '', paid.number, 'paid', payment[5], 'bank', 'ICBC-20261125-77']);
    expect(payment.slice(9)).toEqual([
      (total / 100).toFixed(2),
      '0.00',
      (total / 100).toFixed(2),
      (total / 100).toFixed(2),
      (total / 100).toFixed(2),
      String(tx.id),
      tx.hash,
      '',
      '',
      '',
      '',
    ]);
    expect(rows.find((r) => r.includes(unbacked.number))).toMatch(/^订单,不一致,order_paid_without_payment,/);
  });
});

describe('closing a month', () => {
  it('locks the month: a later refund of an order paid in it posts in the next period, and both months still reconcile', async () => {
    const order = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    const p = period();
    const before = await reconciliation(p);
    expect(before).toContain(`结账 ${p}`);
    expect(before).toContain('还没有结账的月份。');

    const closed = await coordinator.post(`/coordinator/periods/${p}/close`, {}, { csrfFrom: '/coordinator' });
    expect(closed.statusCode).toBe(303);
    expect(closed.headers.location).toBe(`/coordinator/reconciliation?period=${p}`);
    expect(get<{ n: number }>(`SELECT count(*) AS n FROM period_locks WHERE period = ?`, p).n).toBe(1);
    const audit = get<{ userEmail: string; summary: string }>(
      `SELECT u.email AS userEmail, a.summary FROM audit_log a JOIN users u ON u.id = a.user_id WHERE a.action = 'period.close' AND a.entity_id = ?`,
      p,
    );
    expect(audit.userEmail).toBe('coordinator@xiangyi.test');

    const after = await reconciliation(p);
    expect(after).toContain('data-period-state="closed"');
    expect(after).not.toContain(`action="/coordinator/periods/${p}/close"`);
    expect(/<ul data-closed-periods><li><a href="\/coordinator\/reconciliation\?period(?:=|&#x3D;)(\d{4}-\d{2})">/.exec(after)?.[1]).toBe(p);

    // The clock has not left the month, yet the refund lands in the next one.
    expect(
      (await coordinator.post(`/coordinator/orders/${order.number}/refund`, { amount: '20', reason: '蜂蜜结晶' }, { csrfFrom: '/coordinator' })).statusCode,
    ).toBe(303);
    const refund = get<{ period: string; postedAt: number }>(
      `SELECT period, posted_at AS postedAt FROM ledger_transactions WHERE kind = 'refund' AND order_id = ?`,
      order.orderId,
    );
    expect(periodOf(refund.postedAt)).toBe(p);
    expect(refund.period).toBe(nextPeriod(p));
    expect(listedMismatches(await reconciliation(p))).toEqual([]);
    const next = await reconciliation(nextPeriod(p));
    expect(listedMismatches(next)).toEqual([]);
    expect(next).toContain('本月共有 0 笔到账、1 笔退款记录。');
    await expectLedgerSound(ctx.db);

    // Closing twice is a conflict; a month not yet begun cannot be closed; a malformed one does not exist.
    expect((await coordinator.post(`/coordinator/periods/${p}/close`, {}, { csrfFrom: '/coordinator' })).statusCode).toBe(409);
    expect((await coordinator.post(`/coordinator/periods/${nextPeriod(nextPeriod(p))}/close`, {}, { csrfFrom: '/coordinator' })).statusCode).toBe(409);
    expect((await coordinator.post('/coordinator/periods/2026-13/close', {}, { csrfFrom: '/coordinator' })).statusCode).toBe(404);
    expect(get<{ n: number }>(`SELECT count(*) AS n FROM period_locks`).n).toBe(1);
  });
});

describe('closing a month with mismatches', () => {
  /** The key and note form of the listed mismatch about `orderNumber` (the hidden key field of its form). */
  function mismatchKeyOf(html: string, kind: string, orderNumber: string): string {
    const item = [...html.matchAll(/<li class="console-form" data-mismatch="([a-z_]+)">([\s\S]*?)<\/form>/g)].find(
      (m) => m[1] === kind && m[2]!.includes(orderNumber),
    );
    expect(item, `${kind} of ${orderNumber} is listed`).toBeDefined();
    return /name="key" value="([^"]+)"/.exec(item![2]!)![1]!.replace(/&#x3A;/g, ':');
  }
  const periodLocks = () => get<{ n: number }>(`SELECT count(*) AS n FROM period_locks`).n;
  const notes = () => ctx.db.sqlite.prepare(`SELECT period, mismatch_key AS mismatchKey, note FROM reconciliation_notes ORDER BY id`).all();

  it('is refused (409, with the reason on the page) until each mismatch is resolved or explained by a coordinator’s note', async () => {
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    const unbacked = await placeUnpaid(ctx.app, ctx.db, 'offline', 'dengfeng-millet');
    run(`UPDATE orders SET status = 'paid', paid_at = ? WHERE id = ?`, ctx.clock.now, unbacked.id);
    const p = period();
    let html = await reconciliation(p);
    expect(listedMismatches(html)).toEqual([['order_paid_without_payment', unbacked.number]]);
    expect(html).toContain('还有 1 项既未解决也没有说明');

    // Closing now is refused: the page says why, next to the button, and nothing is locked.
    const refused = await coordinator.post(`/coordinator/periods/${p}/close`, {}, { csrfFrom: '/coordinator' });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain(`${p} 还有 1 项对不上的项目既未解决也没有说明，不能结账。`);
    expect(refused.body).toContain('data-close-error');
    expect(periodLocks()).toBe(0);
    expect(get<{ n: number }>(`SELECT count(*) AS n FROM audit_log WHERE action = 'period.close'`).n).toBe(0);

    // An empty note is refused with a field message; a note on an item that is not listed is a conflict. Nothing is kept.
    const key = mismatchKeyOf(html, 'order_paid_without_payment', unbacked.number);
    expect(key).toBe(`order_paid_without_payment:order:${unbacked.number}`);
    const empty = await coordinator.post(`/coordinator/periods/${p}/notes`, { key, note: '   ' }, { csrfFrom: '/coordinator' });
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toMatch(/<p class="field-error" id="e-note-0" role="alert">请写下说明。<\/p>/);
    expect(empty.body).toMatch(/<details open>/);
    const tooLong = await coordinator.post(`/coordinator/periods/${p}/notes`, { key, note: '长'.repeat(1001) }, { csrfFrom: '/coordinator' });
    expect(tooLong.statusCode).toBe(422);
    expect(tooLong.body).toContain('说明最多 1000 个字。');
    expect(tooLong.body).toContain('长'.repeat(1001)); // what was typed is kept
    const unknown = await coordinator.post(
      `/coordinator/periods/${p}/notes`,
      { key: 'amount_mismatch:payment:999999', note: '核对过了' },
      { csrfFrom: '/coordinator' },
    );
    expect(unknown.statusCode).toBe(409);
    expect(unknown.body).toContain('这一项现在已经对上了，或者不是这个月的项目');
    const noToken = await coordinator.post(`/coordinator/periods/${p}/notes`, { key, note: '核对过了' }, { withoutCsrf: true });
    expect(noToken.statusCode).toBe(403);
    expect(notes()).toEqual([]);

    // The coordinator explains it: kept, audit-logged, shown with who and when; the month can now close.
    const explained = await coordinator.post(`/coordinator/periods/${p}/notes`, { key, note: '银行回单已找到，补录付款中。' }, { csrfFrom: '/coordinator' });
    expect(explained.statusCode).toBe(303);
    expect(explained.headers.location).toBe(`/coordinator/reconciliation?period=${p}#m-${encodeURIComponent(key)}`);
    expect(notes()).toEqual([{ period: p, mismatchKey: key, note: '银行回单已找到，补录付款中。' }]);
    const audit = get<{ email: string; entityId: string; summary: string }>(
      `SELECT u.email, a.entity_id AS entityId, a.summary FROM audit_log a JOIN users u ON u.id = a.user_id WHERE a.action = 'reconciliation.note'`,
    );
    expect(audit).toMatchObject({ email: 'coordinator@xiangyi.test', entityId: p });
    expect(JSON.parse(audit.summary)).toMatchObject({ after: { mismatch: key, note: '银行回单已找到，补录付款中。' } });
    html = await reconciliation(p);
    expect(listedMismatches(html)).toEqual([['order_paid_without_payment', unbacked.number]]);
    expect(html).toContain('data-explained');
    expect(html).toContain('<li><p>银行回单已找到，补录付款中。</p><p class="hint">陈协调，');
    expect(html).toContain('所有对不上的项目都已写明说明，可以结账。');

    // A second note adds to the history; the notes table refuses changes and removals.
    expect((await coordinator.post(`/coordinator/periods/${p}/notes`, { key, note: '已补录。' }, { csrfFrom: '/coordinator' })).statusCode).toBe(303);
    html = await reconciliation(p);
    expect(html.indexOf('银行回单已找到')).toBeLessThan(html.indexOf('已补录。'));
    expect(() => run(`UPDATE reconciliation_notes SET note = 'x'`)).toThrow(/append-only/);
    expect(() => run(`DELETE FROM reconciliation_notes`)).toThrow(/append-only/);

    // The CSV carries the notes on the mismatch's row.
    const csv = await coordinator.get(`/coordinator/reconciliation.csv?period=${p}`);
    const row = csv.body.split('\r\n').find((r) => r.includes(unbacked.number))!;
    expect(row).toMatch(/^订单,不一致,order_paid_without_payment,/);
    expect(row).toMatch(/,银行回单已找到，补录付款中。（陈协调，[^）]+） \| 已补录。（陈协调，[^）]+）$/);

    const closed = await coordinator.post(`/coordinator/periods/${p}/close`, {}, { csrfFrom: '/coordinator' });
    expect(closed.statusCode).toBe(303);
    expect(periodLocks()).toBe(1);
  });

  it('counts a mismatch as resolved once it no longer shows, and keeps its notes apart', async () => {
    const paid = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    run(`UPDATE payments SET amount_fen = amount_fen - 100 WHERE order_id = ?`, paid.orderId);
    const p = period();
    const key = mismatchKeyOf(await reconciliation(p), 'amount_mismatch', paid.number);
    expect(
      (await coordinator.post(`/coordinator/periods/${p}/notes`, { key, note: '录入时少打了一元，正在更正。' }, { csrfFrom: '/coordinator' })).statusCode,
    ).toBe(303);
    // Corrected: nothing is listed any more, the note stays in the record of the month.
    run(`UPDATE payments SET amount_fen = amount_fen + 100 WHERE order_id = ?`, paid.orderId);
    const html = await reconciliation(p);
    expect(listedMismatches(html)).toEqual([]);
    expect(html).toMatch(/<ol data-resolved-notes><li><p>录入时少打了一元，正在更正。<\/p>/);
    expect((await coordinator.post(`/coordinator/periods/${p}/close`, {}, { csrfFrom: '/coordinator' })).statusCode).toBe(303);
  });

  it('does not let a note on one unexplained clearing difference explain another', async () => {
    const ledger = createLedgerService(ctx.db, { clock: () => ctx.clock.now });
    const stray = (key: string, fen: number) =>
      ledger.post({
        idempotencyKey: key,
        kind: 'adjustment',
        entries: [
          { account: { kind: 'clearing', channel: 'bank' }, amountFen: fen },
          { account: { kind: 'operations' }, amountFen: -fen },
        ],
      });
    await stray('manual:stray-1', 500);
    const p = period();
    let html = await reconciliation(p);
    const key = /name="key" value="(clearing_off[^"]+)"/.exec(html)![1]!.replace(/&#x3A;/g, ':');
    expect(key).toBe('clearing_off:clearing:bank:-500');
    expect((await coordinator.post(`/coordinator/periods/${p}/notes`, { key, note: '柜台备用金，月底冲回。' }, { csrfFrom: '/coordinator' })).statusCode).toBe(
      303,
    );
    // Another ¥3 arrives on the account from nowhere: the difference is not the one explained.
    await stray('manual:stray-2', 300);
    html = await reconciliation(p);
    expect(html).not.toContain('data-explained');
    expect((await coordinator.post(`/coordinator/periods/${p}/close`, {}, { csrfFrom: '/coordinator' })).statusCode).toBe(409);
    expect(periodLocks()).toBe(0);
  });

  it('is explained in English too', async () => {
    const unbacked = await placeUnpaid(ctx.app, ctx.db, 'offline', 'dengfeng-millet');
    run(`UPDATE orders SET status = 'paid', paid_at = ? WHERE id = ?`, ctx.clock.now, unbacked.id);
    const p = period();
    const page = await coordinator.get(`/coordinator/reconciliation?period=${p}&lang=en`);
    expect(page.body).toContain('Neither resolved nor explained yet: 1.');
    expect(page.body).toContain('Explain this');
    expect(page.body).toContain('Note: why it does not match and what was done');
    const refused = await coordinator.post(`/coordinator/periods/${p}/close?lang=en`, {}, { csrfFrom: '/coordinator' });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain(`${p} cannot be closed while some of its mismatches are neither resolved nor explained (1 left).`);
  });

  it('lets only coordinators of all projects write notes', async () => {
    const unbacked = await placeUnpaid(ctx.app, ctx.db, 'offline', 'dengfeng-millet');
    run(`UPDATE orders SET status = 'paid', paid_at = ? WHERE id = ?`, ctx.clock.now, unbacked.id);
    await createScopedCoordinator(ctx.db, 'scoped@xiangyi.test', ['xiaoji-kuaipao']);
    const scoped = await signIn(ctx.app, 'scoped@xiangyi.test', STAFF_PASSWORD);
    const key = `order_paid_without_payment:order:${unbacked.number}`;
    expect((await scoped.post(`/coordinator/periods/${period()}/notes`, { key, note: '我来说明' }, { csrfFrom: '/coordinator' })).statusCode).toBe(403);
    const buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
    expect((await buyer.post(`/coordinator/periods/${period()}/notes`, { key, note: '我来说明' }, { csrfFrom: '/' })).statusCode).toBe(403);
    expect(notes()).toEqual([]);
  });
});
