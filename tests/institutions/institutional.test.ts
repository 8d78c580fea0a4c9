import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cstYearBounds, cstYearOf } from '../../src/institutions/index.js';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createScopedCoordinator, STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Institutional buying: a trade union's buyers buy against a yearly quota, ask the village for a
 * price on quantities above the retail limit, accept the first secretary's answer as an order at
 * that price with a 发票 request, and the accountant exports the requests.
 */

const ORG_BUYER = 'org@xiangyi.test';
const BUYER = 'buyer@xiangyi.test';
const GULOU = 'secretary.gulou@xiangyi.test';
const MEIYAOGOU = 'secretary.meiyaogou@xiangyi.test';
const COORDINATOR = 'coordinator@xiangyi.test';
const DAY = 24 * 3_600_000;

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

const get = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).get(...params) as T;
const run = (sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).run(...params);
const count = (sql: string, ...params: unknown[]) => get<{ n: number }>(sql, ...params).n;
const orgId = () => get<{ id: number }>(`SELECT id FROM organizations WHERE name = '深圳市福田区总工会'`).id;
const stockOf = (slug: string) => get<{ stock: number }>(`SELECT stock FROM products WHERE slug = ?`, slug).stock;
const productId = (slug: string) => get<{ id: number }>(`SELECT id FROM products WHERE slug = ?`, slug).id;
const orderByNumber = (number: string) =>
  get<{ id: number; status: string; totalFen: number; shippingFen: number; buyerUserId: number | null }>(
    `SELECT id, status, total_fen AS totalFen, shipping_fen AS shippingFen, buyer_user_id AS buyerUserId FROM orders WHERE number = ?`,
    number,
  );
const quoteRow = (id: number) =>
  get<{ status: string; unitPriceFen: number | null; orderId: number | null }>(
    `SELECT status, unit_price_fen AS unitPriceFen, order_id AS orderId FROM quotes WHERE id = ?`,
    id,
  );
/** YYYY-MM-DD (CST) some days from the test's clock. */
const dayFromNow = (days: number) => new Date(ctx.clock.now + days * DAY + 8 * 3_600_000).toISOString().slice(0, 10);
/** The figure shown on the organisation page (data-figure="…"). */
const figure = (html: string, name: string) => new RegExp(`data-figure="${name}">([^<]*)<`).exec(html)?.[1] ?? null;
const numberFrom = (location: unknown) => /^\/orders\/(XY-[0-9]{8}-[0-9]{4,6})/.exec(String(location ?? ''))?.[1] ?? null;

const ADDRESS = { name: '工会采购员', phone: '13900139000', province: '广东省', city: '深圳市', district: '福田区', address: '福华三路 88 号' };
const INVOICE = { invoiceTitle: '深圳市福田区总工会', taxNumber: '81440304MC0A1B2C3J' };

/** A signed-in buyer buys and the coordinator confirms the bank transfer; returns the order number. */
async function buyAndPay(buyer: TestBrowser, slug: string, quantity: number): Promise<string> {
  const added = await buyer.post('/cart/items', { productId: String(productId(slug)), quantity: String(quantity) });
  expect(added.statusCode).toBe(303);
  const placed = await buyer.post('/checkout', { ...ADDRESS, paymentMethod: 'offline' });
  const number = numberFrom(placed.headers.location);
  expect(placed.statusCode, placed.body.slice(0, 300)).toBe(303);
  const coordinator = await signIn(ctx.app, COORDINATOR);
  expect((await coordinator.post(`/coordinator/orders/${number}/mark-paid`, { reference: `BANK-${number}` })).statusCode).toBe(303);
  return number!;
}

