import { request } from 'undici';
import { type SQL, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { Database_ } from '../../src/db/client.js';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { rowOf, rowsOf } from '../helpers/db-query.js';
import { startFakeStripe, type FakeCheckoutSession, type FakeStripe } from '../helpers/fake-stripe.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { startLiveServer } from '../helpers/live-server.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Paying online with Stripe: the buyer is sent to a Checkout Session in yuan with card, Alipay and
 * WeChat Pay; the order becomes paid only from a verified webhook, once, whatever order and however
 * often Stripe delivers events; fees and refunds reach the ledger exactly.
 */

let fake: FakeStripe;
let ctx: TestContext;

beforeEach(async () => {
  fake = await startFakeStripe();
  ctx = await createTestApp({ env: fake.env, stripe: fake.client });
});
afterEach(async () => {
  await ctx.close();
  await fake.close();
});

const CONTACT = { name: '张三', phone: '13800138000', province: '广东省', city: '深圳市', district: '福田区', address: '福华路 88 号' };

/** The first row of an engine-neutral query (tests/helpers/db-query.ts), which the test expects to find. */
const get = async <T>(db: Database_, query: SQL) => (await rowOf<T>(db, query)) as T;
const getAll = <T>(db: Database_, query: SQL) => rowsOf<T>(db, query);
const stockOf = async (db: Database_, slug: string) => (await get<{ stock: number }>(db, sql`SELECT stock FROM products WHERE slug = ${slug}`)).stock;
const productId = async (db: Database_, slug: string) => (await get<{ id: number }>(db, sql`SELECT id FROM products WHERE slug = ${slug}`)).id;
const ledgerTransactions = async (db: Database_) => (await get<{ n: number }>(db, sql`SELECT count(*) AS n FROM ledger_transactions`)).n;
const stripeEvents = async (db: Database_) => (await get<{ n: number }>(db, sql`SELECT count(*) AS n FROM stripe_events`)).n;
const balanceOf = async (db: Database_, code: string) =>
  (
    await get<{ b: number }>(
      db,
      sql`SELECT coalesce(sum(e.amount_fen), 0) AS b FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE a.code = ${code}`,
    )
  ).b;
const orderRow = async (db: Database_, id: number) =>
  await get<{ id: number; number: string; status: string; totalFen: number; shippingFen: number; refundedFen: number; paidAt: number | null }>(
    db,
    sql`SELECT id, number, status, total_fen AS "totalFen", shipping_fen AS "shippingFen", refunded_fen AS "refundedFen", paid_at AS "paidAt" FROM orders WHERE id = ${id}`,
  );
const paymentRow = async (db: Database_, orderId: number) =>
  await get<{ status: string; amountFen: number; feeFen: number; intent: string | null; charge: string | null; session: string | null }>(
    db,
    sql`SELECT status, amount_fen AS "amountFen", fee_fen AS "feeFen", stripe_payment_intent_id AS intent, stripe_charge_id AS charge, stripe_checkout_session_id AS session FROM payments WHERE order_id = ${orderId}`,
  );
const postingsOf = async (db: Database_, orderId: number) =>
  getAll<{ id: number; kind: string; key: string }>(
    db,
    sql`SELECT id, kind, idempotency_key AS key FROM ledger_transactions WHERE order_id = ${orderId} ORDER BY id`,
  );
const entriesOf = async (db: Database_, transactionId: number) =>
  getAll<{ code: string; amountFen: number }>(
    db,
    sql`SELECT a.code, e.amount_fen AS "amountFen" FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE e.transaction_id = ${transactionId} ORDER BY e.id`,
  );
const auditActions = async (db: Database_, action: string) =>
  (await get<{ n: number }>(db, sql`SELECT count(*) AS n FROM audit_log WHERE action = ${action}`)).n;

interface PlacedStripeOrder {
  buyer: TestBrowser;
  orderId: number;
  number: string;
  token: string;
  session: FakeCheckoutSession;
}

/** A visitor puts honey and shoes in the cart and checks out paying online; returns the order and its session. */
async function checkoutWithStripe(app: App, db: Database_): Promise<PlacedStripeOrder> {
  const buyer = anonymous(app);
  expect((await buyer.post('/cart/items', { productId: String(await productId(db, 'meiyaogou-honey')), quantity: '2' })).statusCode).toBe(303);
  expect((await buyer.post('/cart/items', { productId: String(await productId(db, 'tiger-head-shoes')), quantity: '1' })).statusCode).toBe(303);
  const res = await buyer.post('/checkout', { ...CONTACT, paymentMethod: 'stripe' });
  expect(res.statusCode).toBe(303);
  const { id: orderId } = await get<{ id: number }>(db, sql`SELECT max(id) AS id FROM orders`);
  const session = fake.sessionOfOrder(orderId)!;
  expect(session, 'the fake Stripe received a Checkout Session for the order').toBeDefined();
  expect(res.headers.location).toBe(session.url);
  const success = new URL(String(session.params.success_url));
  return { buyer, orderId, number: success.searchParams.get('order')!, token: success.searchParams.get('token')!, session };
}

/** POSTs a webhook body exactly as Stripe would send it. */
function deliver(app: App, event: { payload: string; signature: string }, signature: string | null = event.signature) {
  return app.inject({
    method: 'POST',
    url: '/webhooks/stripe',
    headers: { 'content-type': 'application/json; charset=utf-8', ...(signature === null ? {} : { 'stripe-signature': signature }) },
    payload: event.payload,
  });
}

async function pay(placed: PlacedStripeOrder, app = ctx.app) {
  const res = await deliver(app, fake.event('checkout.session.completed', fake.session(placed.session.id)));
  expect(res.statusCode).toBe(200);
  return res;
}

describe('checking out with Stripe', () => {
  it('sends the buyer to a Checkout Session in yuan with card, Alipay and WeChat Pay for exactly the order total', async () => {
    const honeyBefore = await stockOf(ctx.db, 'meiyaogou-honey');
    const placed = await checkoutWithStripe(ctx.app, ctx.db);
    const order = await orderRow(ctx.db, placed.orderId);
    // biome-ignore lint/suspicious/noExplicitAny: the fake's recorded Stripe parameters are read as loosely as Stripe takes them
    const p = placed.session.params as Record<string, any>;

    expect(order.status).toBe('pending_payment');
    expect(p.mode).toBe('payment');
    expect(p.currency).toBe('cny');
    expect(p.allowed_payment_method_types).toEqual(['card', 'alipay', 'wechat_pay']);
    expect(p.payment_method_types).toBeUndefined();
    expect(p.payment_method_options).toEqual({ wechat_pay: { client: 'web' } });
    expect(p.client_reference_id).toBe(String(placed.orderId));
    expect(p.metadata).toEqual({ orderId: String(placed.orderId), orderNumber: placed.number });
    expect(p.payment_intent_data.metadata).toEqual({ orderId: String(placed.orderId), orderNumber: placed.number });
    expect(p.success_url).toBe(`${ctx.config.publicUrl}/checkout/success?order=${placed.number}&token=${encodeURIComponent(placed.token)}`);
    expect(p.cancel_url).toBe(`${ctx.config.publicUrl}/checkout/cancel?order=${placed.number}&token=${encodeURIComponent(placed.token)}`);

    // Lines in fen, Chinese titles, and shipping as its own line: together exactly the order total.
    const lines = p.line_items as { price_data: { currency: string; unit_amount: string; product_data: { name: string } }; quantity: string }[];
    expect(lines.every((l) => l.price_data.currency === 'cny')).toBe(true);
    expect(lines[0]).toMatchObject({ price_data: { unit_amount: '6800', product_data: { name: '煤窑沟土蜂蜜' } }, quantity: '2' });
    expect(lines.reduce((a, l) => a + Number(l.price_data.unit_amount) * Number(l.quantity), 0)).toBe(order.totalFen);
    if (order.shippingFen > 0)
      expect(lines.at(-1)).toMatchObject({ price_data: { unit_amount: String(order.shippingFen), product_data: { name: '运费' } }, quantity: '1' });

    // The session lasts what Stripe allows (30 min – 24 h) and the request is keyed by the order.
    const expiresAt = Number(p.expires_at) * 1000;
    expect(expiresAt).toBeGreaterThanOrEqual(ctx.clock.now + 30 * 60_000);
    expect(expiresAt).toBeLessThanOrEqual(ctx.clock.now + 24 * 3_600_000);
    const create = fake.requests.find((r) => r.path === '/v1/checkout/sessions')!;
    expect(create.idempotencyKey).toBe(`checkout-session:${placed.orderId}`);

    // A pending payment names the session; the stock is held and the cart emptied.
    expect(await paymentRow(ctx.db, placed.orderId)).toMatchObject({ status: 'pending', amountFen: order.totalFen, session: placed.session.id });
    expect(await stockOf(ctx.db, 'meiyaogou-honey')).toBe(honeyBefore - 2);
    expect((await placed.buyer.get('/cart')).body).toContain('购物车是空的');
  });

  it('says the payment is being confirmed after the redirect back, and shows it paid only once the webhook lands', async () => {
    const placed = await checkoutWithStripe(ctx.app, ctx.db);
    const back = await placed.buyer.get(`/checkout/success?order=${placed.number}&token=${encodeURIComponent(placed.token)}`);
    expect(back.statusCode).toBe(303);
    const page = await placed.buyer.get(back.headers.location as string);
    expect(page.body).toContain('正在确认付款');
    expect(page.body).toContain('data-status="pending_payment"');
    expect((await orderRow(ctx.db, placed.orderId)).paidAt).toBeNull();

    await pay(placed);
    const after = await placed.buyer.get(back.headers.location as string);
    expect(after.body).not.toContain('正在确认付款');
    expect(after.body).toContain('data-status="paid"');
  });

  it('keeps the cart and releases the stock when Stripe answers with an error, and leaves no order pending', async () => {
    const honeyBefore = await stockOf(ctx.db, 'meiyaogou-honey');
    fake.failWith = 500;
    const buyer = anonymous(ctx.app);
    await buyer.post('/cart/items', { productId: String(await productId(ctx.db, 'meiyaogou-honey')), quantity: '2' });
    const res = await buyer.post('/checkout', { ...CONTACT, paymentMethod: 'stripe' });

    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('暂时无法连接在线支付');
    expect(res.body).toContain('name="paymentMethod"');
    expect((await get<{ n: number }>(ctx.db, sql`SELECT count(*) AS n FROM orders WHERE status = 'pending_payment'`)).n).toBe(0);
    expect((await get<{ status: string }>(ctx.db, sql`SELECT status FROM orders ORDER BY id DESC LIMIT 1`)).status).toBe('cancelled');
    expect(await stockOf(ctx.db, 'meiyaogou-honey')).toBe(honeyBefore);
    expect((await buyer.get('/cart')).body).toContain('煤窑沟土蜂蜜');
  });

  it('keeps the cart and releases the stock when Stripe cannot be reached at all', async () => {
    const honeyBefore = await stockOf(ctx.db, 'meiyaogou-honey');
    await fake.close();
    const buyer = anonymous(ctx.app);
    await buyer.post('/cart/items', { productId: String(await productId(ctx.db, 'meiyaogou-honey')), quantity: '1' });
    const res = await buyer.post('/checkout', { ...CONTACT, paymentMethod: 'stripe' });

    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('暂时无法连接在线支付');
    expect((await get<{ n: number }>(ctx.db, sql`SELECT count(*) AS n FROM orders WHERE status = 'pending_payment'`)).n).toBe(0);
    expect(await stockOf(ctx.db, 'meiyaogou-honey')).toBe(honeyBefore);
    expect((await buyer.get('/cart')).body).toContain('煤窑沟土蜂蜜');
  });
});

describe('the Stripe webhook', () => {
  it('marks the order paid from a verified checkout.session.completed and posts the payment and the processor fee', async () => {
    const placed = await checkoutWithStripe(ctx.app, ctx.db);
    const total = (await orderRow(ctx.db, placed.orderId)).totalFen;
    const fee = fake.feeFor(total);

    const res = await pay(placed);
    expect(res.json()).toMatchObject({ received: true });

    expect((await orderRow(ctx.db, placed.orderId)).status).toBe('paid');
    expect(await paymentRow(ctx.db, placed.orderId)).toEqual({
      status: 'succeeded',
      amountFen: total,
      feeFen: fee,
      intent: placed.session.paymentIntentId,
      charge: placed.session.chargeId,
      session: placed.session.id,
    });
    expect((await postingsOf(ctx.db, placed.orderId)).map((t) => [t.kind, t.key])).toEqual([
      ['order_payment', `order-paid:${placed.orderId}`],
      ['processor_fee', `stripe-fee:${placed.session.chargeId}`],
    ]);
    expect(await balanceOf(ctx.db, 'fees:stripe')).toBe(fee);
    expect(await balanceOf(ctx.db, 'clearing:stripe')).toBe(total - fee);
    // The PaymentIntent was read with its charge's balance transaction.
    const read = fake.requests.find((r) => r.path === `/v1/payment_intents/${placed.session.paymentIntentId}`)!;
    expect(read.params.expand).toEqual(['latest_charge.balance_transaction']);
    await expectLedgerSound(ctx.db);
  });

  it('posts a fee Stripe charged in HKD or USD in yuan at the balance transaction’s exchange rate, keeping what was charged', async () => {
    // The charity's account settles in HKD: HKD 10.45 at 1.0875 HKD per yuan is ¥9.61 (¥9.6091…).
    fake.settlement = { currency: 'hkd', exchangeRate: 1.0875, fee: 1045 };
    const hkd = await checkoutWithStripe(ctx.app, ctx.db);
    const hkdTotal = (await orderRow(ctx.db, hkd.orderId)).totalFen;
    await pay(hkd);
    expect(await paymentRow(ctx.db, hkd.orderId)).toMatchObject({ status: 'succeeded', amountFen: hkdTotal, feeFen: 961 });
    expect(
      await get(
        ctx.db,
        sql`SELECT settlement_currency AS currency, settlement_fee_minor AS "feeMinor", settlement_exchange_rate AS rate FROM payments WHERE order_id = ${hkd.orderId}`,
      ),
    ).toEqual({ currency: 'hkd', feeMinor: 1045, rate: '1.0875' });
    const fee = (await postingsOf(ctx.db, hkd.orderId)).find((t) => t.kind === 'processor_fee')!;
    expect(await entriesOf(ctx.db, fee.id)).toEqual([
      { code: 'fees:stripe', amountFen: 961 },
      { code: 'clearing:stripe', amountFen: -961 },
    ]);
    expect((await get<{ memo: string }>(ctx.db, sql`SELECT memo FROM ledger_transactions WHERE id = ${fee.id}`)).memo).toBe(
      `stripe fee ${hkd.session.chargeId}: HKD 10.45 at 1.0875 HKD per CNY`,
    );

    // Another settles in USD: USD 0.33 at 0.1392 USD per yuan is ¥2.37 (¥2.3707…).
    fake.settlement = { currency: 'usd', exchangeRate: 0.1392, fee: 33 };
    const usd = await checkoutWithStripe(ctx.app, ctx.db);
    await pay(usd);
    expect((await paymentRow(ctx.db, usd.orderId)).feeFen).toBe(237);
    expect(await balanceOf(ctx.db, 'fees:stripe')).toBe(961 + 237);
    expect(await balanceOf(ctx.db, 'clearing:stripe')).toBe(hkdTotal - 961 + (await orderRow(ctx.db, usd.orderId)).totalFen - 237);
    expect(await auditActions(ctx.db, 'payment.fee_unposted')).toBe(0);
    await expectLedgerSound(ctx.db);
  });

  it('posts no fee it cannot convert (no exchange rate), records what was charged, and says so in the audit log', async () => {
    fake.settlement = { currency: 'hkd', exchangeRate: null, fee: 1045 };
    const placed = await checkoutWithStripe(ctx.app, ctx.db);
    await pay(placed);
    expect((await orderRow(ctx.db, placed.orderId)).status).toBe('paid');
    expect((await postingsOf(ctx.db, placed.orderId)).map((t) => t.kind)).toEqual(['order_payment']);
    expect(
      await get(
        ctx.db,
        sql`SELECT fee_fen AS "feeFen", settlement_currency AS currency, settlement_fee_minor AS "feeMinor", settlement_exchange_rate AS rate FROM payments WHERE order_id = ${placed.orderId}`,
      ),
    ).toEqual({ feeFen: 0, currency: 'hkd', feeMinor: 1045, rate: null });
    expect(await auditActions(ctx.db, 'payment.fee_unposted')).toBe(1);
  });

  it('changes nothing for a completed session that is not paid yet', async () => {
    const placed = await checkoutWithStripe(ctx.app, ctx.db);
    const before = await ledgerTransactions(ctx.db);
    const res = await deliver(ctx.app, fake.event('checkout.session.completed', fake.session(placed.session.id, { payment_status: 'unpaid' })));

    expect(res.statusCode).toBe(200);
    expect((await orderRow(ctx.db, placed.orderId)).status).toBe('pending_payment');
    expect((await paymentRow(ctx.db, placed.orderId)).status).toBe('pending');
    expect(await ledgerTransactions(ctx.db)).toBe(before);
  });

  it('refuses a payload with a bad or missing signature with 400 and changes nothing', async () => {
    const placed = await checkoutWithStripe(ctx.app, ctx.db);
    const before = await ledgerTransactions(ctx.db);
    const genuine = fake.event('checkout.session.completed', fake.session(placed.session.id));
    const forged = fake.event('checkout.session.completed', fake.session(placed.session.id), { secret: 'whsec_not_ours' });

    expect((await deliver(ctx.app, forged)).statusCode).toBe(400);
    expect((await deliver(ctx.app, genuine, null)).statusCode).toBe(400);
    expect((await deliver(ctx.app, { payload: genuine.payload.replace('"paid"', '"paid" '), signature: genuine.signature })).statusCode).toBe(400);
    expect((await deliver(ctx.app, genuine, 't=1,v1=deadbeef')).statusCode).toBe(400);

    expect((await orderRow(ctx.db, placed.orderId)).status).toBe('pending_payment');
    expect(await ledgerTransactions(ctx.db)).toBe(before);
    expect(await stripeEvents(ctx.db)).toBe(0);
  });

  it('answers a replayed event with 200 and posts nothing a second time', async () => {
    const placed = await checkoutWithStripe(ctx.app, ctx.db);
    const event = fake.event('checkout.session.completed', fake.session(placed.session.id));
    expect((await deliver(ctx.app, event)).statusCode).toBe(200);
    const after = await ledgerTransactions(ctx.db);

    const replay = await deliver(ctx.app, event);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toMatchObject({ message: 'duplicate' });
    expect(await ledgerTransactions(ctx.db)).toBe(after);
    expect(await postingsOf(ctx.db, placed.orderId)).toHaveLength(2);
    await expectLedgerSound(ctx.db);
  });

  it('posts once when the same event arrives ten times at once on a listening server', async () => {
    const live = await startLiveServer({ env: fake.env, stripe: fake.client });
    try {
      const placed = await checkoutWithStripe(live.app, live.db);
      const before = await ledgerTransactions(live.db);
      const event = fake.event('checkout.session.completed', fake.session(placed.session.id));
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          request(`${live.url}/webhooks/stripe`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'stripe-signature': event.signature },
            body: event.payload,
          }).then(async (r) => {
            await r.body.dump();
            return r.statusCode;
          }),
        ),
      );
      expect(answers).toEqual(Array(10).fill(200));
      expect(await ledgerTransactions(live.db)).toBe(before + 2);
      expect(await stripeEvents(live.db)).toBe(1);
      expect((await orderRow(live.db, placed.orderId)).status).toBe('paid');
      await expectLedgerSound(live.db);
    } finally {
      await live.close();
    }
  });

  it('ends paid once when async_payment_succeeded arrives before checkout.session.completed', async () => {
    const placed = await checkoutWithStripe(ctx.app, ctx.db);
    const total = (await orderRow(ctx.db, placed.orderId)).totalFen;
    expect((await deliver(ctx.app, fake.event('checkout.session.async_payment_succeeded', fake.session(placed.session.id)))).statusCode).toBe(200);
    expect((await deliver(ctx.app, fake.event('checkout.session.completed', fake.session(placed.session.id)))).statusCode).toBe(200);

    expect((await orderRow(ctx.db, placed.orderId)).status).toBe('paid');
    expect((await postingsOf(ctx.db, placed.orderId)).map((t) => t.kind)).toEqual(['order_payment', 'processor_fee']);
    expect(await balanceOf(ctx.db, 'fees:stripe')).toBe(fake.feeFor(total));
    await expectLedgerSound(ctx.db);
  });

  it('cancels the order and releases its stock once when the session expires', async () => {
    const honeyBefore = await stockOf(ctx.db, 'meiyaogou-honey');
    const placed = await checkoutWithStripe(ctx.app, ctx.db);
    expect(await stockOf(ctx.db, 'meiyaogou-honey')).toBe(honeyBefore - 2);

    expect(
      (await deliver(ctx.app, fake.event('checkout.session.expired', fake.session(placed.session.id, { status: 'expired', payment_status: 'unpaid' }))))
        .statusCode,
    ).toBe(200);
    expect((await orderRow(ctx.db, placed.orderId)).status).toBe('cancelled');
    expect((await paymentRow(ctx.db, placed.orderId)).status).toBe('expired');
    expect(await stockOf(ctx.db, 'meiyaogou-honey')).toBe(honeyBefore);

    // Stripe sends it again (a new event id): the stock is not released twice.
    expect(
      (await deliver(ctx.app, fake.event('checkout.session.expired', fake.session(placed.session.id, { status: 'expired', payment_status: 'unpaid' }))))
        .statusCode,
    ).toBe(200);
    expect(await stockOf(ctx.db, 'meiyaogou-honey')).toBe(honeyBefore);
    expect(await auditActions(ctx.db, 'order.cancel')).toBe(1);
  });

  it('changes nothing when the session expiry arrives after the payment', async () => {
    const placed = await checkoutWithStripe(ctx.app, ctx.db);
    const honeyAfterCheckout = await stockOf(ctx.db, 'meiyaogou-honey');
    await pay(placed);
    const before = await ledgerTransactions(ctx.db);

    expect((await deliver(ctx.app, fake.event('checkout.session.expired', fake.session(placed.session.id, { status: 'expired' })))).statusCode).toBe(200);
    expect((await orderRow(ctx.db, placed.orderId)).status).toBe('paid');
    expect((await paymentRow(ctx.db, placed.orderId)).status).toBe('succeeded');
    expect(await stockOf(ctx.db, 'meiyaogou-honey')).toBe(honeyAfterCheckout);
    expect(await ledgerTransactions(ctx.db)).toBe(before);
  });

  it('cancels the order and releases its stock when an async payment fails', async () => {
    const honeyBefore = await stockOf(ctx.db, 'meiyaogou-honey');
    const placed = await checkoutWithStripe(ctx.app, ctx.db);
    expect(
      (await deliver(ctx.app, fake.event('checkout.session.async_payment_failed', fake.session(placed.session.id, { payment_status: 'unpaid' })))).statusCode,
    ).toBe(200);

    expect((await orderRow(ctx.db, placed.orderId)).status).toBe('cancelled');
    expect((await paymentRow(ctx.db, placed.orderId)).status).toBe('failed');
    expect(await stockOf(ctx.db, 'meiyaogou-honey')).toBe(honeyBefore);
  });

  it('records money that arrives for an order already cancelled, flags it for reconciliation, posts nothing and never fails', async () => {
    const placed = await checkoutWithStripe(ctx.app, ctx.db);
    await deliver(ctx.app, fake.event('checkout.session.expired', fake.session(placed.session.id, { status: 'expired', payment_status: 'unpaid' })));
    const before = await ledgerTransactions(ctx.db);

    const res = await deliver(ctx.app, fake.event('checkout.session.completed', fake.session(placed.session.id)));
    expect(res.statusCode).toBe(200);
    expect((await orderRow(ctx.db, placed.orderId)).status).toBe('cancelled');
    expect(await paymentRow(ctx.db, placed.orderId)).toMatchObject({ status: 'succeeded', charge: placed.session.chargeId });
    expect(await auditActions(ctx.db, 'payment.orphan')).toBe(1);
    expect(await ledgerTransactions(ctx.db)).toBe(before);

    // The async twin of the same payment does not flag it twice.
    await deliver(ctx.app, fake.event('checkout.session.async_payment_succeeded', fake.session(placed.session.id)));
    expect(await auditActions(ctx.db, 'payment.orphan')).toBe(1);
    await expectLedgerSound(ctx.db);
  });

  it('acknowledges events it has no use for', async () => {
    const res = await deliver(ctx.app, fake.event('customer.created', { id: 'cus_test_1', object: 'customer' }));
    expect(res.statusCode).toBe(200);
    expect(await stripeEvents(ctx.db)).toBe(1);
  });
});

