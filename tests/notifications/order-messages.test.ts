import type { ParsedMail } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { secretariesOfVillage, userById } from '../../src/accounts/accounts-queries.js';
import { createAuditService } from '../../src/audit/audit-service.js';
import { createLedgerService } from '../../src/ledger/ledger-service.js';
import { formatFen } from '../../src/money.js';
import { createMailPreferences } from '../../src/notifications/mail-preferences.js';
import { createOrderNotices, trackingLink } from '../../src/notifications/order-notices.js';
import { createOutbox } from '../../src/notifications/outbox.js';
import { createOrdersService } from '../../src/orders/orders-service.js';
import { villagesByIds } from '../../src/villages/villages-queries.js';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * The e-mails an order's life sends, over a real SMTP conversation on loopback: one message per
 * event, to the right person, in their language, with the links and amounts they need.
 */

const BUYER = 'buyer@xiangyi.test';
const COORDINATOR = 'coordinator@xiangyi.test';
const SECRETARY_MEIYAOGOU = 'secretary.meiyaogou@xiangyi.test';
const HOUR = 3_600_000;

let ctx: TestContext;
let smtp: TestSmtpServer;

beforeEach(async () => {
  smtp = await startSmtpServer();
  ctx = await createTestApp({ env: { SMTP_URL: smtp.url, PUBLIC_URL: 'https://shop.xiangyi.test' } });
  // The demo data's own messages (none today) are not this test's business.
  await deliver();
});
afterEach(async () => {
  await ctx.close();
  await smtp.close();
});

const get = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).get(...params) as T;
const productId = (slug: string) => get<{ id: number }>(`SELECT id FROM products WHERE slug = ?`, slug).id;
const totalOf = (number: string) => get<{ totalFen: number }>(`SELECT total_fen AS totalFen FROM orders WHERE number = ?`, number).totalFen;

/** Runs the worker and returns what the SMTP server received in that pass. */
async function deliver(): Promise<ParsedMail[]> {
  const before = smtp.received.length;
  await ctx.app.outboxWorker.runOnce();
  return smtp.received.slice(before);
}

/** A header as it was sent (mailparser turns List-* headers into objects). */
const rawHeader = (mail: ParsedMail, name: string) => mail.headerLines.find((h) => h.key === name)?.line.replace(/^[^:]+:\s*/, '');
const to = (mail: ParsedMail) => (Array.isArray(mail.to) ? mail.to[0]?.text : mail.to?.text) ?? '';
const link = (mail: ParsedMail, prefix: string) => new RegExp(`${prefix.replace(/[.?]/g, '\\$&')}[^\\s"<>]*`).exec(mail.text ?? '')?.[0];