/** The organisation asks for a quote and the secretary of 明梅村 answers it; returns the quote id. */
async function answeredQuote(org: TestBrowser, opts: { quantity?: number; price?: string; validUntil?: string } = {}): Promise<number> {
  const asked = await org.post('/products/tuyao-tea/quote', { quantity: String(opts.quantity ?? 120), note: '中秋慰问品' });
  expect(asked.statusCode, asked.body.slice(0, 300)).toBe(303);
  const id = get<{ id: number }>(`SELECT max(id) AS id FROM quotes`).id;
  const secretary = await signIn(ctx.app, GULOU);
  const answered = await secretary.post(`/secretary/quotes/${id}/answer`, { unitPrice: opts.price ?? '480', validUntil: opts.validUntil ?? dayFromNow(7) });
  expect(answered.statusCode, answered.body.slice(0, 300)).toBe(303);
  return id;
}

describe('the organisation page and its yearly quota', () => {
  it('shows the trade union, its credit code and invoice details, and this year’s quota untouched', async () => {
    const org = await signIn(ctx.app, ORG_BUYER);
    const page = await org.get('/account/organization');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('深圳市福田区总工会');
    expect(page.body).toContain('81440304MC0A1B2C3J');
    expect(page.body).toContain(`${cstYearOf(ctx.clock.now)} 年度采购额度`);
    expect(figure(page.body, 'quota')).toBe('¥200,000.00');
    expect(figure(page.body, 'spent')).toBe('¥0.00');
    expect(figure(page.body, 'remaining')).toBe('¥200,000.00');
  });

  it('counts the members’ paid orders of the year, net of refunds, and nobody else’s; a new year starts again', async () => {
    const org = await signIn(ctx.app, ORG_BUYER);
    // 10 jars of honey at ¥68 (free shipping above ¥99): ¥680.
    const paid = await buyAndPay(org, 'meiyaogou-honey', 10);
    expect(orderByNumber(paid).totalFen).toBe(68_000);
    // An unpaid order of the member and a paid order of someone else do not count as spent.
    await org.post('/cart/items', { productId: String(productId('meiyaogou-yuba')), quantity: '2' });
    const pending = numberFrom((await org.post('/checkout', { ...ADDRESS, paymentMethod: 'offline' })).headers.location);
    expect(orderByNumber(pending!).status).toBe('pending_payment');
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 3 }]);

    let page = await org.get('/account/organization');
    expect(figure(page.body, 'spent')).toBe('¥680.00');
    expect(figure(page.body, 'remaining')).toBe('¥199,320.00');
    expect(figure(page.body, 'pending')).toBe('¥66.00'); // 2 jin of yuba and 煤窑沟村's ¥10 shipping

    // The coordinator refunds ¥180 of it: spent goes down by that much.
    const coordinator = await signIn(ctx.app, COORDINATOR);
    const refunded = await coordinator.post(`/coordinator/orders/${paid}/refund`, { amount: '180', reason: '两罐破损' });
    expect(refunded.statusCode).toBe(303);
    page = await org.get('/account/organization');
    expect(figure(page.body, 'spent')).toBe('¥500.00');
    expect(figure(page.body, 'remaining')).toBe('¥199,500.00');
    await expectLedgerSound(ctx.db);

    // On 1 January (China time) the count starts again; next year's quota is its own.
    const nextYear = cstYearOf(ctx.clock.now) + 1;
    ctx.clock.now = cstYearBounds(nextYear).from + 3_600_000;
    run(`INSERT INTO organization_quotas (organization_id, year, quota_fen) VALUES (?, ?, ?)`, orgId(), nextYear, 5_000_000);
    const nextYearOrg = await signIn(ctx.app, ORG_BUYER);
    page = await nextYearOrg.get('/account/organization');
    expect(page.body).toContain(`${nextYear} 年度采购额度`);
    expect(figure(page.body, 'quota')).toBe('¥50,000.00');
    expect(figure(page.body, 'spent')).toBe('¥0.00');
    expect(figure(page.body, 'remaining')).toBe('¥50,000.00');
  });

  it('says when no quota is set for the year', async () => {
    run(`DELETE FROM organization_quotas WHERE organization_id = ?`, orgId());
    const page = await (await signIn(ctx.app, ORG_BUYER)).get('/account/organization');
    expect(page.body).toContain(`${cstYearOf(ctx.clock.now)} 年度还没有设置采购额度`);
  });
});