describe('refunds of Stripe orders', () => {
  async function paidOrder() {
    const placed = await checkoutWithStripe(ctx.app, ctx.db);
    await pay(placed);
    return placed;
  }

  /** The refund posting is the exact reverse of the payment's credits (and the clearing debit). */
  async function expectExactReverse(orderId: number) {
    const [payment, , refund] = await postingsOf(ctx.db, orderId);
    expect(refund?.kind).toBe('refund');
    const paid = new Map((await entriesOf(ctx.db, payment!.id)).map((e) => [e.code, e.amountFen]));
    for (const e of await entriesOf(ctx.db, refund!.id)) expect(e.amountFen, e.code).toBe(-(paid.get(e.code) ?? 0));
  }

  it('refunds the whole order through Stripe with an idempotency key and posts the exact reverse', async () => {
    const placed = await paidOrder();
    const total = (await orderRow(ctx.db, placed.orderId)).totalFen;
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    const res = await coordinator.post(`/coordinator/orders/${placed.number}/refund`, { amount: (total / 100).toFixed(2), reason: '买家退货' });
    expect(res.statusCode).toBe(303);

    const call = fake.requests.find((r) => r.path === '/v1/refunds' && r.method === 'POST')!;
    const refund = await get<{ id: number; status: string; stripeRefundId: string }>(
      ctx.db,
      sql`SELECT id, status, stripe_refund_id AS "stripeRefundId" FROM refunds WHERE order_id = ${placed.orderId}`,
    );
    expect(call.idempotencyKey).toBe(`refund:${refund.id}`);
    expect(call.params).toMatchObject({
      payment_intent: placed.session.paymentIntentId,
      amount: String(total),
      metadata: { refundId: String(refund.id), orderId: String(placed.orderId) },
    });
    expect(refund).toMatchObject({ status: 'succeeded', stripeRefundId: fake.refunds[0]!.id });
    expect(await orderRow(ctx.db, placed.orderId)).toMatchObject({ status: 'refunded', refundedFen: total });
    await expectExactReverse(placed.orderId);

    // Stripe then reports the same refund: nothing is posted twice.
    const before = await ledgerTransactions(ctx.db);
    expect((await deliver(ctx.app, fake.event('charge.refunded', fake.charge(placed.session.chargeId, { refunded: true })))).statusCode).toBe(200);
    expect((await deliver(ctx.app, fake.event('charge.refund.updated', { ...fake.refunds[0]! }))).statusCode).toBe(200);
    expect(await ledgerTransactions(ctx.db)).toBe(before);
    await expectLedgerSound(ctx.db);
  });

  it('posts a refund Stripe answers as pending only when charge.refund.updated says it succeeded', async () => {
    const placed = await paidOrder();
    const total = (await orderRow(ctx.db, placed.orderId)).totalFen;
    fake.refundStatus = 'pending';
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    expect((await coordinator.post(`/coordinator/orders/${placed.number}/refund`, { amount: (total / 100).toFixed(2), reason: '买家退货' })).statusCode).toBe(
      303,
    );

    const before = await ledgerTransactions(ctx.db);
    expect((await get<{ status: string }>(ctx.db, sql`SELECT status FROM refunds WHERE order_id = ${placed.orderId}`)).status).toBe('pending');
    expect((await orderRow(ctx.db, placed.orderId)).status).toBe('paid');

    const stripeRefund = fake.refunds[0]!;
    stripeRefund.status = 'succeeded';
    const updated = fake.event('charge.refund.updated', { ...stripeRefund });
    expect((await deliver(ctx.app, updated)).statusCode).toBe(200);
    expect((await get<{ status: string }>(ctx.db, sql`SELECT status FROM refunds WHERE order_id = ${placed.orderId}`)).status).toBe('succeeded');
    expect(await orderRow(ctx.db, placed.orderId)).toMatchObject({ status: 'refunded', refundedFen: total });
    expect(await ledgerTransactions(ctx.db)).toBe(before + 1);
    await expectExactReverse(placed.orderId);

    // A late "pending" update and a replay change nothing.
    expect((await deliver(ctx.app, fake.event('charge.refund.updated', { ...stripeRefund, status: 'pending' }))).statusCode).toBe(200);
    expect((await deliver(ctx.app, updated)).statusCode).toBe(200);
    expect((await get<{ status: string }>(ctx.db, sql`SELECT status FROM refunds WHERE order_id = ${placed.orderId}`)).status).toBe('succeeded');
    expect(await ledgerTransactions(ctx.db)).toBe(before + 1);
    await expectLedgerSound(ctx.db);
  });

  it('settles a recall’s units with a Stripe refund while it is pending, and holds them again when Stripe says it failed', async () => {
    const placed = await checkoutWithStripe(ctx.app, ctx.db); // 2 jars of honey from the spring lot, and tiger-head shoes
    const spring = (await get<{ id: number }>(ctx.db, sql`SELECT id FROM lots WHERE code = 'MYG-HONEY-SPRING'`)).id;
    const secretary = await signIn(ctx.app, 'secretary.meiyaogou@xiangyi.test');
    expect((await secretary.post(`/secretary/lots/${spring}/recall`, { reason: '抽检不合格' }, { csrfFrom: `/secretary/lots/${spring}` })).statusCode).toBe(
      303,
    );
    // The buyer had already paid at Stripe: the payment is recorded, the order is then held like any paid one.
    await pay(placed);
    expect((await orderRow(ctx.db, placed.orderId)).status).toBe('paid');
    const meiyaogou = (await get<{ id: number }>(ctx.db, sql`SELECT id FROM villages WHERE slug = 'meiyaogou'`)).id;
    const ship = () =>
      secretary.post(
        `/secretary/orders/${placed.number}/ship`,
        { villageId: String(meiyaogou), carrier: '顺丰', trackingNumber: 'SF1234567890' },
        { csrfFrom: '/secretary/orders' },
      );

    fake.refundStatus = 'pending';
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    const url = `/coordinator/recalls/${spring}`;
    expect((await coordinator.post(`${url}/orders/${placed.number}/refund`, {}, { csrfFrom: url })).statusCode).toBe(303);
    const call = fake.requests.find((r) => r.path === '/v1/refunds' && r.method === 'POST')!;
    expect(call.params).toMatchObject({ amount: String(2 * 6800) });
    expect((await get<{ status: string }>(ctx.db, sql`SELECT status FROM refunds WHERE order_id = ${placed.orderId}`)).status).toBe('pending');
    expect((await coordinator.get(url)).body).toContain('已处理：这部分已经退款。');

    // Stripe reports the refund failed: the units are unsettled again, and their parcel held.
    const failed = fake.event('charge.refund.updated', { ...fake.refunds[0]!, status: 'failed' });
    expect((await deliver(ctx.app, failed)).statusCode).toBe(200);
    expect((await get<{ status: string }>(ctx.db, sql`SELECT status FROM refunds WHERE order_id = ${placed.orderId}`)).status).toBe('failed');
    expect((await coordinator.get(url)).body).toContain('已付款、未发出：包裹暂不发货，请退款或换货。');
    expect((await ship()).statusCode).toBe(409);

    fake.refundStatus = 'succeeded';
    expect((await coordinator.post(`${url}/orders/${placed.number}/refund`, {}, { csrfFrom: url })).statusCode).toBe(303);
    expect(await orderRow(ctx.db, placed.orderId)).toMatchObject({ status: 'partially_refunded', refundedFen: 2 * 6800 });
    expect((await ship()).statusCode).toBe(303);
    await expectLedgerSound(ctx.db);
  });

  it('records and posts a refund made in Stripe’s dashboard when charge.refunded arrives', async () => {
    const placed = await paidOrder();
    const total = (await orderRow(ctx.db, placed.orderId)).totalFen;
    const before = await ledgerTransactions(ctx.db);
    const dashboard = fake.dashboardRefund(placed.session.chargeId, 1000);
    // Without the refunds embedded, the app lists them from Stripe.
    const event = fake.event('charge.refunded', fake.charge(placed.session.chargeId, { refunds: null }));
    expect((await deliver(ctx.app, event)).statusCode).toBe(200);

    expect(fake.requests.some((r) => r.method === 'GET' && r.path === '/v1/refunds' && r.params.charge === placed.session.chargeId)).toBe(true);
    const recorded = await get<{ amountFen: number; status: string; stripeRefundId: string; reason: string }>(
      ctx.db,
      sql`SELECT amount_fen AS "amountFen", status, stripe_refund_id AS "stripeRefundId", reason FROM refunds WHERE order_id = ${placed.orderId}`,
    );
    expect(recorded).toEqual({ amountFen: 1000, status: 'succeeded', stripeRefundId: dashboard.id, reason: 'Stripe dashboard' });
    expect(await orderRow(ctx.db, placed.orderId)).toMatchObject({ status: 'partially_refunded', refundedFen: 1000 });
    expect(await ledgerTransactions(ctx.db)).toBe(before + 1);
    const refundTx = (await postingsOf(ctx.db, placed.orderId)).at(-1)!;
    expect(refundTx.kind).toBe('refund');
    expect((await entriesOf(ctx.db, refundTx.id)).find((e) => e.code === 'clearing:stripe')?.amountFen).toBe(-1000);
    expect(await balanceOf(ctx.db, 'clearing:stripe')).toBe(total - fake.feeFor(total) - 1000);

    // The same refund reported again (a new event) is not posted twice.
    expect((await deliver(ctx.app, fake.event('charge.refunded', fake.charge(placed.session.chargeId)))).statusCode).toBe(200);
    expect(await ledgerTransactions(ctx.db)).toBe(before + 1);
    await expectLedgerSound(ctx.db);
  });

  it('matches a refund whose answer was lost to the coordinator’s request, and posts it once', async () => {
    const placed = await paidOrder();
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    fake.failWith = 500;
    const res = await coordinator.post(`/coordinator/orders/${placed.number}/refund`, { amount: '10.00', reason: '少发一罐' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('在线支付暂时不可用');
    const ours = await get<{ id: number; status: string }>(ctx.db, sql`SELECT id, status FROM refunds WHERE order_id = ${placed.orderId}`);
    expect(ours.status).toBe('failed');
    expect((await orderRow(ctx.db, placed.orderId)).refundedFen).toBe(0);

    // Stripe had in fact made the refund; its webhook names our refund in the metadata.
    fake.failWith = null;
    const made = fake.dashboardRefund(placed.session.chargeId, 1000);
    made.metadata = { refundId: String(ours.id), orderId: String(placed.orderId) };
    expect((await deliver(ctx.app, fake.event('charge.refunded', fake.charge(placed.session.chargeId)))).statusCode).toBe(200);

    expect(await refundRows()).toEqual([{ id: ours.id, status: 'succeeded', stripeRefundId: made.id, amountFen: 1000 }]);
    expect(await orderRow(ctx.db, placed.orderId)).toMatchObject({ status: 'partially_refunded', refundedFen: 1000 });
    expect((await postingsOf(ctx.db, placed.orderId)).map((t) => t.kind)).toEqual(['order_payment', 'processor_fee', 'refund']);
    await expectLedgerSound(ctx.db);

    async function refundRows() {
      return getAll(
        ctx.db,
        sql`SELECT id, status, stripe_refund_id AS "stripeRefundId", amount_fen AS "amountFen" FROM refunds WHERE order_id = ${placed.orderId}`,
      );
    }
  });

  it('asks Stripe to deliver a refund again when it arrives before the payment it refunds', async () => {
    const placed = await checkoutWithStripe(ctx.app, ctx.db);
    fake.dashboardRefund(placed.session.chargeId, 500);
    const early = fake.event('charge.refunded', fake.charge(placed.session.chargeId));
    expect((await deliver(ctx.app, early)).statusCode).toBe(503);
    expect(await stripeEvents(ctx.db)).toBe(0);

    await pay(placed);
    expect((await deliver(ctx.app, early)).statusCode).toBe(200);
    expect(await orderRow(ctx.db, placed.orderId)).toMatchObject({ status: 'partially_refunded', refundedFen: 500 });
    await expectLedgerSound(ctx.db);
  });
});

describe('without Stripe configured', () => {
  it('has no webhook endpoint', async () => {
    const plain = await createTestApp();
    try {
      expect(plain.app.hasRoute({ method: 'POST', url: '/webhooks/stripe' })).toBe(false);
      // Unknown POSTs meet the CSRF check before the not-found page, so this is refused (403), never handled.
      const res = await plain.app.inject({ method: 'POST', url: '/webhooks/stripe', headers: { 'content-type': 'application/json' }, payload: '{}' });
      expect([403, 404]).toContain(res.statusCode);
      expect((await get<{ n: number }>(plain.db, sql`SELECT count(*) AS n FROM stripe_events`)).n).toBe(0);
    } finally {
      await plain.close();
    }
  });
});