async function englishBuyer(): Promise<TestBrowser> {
  const browser = anonymous(ctx.app);
  await browser.get('/login?lang=en');
  const res = await browser.post('/login', { email: BUYER, password: 'xiangyi-demo' }, { csrfFrom: '/login' });
  expect(res.statusCode).toBe(303);
  return browser;
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

async function placeOrder(buyer: TestBrowser, slug = 'meiyaogou-honey', quantity = 2): Promise<{ number: string; token: string }> {
  expect((await buyer.post('/cart/items', { productId: String(productId(slug)), quantity: String(quantity) })).statusCode).toBe(303);
  const res = await buyer.post('/checkout', contact);
  expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
  const m = /^\/orders\/(XY-\d{8}-\d{4})\?token=(.+)$/.exec(String(res.headers.location))!;
  return { number: m[1]!, token: decodeURIComponent(m[2]!) };
}

describe('e-mail about an order', () => {
  it('tells a signed-in buyer, in the language they use, of each step: placed with the bank details, paid, shipped with tracking, refunded; and the village secretary of the parcel to ship', async () => {
    const buyer = await englishBuyer();
    const { number } = await placeOrder(buyer);
    const total = totalOf(number);

    const [placed, ...morePlaced] = await deliver();
    expect(morePlaced).toHaveLength(0);
    expect(to(placed!)).toBe(BUYER);
    expect(placed!.subject).toBe(`Order ${number} placed`);
    expect(placed!.text).toContain(`Amount due: ${formatFen(total)}`);
    expect(placed!.text).toContain(`Account number: ${ctx.config.bank.accountNumber}`);
    expect(placed!.text).toContain(`Bank: ${ctx.config.bank.bankName}`);
    expect(placed!.text).toContain(`Reference: ${number}`);
    expect(placed!.html).toContain(ctx.config.bank.accountNumber);
    expect(rawHeader(placed!, 'list-unsubscribe')).toBeUndefined();
    // The link in the e-mail opens the order for whoever holds it, signed in or not.
    const orderLink = link(placed!, `https://shop.xiangyi.test/orders/${number}?token=`)!;
    expect(orderLink).toBeDefined();
    const page = await anonymous(ctx.app).get(orderLink.replace('https://shop.xiangyi.test', ''));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(number);

    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await coordinator.post(`/coordinator/orders/${number}/mark-paid`, { reference: 'ICBC 0001' }, { csrfFrom: '/coordinator' })).statusCode).toBe(303);
    const paid = await deliver();
    expect(paid.map(to).sort()).toEqual([BUYER, SECRETARY_MEIYAOGOU]);
    const toBuyer = paid.find((m) => to(m) === BUYER)!;
    expect(toBuyer.subject).toBe(`Order ${number} is paid`);
    expect(toBuyer.text).toContain(`Amount paid: ${formatFen(total)}`);
    // The secretary never signed in with another language: Chinese, and a notice they may turn off.
    const toSecretary = paid.find((m) => to(m) === SECRETARY_MEIYAOGOU)!;
    expect(toSecretary.subject).toBe(`煤窑沟村有新的已付款订单 ${number} 待发货`);
    expect(toSecretary.text).toContain('https://shop.xiangyi.test/secretary/orders');
    expect(toSecretary.text).not.toContain('科技园南路'); // the address stays in the console
    expect(rawHeader(toSecretary, 'list-unsubscribe')).toMatch(/^<https:\/\/shop\.xiangyi\.test\/mail\/unsubscribe\?u=\d+&sig=[\w-]+>$/);
    expect(rawHeader(toSecretary, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(toSecretary.text).toContain('https://shop.xiangyi.test/mail/preferences?u=');

    const secretary = await signIn(ctx.app, SECRETARY_MEIYAOGOU);
    expect((await secretary.post(`/secretary/orders/${number}/ship`, { carrier: '顺丰速运', trackingNumber: 'SF1234567890' })).statusCode).toBe(303);
    const [shipped, ...moreShipped] = await deliver();
    expect(moreShipped).toHaveLength(0);
    expect(to(shipped!)).toBe(BUYER);
    expect(shipped!.subject).toBe(`Order ${number} has shipped`);
    // The carrier in the buyer's language, and a link to the carrier's own tracking page for the number.
    expect(shipped!.text).toContain('Carrier: SF Express');
    expect(shipped!.text).toContain('Tracking number: SF1234567890');
    expect(trackingLink('顺丰速运', 'SF1234567890')).toBe('https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF1234567890');
    expect(shipped!.text).toContain(trackingLink('顺丰速运', 'SF1234567890'));

    expect(
      (await coordinator.post(`/coordinator/orders/${number}/refund`, { amount: '10', reason: 'one jar broke', lineId: '' }, { csrfFrom: '/coordinator' }))
        .statusCode,
    ).toBe(303);
    const [refunded, ...moreRefunded] = await deliver();
    expect(moreRefunded).toHaveLength(0);
    expect(to(refunded!)).toBe(BUYER);
    expect(refunded!.subject).toBe(`Order ${number}: ¥10.00 refunded`);
    expect(refunded!.text).toContain(`Refunded so far: ¥10.00 of ${formatFen(total)}`);
    expect(refunded!.text).toContain('Reason: one jar broke');

    // Nothing is sent twice.
    ctx.clock.advance(7 * 24 * HOUR);
    expect(await deliver()).toHaveLength(0);
  });

  it('writes to a signed-in buyer in their account’s language, whatever language the order was placed in', async () => {
    const buyer = await signIn(ctx.app, BUYER); // signed in in Chinese: the account's language
    expect((await buyer.get('/?lang=en')).statusCode).toBe(200);
    const { number } = await placeOrder(buyer);
    expect(get<{ locale: string }>(`SELECT locale FROM orders WHERE number = ?`, number).locale).toBe('en');
    const [placed, ...more] = await deliver();
    expect(more).toHaveLength(0);
    expect(to(placed!)).toBe(BUYER);
    expect(placed!.subject).toBe(`订单 ${number} 已提交`);
    expect(placed!.text).toContain(`账号: ${ctx.config.bank.accountNumber}`);
  });

  it('tells a Chinese-speaking buyer their order was cancelled, once', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    const { number } = await placeOrder(buyer);
    await deliver();
    expect((await buyer.post(`/orders/${number}/cancel`, {})).statusCode).toBe(303);
    const [cancelled, ...more] = await deliver();
    expect(more).toHaveLength(0);
    expect(to(cancelled!)).toBe(BUYER);
    expect(cancelled!.subject).toBe(`订单 ${number} 已取消`);
    expect(cancelled!.text).toContain(`https://shop.xiangyi.test/orders/${number}`);
  });

  it('tells the buyer an order expired unpaid, once, however often expiry runs', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    const { number } = await placeOrder(buyer);
    await deliver();
    const clock = () => ctx.clock.now;
    const outbox = createOutbox(ctx.db, { clock });
    const orders = createOrdersService(ctx.db, {
      clock,
      ledger: createLedgerService(ctx.db, { clock }),
      audit: createAuditService(ctx.db, clock),
      expiry: ctx.config.orderExpiry,
      events: createOrderNotices({
        outbox,
        preferences: createMailPreferences(ctx.db, { clock, secret: ctx.config.sessionSecret, publicUrl: ctx.config.publicUrl }),
        people: { mailRecipient: (tx, id) => userById(tx, id), secretariesOfVillage },
        villageNames: (tx) => villagesByIds(tx, 'all'),
        config: ctx.config,
      }),
    });
    ctx.clock.advance(ctx.config.orderExpiry.offlineMs + 60_000);
    expect(await orders.expireDue()).toBe(1);
    expect(await orders.expireDue()).toBe(0);
    const [expired, ...more] = await deliver();
    expect(more).toHaveLength(0);
    expect(to(expired!)).toBe(BUYER);
    expect(expired!.subject).toBe(`订单 ${number} 因超时未付款已取消`);
  });

  it('sends a guest nothing (no e-mail address is asked at checkout), and a failed checkout nothing at all', async () => {
    const guest = anonymous(ctx.app);
    await placeOrder(guest);
    expect(await deliver()).toHaveLength(0);
    // More than the stock: refused, and no message is written for the order that was not placed.
    const before = get<{ n: number }>(`SELECT count(*) AS n FROM outbox_messages`).n;
    const buyer = await signIn(ctx.app, BUYER);
    ctx.db.sqlite.prepare(`UPDATE products SET stock = 1 WHERE slug = 'meiyaogou-honey'`).run();
    await buyer.post('/cart/items', { productId: String(productId('meiyaogou-honey')), quantity: '1' });
    ctx.db.sqlite.prepare(`UPDATE products SET stock = 0 WHERE slug = 'meiyaogou-honey'`).run();
    const res = await buyer.post('/checkout', contact);
    expect(res.statusCode).toBe(409);
    expect(get<{ n: number }>(`SELECT count(*) AS n FROM outbox_messages`).n).toBe(before);
  });

  it('lets a secretary turn the notices off with one click from the e-mail, and a forged link does nothing', async () => {
    const coordinator = await signIn(ctx.app, COORDINATOR);
    const first = await placeOrder(anonymous(ctx.app));
    await coordinator.post(`/coordinator/orders/${first.number}/mark-paid`, { reference: 'ICBC 0002' }, { csrfFrom: '/coordinator' });
    const [notice] = await deliver();
    const unsubscribe = /^<https:\/\/shop\.xiangyi\.test(\/mail\/unsubscribe\?u=(\d+)&sig=[\w-]+)>$/.exec(rawHeader(notice!, 'list-unsubscribe') ?? '')!;
    const forged = await ctx.app.inject({
      method: 'POST',
      url: `/mail/unsubscribe?u=${unsubscribe[2]}&sig=AAAA`,
      payload: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(forged.statusCode).toBe(404);
    const oneClick = await ctx.app.inject({
      method: 'POST',
      url: unsubscribe[1]!,
      payload: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(oneClick.statusCode).toBe(200);

    const second = await placeOrder(anonymous(ctx.app));
    await coordinator.post(`/coordinator/orders/${second.number}/mark-paid`, { reference: 'ICBC 0003' }, { csrfFrom: '/coordinator' });
    expect(await deliver()).toHaveLength(0);

    // The settings page of the link turns them back on.
    const settingsUrl = /https:\/\/shop\.xiangyi\.test(\/mail\/preferences\?u=\d+&sig=[\w-]+)/.exec(notice!.text ?? '')![1]!;
    const visitor = anonymous(ctx.app);
    const settings = await visitor.get(settingsUrl);
    expect(settings.statusCode).toBe(200);
    expect(settings.body).toContain('data-notices="off"');
    const u = /u=(\d+)&sig=([\w-]+)/.exec(settingsUrl)!;
    expect((await visitor.post('/mail/preferences', { u: u[1]!, sig: u[2]!, notices: 'on' }, { csrfFrom: settingsUrl })).statusCode).toBe(303);
    expect((await visitor.get(settingsUrl)).body).toContain('data-notices="on"');
  });
});