describe('registering an organisation', () => {
  it('checks the unified social credit code’s check character and keeps what was typed', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    const before = count(`SELECT count(*) AS n FROM organizations`);
    const res = await buyer.post('/account/organization', {
      name: '贺州市某中学',
      creditCode: '12451100MB1234567X',
      invoiceTitle: '贺州市某中学',
      taxNumber: '12451100MB1234567X',
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('统一社会信用代码应为 18 位数字或大写字母，且校验位正确。');
    expect(res.body).toContain('value="贺州市某中学"');
    expect(count(`SELECT count(*) AS n FROM organizations`)).toBe(before);
  });

  it('registers a valid organisation with the buyer as its member; the same credit code cannot be claimed again', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    const res = await buyer.post('/account/organization', {
      name: '深圳某科技公司工会',
      creditCode: '91440300ma5f000007',
      invoiceTitle: '深圳某科技公司工会',
      taxNumber: '91440300MA5F000007',
    });
    expect(res.statusCode).toBe(303);
    const page = await buyer.get('/account/organization');
    expect(page.body).toContain('深圳某科技公司工会');
    expect(page.body).toContain('91440300MA5F000007');
    expect(page.body).toContain('年度还没有设置采购额度');

    const other = await signIn(ctx.app, ORG_BUYER);
    run(`DELETE FROM organization_members WHERE user_id = (SELECT id FROM users WHERE email = ?)`, ORG_BUYER);
    const again = await other.post('/account/organization', {
      name: '冒名单位',
      creditCode: '91440300MA5F000007',
      invoiceTitle: '冒名单位',
      taxNumber: '91440300MA5F000007',
    });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('这个统一社会信用代码已经登记过了');
  });
});

