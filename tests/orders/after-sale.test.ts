import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { sql, type SQL } from 'drizzle-orm';
import { ledgerCheck } from '../../src/ledger/ledger-service.js';
import { rowOf, rowsOf } from '../helpers/db-query.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * What a buyer does after paying, as on Taobao or JD: follows the parcel by a link to the carrier's
 * tracking page, confirms receipt (确认收货) — or the shop does after ten days —, and asks for a
 * refund or reports a problem, which a coordinator accepts (into the usual refund) or declines.
 */

const BUYER = 'buyer@xiangyi.test';
const COORDINATOR = 'coordinator@xiangyi.test';
const SECRETARY_MEIYAOGOU = 'secretary.meiyaogou@xiangyi.test';
const DAY = 86_400_000;

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

// Engine-neutral reads (SQLite in `npm test`, PostgreSQL in `npm run test:pg`): snake_case names, numbers cast.
const rows = <T>(query: SQL) => rowsOf<T>(ctx.db, query);
const row = async <T>(query: SQL) => (await rowOf<T>(ctx.db, query))!;
const productId = async (slug: string) => Number((await row<{ id: number }>(sql`SELECT id FROM products WHERE slug = ${slug}`)).id);
const orderRow = async (number: string) => {
  const o = await row<{ id: number; status: string; total_fen: number; refunded_fen: number; completed_at: number | null }>(
    sql`SELECT id, status, total_fen, refunded_fen, completed_at FROM orders WHERE number = ${number}`,
  );
  return {
    id: Number(o.id),
    status: o.status,
    totalFen: Number(o.total_fen),
    refundedFen: Number(o.refunded_fen),
    completedAt: o.completed_at === null ? null : Number(o.completed_at),
  };
};
const shipmentsOf = async (number: string) =>
  (
    await rows<{ status: string; delivered_at: number | null }>(
      sql`SELECT s.status, s.delivered_at FROM shipments s JOIN orders o ON o.id = s.order_id WHERE o.number = ${number} ORDER BY s.id`,
    )
  ).map((s) => ({ status: s.status, deliveredAt: s.delivered_at === null ? null : Number(s.delivered_at) }));
const messages = (kind: string) =>
  rows<{ recipient: string; subject: string; text: string }>(
    sql`SELECT recipient, subject, text_body AS text FROM outbox_messages WHERE kind = ${kind} ORDER BY id`,
  );
const auditActions = async (number: string) =>
  (
    await rows<{ action: string; user_id: number | null }>(
      sql`SELECT action, user_id FROM audit_log WHERE entity_type = 'order' AND entity_id = ${number} ORDER BY id`,
    )
  ).map((a) => ({ action: a.action, userId: a.user_id === null ? null : Number(a.user_id) }));
const refundPostings = (orderId: number) => rows<{ id: number }>(sql`SELECT id FROM ledger_transactions WHERE order_id = ${orderId} AND kind = 'refund'`);
const requestsOf = async (orderId: number) =>
  (
    await rows<{ id: number; status: string; amount_fen: number | null; reply: string | null }>(
      sql`SELECT id, status, amount_fen, reply FROM order_requests WHERE order_id = ${orderId} ORDER BY id`,
    )
  ).map((r) => ({ id: Number(r.id), status: r.status, amountFen: r.amount_fen === null ? null : Number(r.amount_fen), reply: r.reply }));
const requestCount = async () => Number((await row<{ n: number }>(sql`SELECT count(*) AS n FROM order_requests`)).n);

const contact = {
  name: '林小梅',
  phone: '13800138000',
  province: '广东省',
  city: '深圳市',
  district: '南山区',
  address: '科技园南路 88 号',
  paymentMethod: 'offline',
};