describe('organisations in the coordinator’s console', () => {
  it('lets a coordinator set a year’s quota and add a buyer, and nobody else', async () => {
    const coordinator = await signIn(ctx.app, COORDINATOR);
    const year = cstYearOf(ctx.clock.now);
    const list = await coordinator.get('/coordinator/organizations');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`${year} 年度额度 ¥200,000.00，已采购 ¥0.00，剩余 ¥200,000.00。`);

    const bad = await coordinator.post(`/coordinator/organizations/${orgId()}/quota`, { year: String(year), amount: '12.345' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('value="12.345"');
    expect((await coordinator.post(`/coordinator/organizations/${orgId()}/quota`, { year: String(year), amount: '250000' })).statusCode).toBe(303);
    expect(figure((await (await signIn(ctx.app, ORG_BUYER)).get('/account/organization')).body, 'quota')).toBe('¥250,000.00');
    expect(count(`SELECT count(*) AS n FROM audit_log WHERE action = 'organization.quota'`)).toBe(1);

    const staff = await coordinator.post(`/coordinator/organizations/${orgId()}/members`, { email: GULOU });
    expect(staff.statusCode).toBe(422);
    expect(staff.body).toContain('只能加入买家账号。');
    expect((await coordinator.post(`/coordinator/organizations/${orgId()}/members`, { email: BUYER })).statusCode).toBe(303);
    expect((await (await signIn(ctx.app, BUYER)).get('/account/organization')).body).toContain('data-credit-code>81440304MC0A1B2C3J');

    const buyer = await signIn(ctx.app, BUYER);
    expect((await buyer.get('/coordinator/organizations')).statusCode).toBe(403);
    expect((await buyer.post(`/coordinator/organizations/${orgId()}/quota`, { year: String(year), amount: '1' })).statusCode).toBe(403);
  });
});

describe('organisations seen by a coordinator scoped to some projects', () => {
  it('shows only organisations that bought or asked a price from their projects, members’ emails included; others are 404 and nothing changes', async () => {
    await createScopedCoordinator(ctx.db, 'chicks@xiangyi.test', ['xiaoji-kuaipao']);
    const chicks = await signIn(ctx.app, 'chicks@xiangyi.test', STAFF_PASSWORD);
    const year = cstYearOf(ctx.clock.now);
    const quota = () => get<{ q: number }>(`SELECT quota_fen AS q FROM organization_quotas WHERE organization_id = ? AND year = ?`, orgId(), year).q;
    const members = () => count(`SELECT count(*) AS n FROM organization_members WHERE organization_id = ?`, orgId());
    const before = { quota: quota(), members: members(), audit: count(`SELECT count(*) AS n FROM audit_log`) };

    const page = await chicks.get('/coordinator/organizations');
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('深圳市福田区总工会');
    expect(page.body).not.toContain(ORG_BUYER);
    expect((await chicks.post(`/coordinator/organizations/${orgId()}/quota`, { year: String(year), amount: '1' })).statusCode).toBe(404);
    expect((await chicks.post(`/coordinator/organizations/${orgId()}/quota`, { year: 'x', amount: '' })).statusCode).toBe(404);
    expect((await chicks.post(`/coordinator/organizations/${orgId()}/members`, { email: BUYER })).statusCode).toBe(404);
    expect({ quota: quota(), members: members(), audit: count(`SELECT count(*) AS n FROM audit_log`) }).toEqual(before);

    // Once one of its buyers orders a 小鸡快跑 product, the union is one of this coordinator's.
    const org = await signIn(ctx.app, ORG_BUYER);
    const min = get<{ m: number }>(`SELECT min_order_qty AS m FROM products WHERE slug = 'xiaoji-eggs-dozen'`).m;
    expect((await org.post('/cart/items', { productId: String(productId('xiaoji-eggs-dozen')), quantity: String(min) })).statusCode).toBe(303);
    expect((await org.post('/checkout', { ...ADDRESS, paymentMethod: 'offline' })).statusCode).toBe(303);
    const seen = await chicks.get('/coordinator/organizations');
    expect(seen.body).toContain('深圳市福田区总工会');
    expect(seen.body).toContain(ORG_BUYER);
    expect((await chicks.post(`/coordinator/organizations/${orgId()}/quota`, { year: String(year), amount: '180000' })).statusCode).toBe(303);
    expect(quota()).toBe(18_000_000);

    // A quote for a product of their project counts too.
    await createScopedCoordinator(ctx.db, 'shenhe@xiangyi.test', ['shen-he-xiezuo']);
    const shenhe = await signIn(ctx.app, 'shenhe@xiangyi.test', STAFF_PASSWORD);
    expect((await shenhe.get('/coordinator/organizations')).body).not.toContain('深圳市福田区总工会');
    expect((await org.post('/products/tuyao-tea/quote', { quantity: '120', note: '中秋慰问品' })).statusCode).toBe(303);
    expect((await shenhe.get('/coordinator/organizations')).body).toContain('深圳市福田区总工会');
  });
});

describe('quotes', () => {
  it('shows the quote form on product pages to organisation buyers only', async () => {
    const org = await (await signIn(ctx.app, ORG_BUYER)).get('/products/tuyao-tea');
    expect(org.body).toContain('action="/products/tuyao-tea/quote"');
    const buyer = await (await signIn(ctx.app, BUYER)).get('/products/tuyao-tea');
    expect(buyer.body).not.toContain('action="/products/tuyao-tea/quote"');
    // A visitor's page has no form, and stays the shared, cached one after the organisation buyer's visit.
    const visitor = anonymous(ctx.app);
    expect((await visitor.get('/products/tuyao-tea')).body).not.toContain('action="/products/tuyao-tea/quote"');
    const again = await visitor.get('/products/tuyao-tea');
    expect(again.headers['x-page-cache']).toBe('hit');
    expect(again.body).not.toContain('action="/products/tuyao-tea/quote"');
  });

  it('takes requests above the retail limit only, and only from organisation buyers', async () => {
    const org = await signIn(ctx.app, ORG_BUYER);
    const within = await org.post('/products/tuyao-tea/quote', { quantity: '50', note: '' });
    expect(within.statusCode).toBe(422);
    expect(within.body).toContain('50 公斤以内可以直接零售下单');
    expect(within.body).toContain('value="50"');
    const buyer = await signIn(ctx.app, BUYER);
    const refused = await buyer.post('/products/tuyao-tea/quote', { quantity: '120' });
    expect(refused.statusCode).toBe(403);
    expect(count(`SELECT count(*) AS n FROM quotes`)).toBe(0);
  });

  it('goes from request to the secretary’s answer to an order at the quoted price with the invoice request', async () => {
    const org = await signIn(ctx.app, ORG_BUYER);
    const teaStock = stockOf('tuyao-tea');
    const asked = await org.post('/products/tuyao-tea/quote', { quantity: '120', note: '中秋慰问品' });
    expect(asked.statusCode).toBe(303);
    const id = get<{ id: number }>(`SELECT max(id) AS id FROM quotes`).id;
    expect(quoteRow(id).status).toBe('requested');

    // The first secretary of 明梅村 sees it; the one of 煤窑沟村 cannot see or answer it.
    const gulou = await signIn(ctx.app, GULOU);
    expect((await gulou.get('/secretary/quotes')).body).toContain(`data-quote-id="${id}"`);
    const foreign = await signIn(ctx.app, MEIYAOGOU);
    expect((await foreign.get('/secretary/quotes')).body).not.toContain(`data-quote-id="${id}"`);
    expect((await foreign.post(`/secretary/quotes/${id}/answer`, { unitPrice: '1', validUntil: dayFromNow(3) })).statusCode).toBe(404);
    expect((await foreign.post(`/secretary/quotes/${id}/decline`, {})).statusCode).toBe(404);

    const badDate = await gulou.post(`/secretary/quotes/${id}/answer`, { unitPrice: '480', validUntil: dayFromNow(-1) });
    expect(badDate.statusCode).toBe(422);
    expect(badDate.body).toContain('有效期不能早于今天。');
    expect((await gulou.post(`/secretary/quotes/${id}/answer`, { unitPrice: '480', validUntil: dayFromNow(7) })).statusCode).toBe(303);
    expect(quoteRow(id)).toMatchObject({ status: 'answered', unitPriceFen: 48_000 });

    const orgPage = await org.get('/account/organization');
    expect(orgPage.body).toContain('¥480.00/公斤');
    expect(orgPage.body).toContain(`href="/account/organization/quotes/${id}"`);

    const accepted = await org.post(`/account/organization/quotes/${id}/accept`, { ...ADDRESS, ...INVOICE, invoiceEmail: 'fapiao@futian-union.test' });
    expect(accepted.statusCode, accepted.body.slice(0, 500)).toBe(303);
    const number = numberFrom(accepted.headers.location)!;
    const order = orderByNumber(number);
    // 120 kg × ¥480; above 明梅村's free-shipping threshold.
    expect(order).toMatchObject({ status: 'pending_payment', totalFen: 5_760_000, shippingFen: 0 });
    const line = get<{ unitPriceFen: number; quantity: number }>(
      `SELECT unit_price_fen AS unitPriceFen, quantity FROM order_lines WHERE order_id = ?`,
      order.id,
    );
    expect(line).toEqual({ unitPriceFen: 48_000, quantity: 120 });
    expect(stockOf('tuyao-tea')).toBe(teaStock - 120);
    expect(quoteRow(id)).toMatchObject({ status: 'accepted', orderId: order.id });
    expect(get(`SELECT organization_id AS organizationId, title, tax_number AS taxNumber, email FROM invoice_requests WHERE order_id = ?`, order.id)).toEqual({
      organizationId: orgId(),
      title: '深圳市福田区总工会',
      taxNumber: '81440304MC0A1B2C3J',
      email: 'fapiao@futian-union.test',
    });
    const orderPage = await org.get(String(accepted.headers.location));
    expect(orderPage.body).toContain('¥57,600.00');

    // Paid by bank transfer, confirmed by the coordinator: the ledger posts it.
    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await coordinator.post(`/coordinator/orders/${number}/mark-paid`, { reference: 'BOC-20240901-1' })).statusCode).toBe(303);
    expect(orderByNumber(number).status).toBe('paid');
    const page = await org.get('/account/organization');
    expect(figure(page.body, 'spent')).toBe('¥57,600.00');
    expect(page.body).toContain(number);
    await expectLedgerSound(ctx.db);
  });

  it('accepts a quote once: a second acceptance is refused and places nothing', async () => {
    const org = await signIn(ctx.app, ORG_BUYER);
    const id = await answeredQuote(org);
    expect((await org.post(`/account/organization/quotes/${id}/accept`, { ...ADDRESS, ...INVOICE })).statusCode).toBe(303);
    const orders = count(`SELECT count(*) AS n FROM orders`);
    const stock = stockOf('tuyao-tea');
    const again = await org.post(`/account/organization/quotes/${id}/accept`, { ...ADDRESS, ...INVOICE });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('这个报价已经接受过了');
    expect(count(`SELECT count(*) AS n FROM orders`)).toBe(orders);
    expect(stockOf('tuyao-tea')).toBe(stock);
  });

  it('refuses an offer after its validity date (409) and places nothing', async () => {
    const org = await signIn(ctx.app, ORG_BUYER);
    const id = await answeredQuote(org, { validUntil: dayFromNow(1) });
    ctx.clock.advance(3 * DAY);
    const late = await signIn(ctx.app, ORG_BUYER);
    const orders = count(`SELECT count(*) AS n FROM orders`);
    expect((await late.get('/account/organization')).body).toContain('报价已过期');
    const res = await late.post(`/account/organization/quotes/${id}/accept`, { ...ADDRESS, ...INVOICE });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain(`这个报价已于 ${dayFromNow(-2)} 过期`);
    expect(count(`SELECT count(*) AS n FROM orders`)).toBe(orders);
    expect(quoteRow(id).status).toBe('answered');
  });

  it('lets no other organisation see or accept the quote (404)', async () => {
    const org = await signIn(ctx.app, ORG_BUYER);
    const id = await answeredQuote(org);
    const buyer = await signIn(ctx.app, BUYER);
    expect(
      (
        await buyer.post('/account/organization', {
          name: '另一家单位',
          creditCode: '81451100MC0D4E5F61',
          invoiceTitle: '另一家单位',
          taxNumber: '81451100MC0D4E5F61',
        })
      ).statusCode,
    ).toBe(303);
    expect((await buyer.get(`/account/organization/quotes/${id}`)).statusCode).toBe(404);
    const res = await buyer.post(`/account/organization/quotes/${id}/accept`, { ...ADDRESS, invoiceTitle: '另一家单位', taxNumber: '81451100MC0D4E5F61' });
    expect(res.statusCode).toBe(404);
    expect(quoteRow(id)).toMatchObject({ status: 'answered', orderId: null });
  });
});

describe('an order over the yearly quota', () => {
  it('is refused until the buyer acknowledges the warning, then goes through and is recorded as over quota', async () => {
    run(`UPDATE organization_quotas SET quota_fen = ? WHERE organization_id = ? AND year = ?`, 1_000_000, orgId(), cstYearOf(ctx.clock.now));
    const org = await signIn(ctx.app, ORG_BUYER);
    const id = await answeredQuote(org); // ¥57,600 against a ¥10,000 quota
    const warningPage = await org.get(`/account/organization/quotes/${id}`);
    expect(warningPage.body).toContain('这笔订单会超过本单位的剩余年度额度（¥10,000.00）');

    const orders = count(`SELECT count(*) AS n FROM orders`);
    const stock = stockOf('tuyao-tea');
    const refused = await org.post(`/account/organization/quotes/${id}/accept`, { ...ADDRESS, ...INVOICE });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('这笔订单（¥57,600.00）超过了本单位剩余的年度额度（¥10,000.00）');
    expect(refused.body).toContain('value="福华三路 88 号"');
    expect(count(`SELECT count(*) AS n FROM orders`)).toBe(orders);
    expect(stockOf('tuyao-tea')).toBe(stock);
    expect(count(`SELECT count(*) AS n FROM invoice_requests`)).toBe(0);
    expect(quoteRow(id).status).toBe('answered');

    const acknowledged = await org.post(`/account/organization/quotes/${id}/accept`, { ...ADDRESS, ...INVOICE, quotaAcknowledged: 'on' });
    expect(acknowledged.statusCode).toBe(303);
    expect(quoteRow(id).status).toBe('accepted');
    const audit = get<{ summary: string }>(`SELECT summary FROM audit_log WHERE action = 'quote.accept' ORDER BY id DESC LIMIT 1`);
    expect(JSON.parse(audit.summary).after).toMatchObject({ overQuota: true, quotaFen: 1_000_000 });
  });
});