/** Places an order of honey from 煤窑沟村 by bank transfer; the answer carries its private link's token. */
async function placeOrder(buyer: TestBrowser, quantity = 2): Promise<{ number: string; token: string }> {
  expect(
    (
      await buyer.post(
        '/cart/items',
        { productId: String(await productId('meiyaogou-honey')), quantity: String(quantity) },
        { csrfFrom: '/products/meiyaogou-honey' },
      )
    ).statusCode,
  ).toBe(303);
  const res = await buyer.post('/checkout', contact, { csrfFrom: '/cart' });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
  const m = /^\/orders\/(XY-\d{8}-\d{4})\?token=(.+)$/.exec(String(res.headers.location))!;
  return { number: m[1]!, token: decodeURIComponent(m[2]!) };
}

let coordinatorBrowser: TestBrowser | null = null;
async function coordinator(): Promise<TestBrowser> {
  coordinatorBrowser ??= await signIn(ctx.app, COORDINATOR);
  return coordinatorBrowser;
}
beforeEach(() => {
  coordinatorBrowser = null;
});

async function markPaid(number: string) {
  const res = await (await coordinator()).post(`/coordinator/orders/${number}/mark-paid`, { reference: `BANK-${number}` }, { csrfFrom: '/coordinator' });
  expect(res.statusCode).toBe(303);
}

async function ship(number: string, carrier = '顺丰速运', trackingNumber = 'SF1234567890') {
  const secretary = await signIn(ctx.app, SECRETARY_MEIYAOGOU);
  const res = await secretary.post(`/secretary/orders/${number}/ship`, { carrier, trackingNumber }, { csrfFrom: '/secretary/orders' });
  expect(res.statusCode, res.body.slice(0, 400)).toBe(303);
}

/** A signed-in demo buyer's order, paid and (unless told otherwise) shipped by SF. */
async function buyersShippedOrder(options: { shipped?: boolean } = {}) {
  const buyer = await signIn(ctx.app, BUYER);
  const placed = await placeOrder(buyer);
  await markPaid(placed.number);
  if (options.shipped !== false) await ship(placed.number);
  return { buyer, ...placed };
}

describe('following a parcel', () => {
  it('links a known carrier’s tracking number to the carrier’s own tracking page, and shows an unknown carrier’s as plain text', async () => {
    const guest = anonymous(ctx.app);
    const sf = await placeOrder(guest);
    await markPaid(sf.number);
    await ship(sf.number, 'SF', 'SF1234567890');
    const page = await guest.get(`/orders/${sf.number}?token=${encodeURIComponent(sf.token)}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('href="https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF1234567890"');
    expect(page.body).toContain('已发货 · 顺丰速运');
    // The guest's text message carries the same link.
    expect((await messages('sms:order_shipped')).at(-1)?.text).toContain('https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF1234567890');

    const local = await placeOrder(guest);
    await markPaid(local.number);
    await ship(local.number, '镇上的三轮快递', 'LOCAL-000123');
    const localPage = await guest.get(`/orders/${local.number}?token=${encodeURIComponent(local.token)}`);
    expect(localPage.body).toContain('<span data-tracking>LOCAL-000123</span>');
    expect(localPage.body).not.toMatch(/<a [^>]*data-tracking>LOCAL-000123/);
    expect(localPage.body).toContain('已发货 · 镇上的三轮快递');
  });

  it('offers the secretary the known carriers by name when shipping', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    const { number } = await placeOrder(buyer);
    await markPaid(number);
    const page = await (await signIn(ctx.app, SECRETARY_MEIYAOGOU)).get('/secretary/orders');
    expect(page.body).toContain('list="carriers"');
    for (const name of ['顺丰速运', 'EMS / 中国邮政', '中通快递', '圆通速递', '申通快递', '韵达快递', '京东物流'])
      expect(page.body).toContain(`<option value="${name}">`);
  });
});

describe('confirming receipt (确认收货)', () => {
  it('lets the signed-in buyer confirm a shipped order: it is completed, its parcels delivered, the buyer e-mailed once and the audit log says who', async () => {
    const { buyer, number } = await buyersShippedOrder();
    const page = await buyer.get(`/orders/${number}`);
    expect(page.body).toContain('data-confirm-receipt');
    expect(page.body).toMatch(/如果您没有确认，订单将在 .+ 自动确认收货。/);

    const res = await buyer.post(`/orders/${number}/confirm-receipt`, {}, { csrfFrom: `/orders/${number}` });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/orders/${number}`);
    expect((await orderRow(number)).status).toBe('completed');
    expect((await orderRow(number)).completedAt).toBe(ctx.clock.now);
    expect(await shipmentsOf(number)).toEqual([{ status: 'delivered', deliveredAt: ctx.clock.now }]);
    expect((await messages('order_delivered')).map((m) => m.recipient)).toEqual([BUYER]);
    expect((await auditActions(number)).at(-1)).toEqual({ action: 'order.confirm_receipt', userId: expect.any(Number) });

    const after = await buyer.get(`/orders/${number}`);
    expect(after.body).toContain('已确认收货，谢谢您对乡村农户的支持！');
    expect(after.body).not.toContain('data-confirm-receipt');
    expect(after.body).toContain('已送达 · 顺丰速运');

    // A second press (another tab) changes nothing and sends nothing.
    const again = await buyer.post(`/orders/${number}/confirm-receipt`, {}, { csrfFrom: `/orders/${number}` });
    expect(again.statusCode).toBe(303);
    expect((await buyer.get(`/orders/${number}`)).body).toContain('这个订单已经确认过收货了。');
    expect(await messages('order_delivered')).toHaveLength(1);
    expect((await auditActions(number)).filter((a) => a.action === 'order.confirm_receipt')).toHaveLength(1);
  });

  it('lets a guest confirm through the order’s private link, and nobody without it', async () => {
    const guest = anonymous(ctx.app);
    const { number, token } = await placeOrder(guest);
    await markPaid(number);
    await ship(number);

    const stranger = anonymous(ctx.app, { remoteAddress: '10.0.0.9' });
    const noToken = await stranger.post(`/orders/${number}/confirm-receipt`, {}, { csrfFrom: '/login' });
    expect(noToken.statusCode).toBe(404);
    const wrongToken = await stranger.post(`/orders/${number}/confirm-receipt`, { token: 'not-the-token' }, { csrfFrom: '/login' });
    expect(wrongToken.statusCode).toBe(404);
    // Another signed-in buyer (here the coordinator's account) is not the order's buyer either.
    const other = await (await coordinator()).post(`/orders/${number}/confirm-receipt`, {}, { csrfFrom: '/coordinator' });
    expect(other.statusCode).toBe(404);
    expect((await orderRow(number)).status).toBe('shipped');

    const res = await guest.post(`/orders/${number}/confirm-receipt`, { token }, { csrfFrom: `/orders/${number}?token=${encodeURIComponent(token)}` });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/orders/${number}?token=${encodeURIComponent(token)}`);
    expect((await orderRow(number)).status).toBe('completed');
    expect((await auditActions(number)).at(-1)).toEqual({ action: 'order.confirm_receipt', userId: null });
  });

  it('refuses to confirm an order not yet shipped, with a 409 and a sentence, and without the CSRF token', async () => {
    const { buyer, number } = await buyersShippedOrder({ shipped: false });
    expect((await buyer.get(`/orders/${number}`)).body).not.toContain('data-confirm-receipt');
    const res = await buyer.post(`/orders/${number}/confirm-receipt`, {}, { csrfFrom: `/orders/${number}` });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('这个订单现在不能确认收货（已付款）。');
    expect((await orderRow(number)).status).toBe('paid');

    await ship(number);
    const forged = await buyer.post(`/orders/${number}/confirm-receipt`, {}, { withoutCsrf: true });
    expect(forged.statusCode).toBe(403);
    expect((await orderRow(number)).status).toBe('shipped');
  });

  it('confirms receipt automatically ten days after the parcel left, once, on the periodic work', async () => {
    const { number } = await buyersShippedOrder();
    ctx.clock.advance(10 * DAY - 60_000);
    await ctx.app.periodicWork.runOnce();
    expect((await orderRow(number)).status).toBe('shipped');

    ctx.clock.advance(60_000);
    await ctx.app.periodicWork.runOnce();
    expect((await orderRow(number)).status).toBe('completed');
    expect((await shipmentsOf(number))[0]!.status).toBe('delivered');
    expect((await auditActions(number)).at(-1)).toEqual({ action: 'order.auto_confirm_receipt', userId: null });
    expect(await messages('order_delivered')).toHaveLength(1);

    // Run again (or on another server after it): nothing more happens.
    ctx.clock.advance(DAY);
    await ctx.app.periodicWork.runOnce();
    expect(await messages('order_delivered')).toHaveLength(1);
    expect((await auditActions(number)).filter((a) => a.action === 'order.auto_confirm_receipt')).toHaveLength(1);
  });

  it('leaves a refunded order alone when its days are up', async () => {
    const { number } = await buyersShippedOrder();
    const total = (await orderRow(number)).totalFen;
    const refund = await (await coordinator()).post(
      `/coordinator/orders/${number}/refund`,
      { amount: (total / 100).toFixed(2), reason: 'lost in transit', lineId: '' },
      { csrfFrom: '/coordinator' },
    );
    expect(refund.statusCode).toBe(303);
    ctx.clock.advance(11 * DAY);
    await ctx.app.periodicWork.runOnce();
    expect((await orderRow(number)).status).toBe('refunded');
    expect(await messages('order_delivered')).toHaveLength(0);
  });
});

describe('the number of days is configurable', () => {
  it('confirms after RECEIPT_AUTO_CONFIRM_DAYS', async () => {
    await ctx.close();
    ctx = await createTestApp({ env: { RECEIPT_AUTO_CONFIRM_DAYS: '3' } });
    const { number } = await buyersShippedOrder();
    ctx.clock.advance(3 * DAY);
    await ctx.app.periodicWork.runOnce();
    expect((await orderRow(number)).status).toBe('completed');
  });
});

describe('refund and problem requests', () => {
  const ask = (buyer: TestBrowser, number: string, form: Record<string, string>) =>
    buyer.post(`/orders/${number}/requests`, form, { csrfFrom: `/orders/${number}` });

  it('takes a buyer’s refund request, one open at a time; a coordinator accepts it and the refund form is prefilled; the refund posts to the ledger', async () => {
    const { buyer, number } = await buyersShippedOrder();
    const order = await orderRow(number);
    const page = await buyer.get(`/orders/${number}`);
    expect(page.body).toContain('data-after-sale');

    const res = await ask(buyer, number, { kind: 'refund', reason: 'damaged', note: '一瓶蜂蜜摔碎了', amount: '12.5' });
    expect(res.statusCode).toBe(303);
    const request = (await requestsOf(order.id))[0]!;
    expect(request).toMatchObject({ status: 'open', amountFen: 1250 });
    expect((await auditActions(number)).at(-1)?.action).toBe('order_request.refund');
    const waiting = await buyer.get(`/orders/${number}`);
    expect(waiting.body).toContain('等待答复');
    expect(waiting.body).toContain('一瓶蜂蜜摔碎了');
    expect(waiting.body).not.toContain(`action="/orders/${number}/requests"`);

    // One open request per order.
    const second = await ask(buyer, number, { kind: 'problem', reason: 'other', note: '还有一个问题' });
    expect(second.statusCode).toBe(409);
    expect(second.body).toContain('这个订单已经有一个等待答复的申请了');
    expect(await requestsOf(order.id)).toHaveLength(1);

    // The coordinator's queue shows it; a secretary has no queue.
    const coord = await coordinator();
    const queue = await coord.get('/coordinator/requests');
    expect(queue.statusCode).toBe(200);
    expect(queue.body).toContain(`data-request="${request.id}"`);
    expect(queue.body).toContain('一瓶蜂蜜摔碎了');
    expect(queue.body).toContain('申请金额 ¥12.50');
    expect((await coord.get('/coordinator')).body).toContain('1 个买家的售后申请等待答复');
    expect((await (await signIn(ctx.app, SECRETARY_MEIYAOGOU)).get('/coordinator/requests')).statusCode).toBe(403);

    const accept = await coord.post(
      `/coordinator/requests/${request.id}/answer`,
      { decision: 'accept', reply: '抱歉，马上为您退款' },
      { csrfFrom: '/coordinator/requests' },
    );
    expect(accept.statusCode).toBe(303);
    expect(accept.headers.location).toBe(`/coordinator/orders/${number}?request=${request.id}#refund-heading`);
    expect((await auditActions(number)).at(-1)?.action).toBe('order_request.accept');
    // Accepting refunds nothing by itself.
    expect(await refundPostings(order.id)).toHaveLength(0);
    const form = await coord.get(String(accept.headers.location).replace(/#.*$/, ''));
    expect(form.body).toMatch(/name="amount"[^>]*value="12\.50"/);
    expect(form.body).toContain(`售后申请 #${request.id}：商品破损`);
    // The buyer is told, in an e-mail of its own.
    const told = await messages('order_request_accepted');
    expect(told.map((m) => m.recipient)).toEqual([BUYER]);
    expect(told[0]!.text).toContain('抱歉，马上为您退款');

    // Twice: the request is no longer open.
    const twice = await coord.post(`/coordinator/requests/${request.id}/answer`, { decision: 'decline', reply: '不行' }, { csrfFrom: '/coordinator/requests' });
    expect(twice.statusCode).toBe(409);
    expect(twice.body).toContain('这个申请已经答复过了。');

    const refund = await coord.post(
      `/coordinator/orders/${number}/refund`,
      { amount: '12.50', reason: `售后申请 #${request.id}：商品破损`, lineId: '' },
      { csrfFrom: '/coordinator' },
    );
    expect(refund.statusCode).toBe(303);
    expect(await refundPostings(order.id)).toHaveLength(1);
    expect(await orderRow(number)).toMatchObject({ refundedFen: 1250, status: 'partially_refunded' });
    // The ledger stays balanced and its chain unbroken.
    expect((await ctx.db.uow.read((tx) => ledgerCheck(tx, []))).problems).toEqual([]);

    // With the request answered, the buyer may ask again.
    const page2 = await buyer.get(`/orders/${number}`);
    expect(page2.body).toContain('已同意');
    expect(page2.body).toContain(`action="/orders/${number}/requests"`);
  });

  it('lets a coordinator decline with a reply the buyer reads (a reply is required), and the buyer is e-mailed', async () => {
    const { buyer, number } = await buyersShippedOrder();
    expect((await ask(buyer, number, { kind: 'problem', reason: 'quality', note: '蜂蜜结晶了' })).statusCode).toBe(303);
    const { id } = (await requestsOf((await orderRow(number)).id))[0]!;
    const coord = await coordinator();

    const noReply = await coord.post(`/coordinator/requests/${id}/answer`, { decision: 'decline', reply: '  ' }, { csrfFrom: '/coordinator/requests' });
    expect(noReply.statusCode).toBe(422);
    expect(noReply.body).toContain('拒绝申请时请写明原因，买家会看到。');
    const badDecision = await coord.post(`/coordinator/requests/${id}/answer`, { decision: 'maybe' }, { csrfFrom: '/coordinator/requests' });
    expect(badDecision.statusCode).toBe(422);
    expect((await requestsOf((await orderRow(number)).id))[0]!.status).toBe('open');

    const res = await coord.post(
      `/coordinator/requests/${id}/answer`,
      { decision: 'decline', reply: '天然蜂蜜低温会结晶，温水化开即可。' },
      { csrfFrom: '/coordinator/requests' },
    );
    expect(res.statusCode).toBe(303);
    expect((await requestsOf((await orderRow(number)).id))[0]).toMatchObject({ status: 'declined', reply: '天然蜂蜜低温会结晶，温水化开即可。' });
    expect((await auditActions(number)).at(-1)?.action).toBe('order_request.decline');
    const page = await buyer.get(`/orders/${number}`);
    expect(page.body).toContain('协调员答复：天然蜂蜜低温会结晶，温水化开即可。');
    expect(page.body).toContain('未同意');
    const told = await messages('order_request_declined');
    expect(told.map((m) => m.recipient)).toEqual([BUYER]);
    expect(told[0]!.text).toContain('天然蜂蜜低温会结晶');
    expect((await coord.get('/coordinator/requests')).body).not.toContain(`data-request="${id}"`);
  });

  it('e-mails the answer in English to a buyer who uses the shop in English', async () => {
    const buyer = anonymous(ctx.app);
    await buyer.get('/login?lang=en');
    expect((await buyer.post('/login', { email: BUYER, password: 'xiangyi-demo' }, { csrfFrom: '/login' })).statusCode).toBe(303);
    const { number } = await placeOrder(buyer);
    await markPaid(number);
    await ship(number);
    const page = await buyer.get(`/orders/${number}`);
    expect(page.body).toContain('After-sale: refunds and problems');
    expect(page.body).toContain('Shipped · SF Express');
    expect((await ask(buyer, number, { kind: 'problem', reason: 'missing_item', note: 'One jar is missing.' })).statusCode).toBe(303);
    const { id } = (await requestsOf((await orderRow(number)).id))[0]!;
    const coord = await coordinator();
    expect(
      (await coord.post(`/coordinator/requests/${id}/answer`, { decision: 'accept', reply: 'We will send it.' }, { csrfFrom: '/coordinator/requests' }))
        .statusCode,
    ).toBe(303);
    const [mail] = await messages('order_request_accepted');
    expect(mail!.subject).toBe(`Your request about order ${number} was accepted`);
    expect(mail!.text).toContain('Report a problem · Item missing');
    expect(mail!.text).toContain('We will send it.');
  });

  it('answers bad input with field messages (422), an unpaid order with 409, and hides requests from anyone but the buyer', async () => {
    const { buyer, number } = await buyersShippedOrder();
    const bad = await ask(buyer, number, { kind: 'refund', reason: 'because', note: '', amount: 'abc' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="e-reason"');
    expect(bad.body).toContain('id="e-note"');
    expect(bad.body).toContain('id="e-amount"');
    const tooMuch = await ask(buyer, number, { kind: 'refund', reason: 'damaged', note: '全退', amount: '99999' });
    expect(tooMuch.statusCode).toBe(422);
    expect(tooMuch.body).toContain('申请金额不能超过');
    expect(await requestCount()).toBe(0);

    // A stranger cannot open or read one.
    const stranger = anonymous(ctx.app, { remoteAddress: '10.0.0.7' });
    expect((await stranger.post(`/orders/${number}/requests`, { kind: 'refund', reason: 'damaged', note: 'x' }, { csrfFrom: '/login' })).statusCode).toBe(404);
    expect((await ask(buyer, number, { kind: 'refund', reason: 'damaged', note: '秘密的说明' })).statusCode).toBe(303);
    expect((await stranger.get(`/orders/${number}`)).statusCode).toBe(404);
    const { id } = (await requestsOf((await orderRow(number)).id))[0]!;
    const secretary = await signIn(ctx.app, SECRETARY_MEIYAOGOU);
    expect((await secretary.post(`/coordinator/requests/${id}/answer`, { decision: 'accept' }, { csrfFrom: '/secretary/orders' })).statusCode).toBe(403);
    expect((await (await coordinator()).post(`/coordinator/requests/999999/answer`, { decision: 'accept' }, { csrfFrom: '/coordinator' })).statusCode).toBe(
      404,
    );

    const unpaidBuyer = anonymous(ctx.app);
    const unpaid = await placeOrder(unpaidBuyer);
    const refused = await unpaidBuyer.post(
      `/orders/${unpaid.number}/requests`,
      { token: unpaid.token, kind: 'refund', reason: 'other', note: '还没付款' },
      { csrfFrom: `/orders/${unpaid.number}?token=${encodeURIComponent(unpaid.token)}` },
    );
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('这个订单现在不能申请售后');
  });
});