describe('the accountant’s invoice export', () => {
  it('downloads the month’s 发票 requests as UTF-8 CSV with a BOM and neutralises formula-like cells', async () => {
    const org = await signIn(ctx.app, ORG_BUYER);
    const id = await answeredQuote(org);
    const accepted = await org.post(`/account/organization/quotes/${id}/accept`, {
      ...ADDRESS,
      invoiceTitle: '=HYPERLINK("http://x")',
      taxNumber: '81440304MC0A1B2C3J',
    });
    expect(accepted.statusCode).toBe(303);
    const number = numberFrom(accepted.headers.location)!;
    const period = new Date(ctx.clock.now + 8 * 3_600_000).toISOString().slice(0, 7);
    const date = dayFromNow(0);

    const coordinator = await signIn(ctx.app, COORDINATOR);
    const csv = await coordinator.get(`/coordinator/invoices.csv?period=${period}`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="invoices-${period}.csv"`);
    expect(csv.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const lines = csv.body
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe('订单号,下单日期,单位,发票抬头,纳税人识别号,金额（元）,订单状态');
    expect(lines).toContain(`${number},${date},深圳市福田区总工会,"'=HYPERLINK(""http://x"")",81440304MC0A1B2C3J,57600.00,待付款`);

    // Another month has none; buyers and secretaries cannot export.
    const empty = await coordinator.get('/coordinator/invoices.csv?period=2001-01');
    expect(
      empty.body
        .replace(/^\uFEFF/, '')
        .trimEnd()
        .split('\r\n'),
    ).toHaveLength(1);
    expect((await org.get(`/coordinator/invoices.csv?period=${period}`)).statusCode).toBe(403);
    expect((await coordinator.get('/coordinator/invoices.csv?period=2024-13')).statusCode).toBe(400);
    const html = await coordinator.get(`/coordinator/invoices?period=${period}`);
    expect(html.body).toContain(number);
  });
});

describe('in English', () => {
  it('renders the organisation, quote and invoice pages with English text', async () => {
    const org = await signIn(ctx.app, ORG_BUYER);
    const id = await answeredQuote(org);
    const pages: [string, string, string][] = [
      [ORG_BUYER, '/account/organization?lang=en', `Purchase quota ${cstYearOf(ctx.clock.now)}`],
      [ORG_BUYER, `/account/organization/quotes/${id}?lang=en`, 'Order at this price'],
      [ORG_BUYER, '/products/tuyao-tea/quote?lang=en', 'Ask for a quote: Tuyao Mountain Tea'],
      [ORG_BUYER, '/products/tuyao-tea?lang=en', 'Buying in bulk for an organisation'],
      [GULOU, '/secretary/quotes?lang=en', 'Price offered'],
      [COORDINATOR, '/coordinator/invoices?lang=en', 'Invoice requests export'],
      [COORDINATOR, '/coordinator/organizations?lang=en', 'Organisations and yearly quotas'],
      [BUYER, '/account/organization?lang=en', 'Register your organisation'],
    ];
    for (const [email, path, text] of pages) {
      const page = await (await signIn(ctx.app, email)).get(path);
      expect(page.statusCode, path).toBe(200);
      expect(page.body, path).toContain(text);
    }
  });
});
