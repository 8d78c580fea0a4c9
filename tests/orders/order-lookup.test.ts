import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOutbox } from '../../src/notifications/outbox.js';
import { ORDER_LOOKUP } from '../../src/orders/order-lookup.js';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * "Find my order": a guest gets a fresh link to an order by its number and phone (or the account's
 * e-mail address), sent to the order's own contact through the outbox; the page never tells
 * whether anything matched, and requests are throttled per contact and per client address.
 */

const PHONE = '13800138000';
let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => ctx.close());

const checkout = {
  name: '林晓',
  phone: PHONE,
  province: '广东省',
  city: '深圳市',
  district: '福田区',
  address: '深南大道 1 号',
  paymentMethod: 'offline',
};

async function place(browser: TestBrowser, phone = PHONE): Promise<{ number: string; token: string }> {
  const productId = ctx.db.sqlite.prepare(`SELECT id FROM products WHERE slug = 'gulou-shiitake'`).pluck().get() as number;
  await browser.post('/cart/items', { productId: String(productId), quantity: '1' }, { csrfFrom: '/products/gulou-shiitake' });
  const res = await browser.post('/checkout', { ...checkout, phone }, { csrfFrom: '/cart' });
  const m = /^\/orders\/(XY-[0-9-]+)\?token=(.+)$/.exec(String(res.headers.location ?? ''));
  if (res.statusCode !== 303 || !m) throw new Error(`checkout failed: ${res.statusCode}`);
  return { number: m[1]!, token: decodeURIComponent(m[2]!) };
}

const messages = (kind: string) =>
  ctx.db.sqlite.prepare(`SELECT recipient, locale, subject, text_body AS text FROM outbox_messages WHERE kind = ? ORDER BY id`).all(kind) as {
    recipient: string;
    locale: string;
    subject: string;
    text: string;
  }[];
const lookupRows = () => ctx.db.sqlite.prepare(`SELECT count(*) FROM order_lookups`).pluck().get() as number;
const linkIn = (text: string) => {
  const url = new URL(/https?:\/\/\S+\/orders\/XY-[0-9-]+\?token=[\w-]+/.exec(text)![0]);
  return `${url.pathname}${url.search}`;
};

async function ask(number: string, contact: string, options: { lang?: string; remoteAddress?: string } = {}) {
  const visitor = anonymous(ctx.app, options.remoteAddress ? { remoteAddress: options.remoteAddress } : {});
  const lang = options.lang ?? 'zh';
  return visitor.post(`/orders/find?lang=${lang}`, { number, contact }, { csrfFrom: `/orders/find?lang=${lang}` });
}

describe('finding an order again', () => {
  it('texts a guest’s order a fresh link (kept in the outbox) that opens the order, while the first link still works', async () => {
    const guest = await place(anonymous(ctx.app));
    const res = await ask(guest.number, '138 0013 8000');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-lookup-sent');

    const sent = messages('sms:order_link');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.recipient).toBe(`+86${PHONE}`);
    expect(sent[0]!.text).toContain(guest.number);
    const link = linkIn(sent[0]!.text);
    expect(link).not.toContain(encodeURIComponent(guest.token));

    const page = await anonymous(ctx.app).get(link);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(guest.number);
    expect((await anonymous(ctx.app).get(`/orders/${guest.number}?token=${encodeURIComponent(guest.token)}`)).statusCode).toBe(200);
    // Only the secret's hash is stored.
    const token = new URL(link, 'http://x').searchParams.get('token')!;
    expect(ctx.db.sqlite.prepare(`SELECT token_hash FROM order_lookups WHERE token_hash IS NOT NULL`).pluck().get()).not.toContain(token);

    // The e-mail worker never takes a text message (there is no SMS provider yet).
    const claimed = await createOutbox(ctx.db, { clock: () => ctx.clock.now }).claim(50);
    expect(claimed.filter((c) => c.row.kind.startsWith('sms:'))).toHaveLength(0);
  });

  it('e-mails a signed-in buyer’s order to the account’s address, by phone or by that address, in the language asked in', async () => {
    const buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
    const order = await place(buyer, '13900139000');
    expect((await ask(order.number, '13900139000', { lang: 'en' })).statusCode).toBe(200);
    expect((await ask(order.number, 'Buyer@Xiangyi.test')).statusCode).toBe(200);
    const sent = messages('order_link');
    expect(sent.map((m) => [m.recipient, m.locale])).toEqual([
      ['buyer@xiangyi.test', 'en'],
      ['buyer@xiangyi.test', 'zh-CN'],
    ]);
    expect(sent[0]!.subject).toBe(`A link to your order ${order.number}`);
    expect(messages('sms:order_link')).toHaveLength(0);
    expect((await anonymous(ctx.app).get(linkIn(sent[0]!.text))).statusCode).toBe(200);
  });

  it('answers the same, byte for byte, whether the number and contact match, do not, or name no order, and sends only on a match', async () => {
    const guest = await place(anonymous(ctx.app));
    const other = await place(anonymous(ctx.app), '13700137000');
    const matched = await ask(guest.number, PHONE, { remoteAddress: '10.0.0.1' });
    const wrongPhone = await ask(guest.number, '13600136000', { remoteAddress: '10.0.0.2' });
    const othersPhone = await ask(guest.number, '13700137000', { remoteAddress: '10.0.0.3' });
    const byEmail = await ask(guest.number, 'someone@example.test', { remoteAddress: '10.0.0.4' });
    const noOrder = await ask('XY-20200101-0001', PHONE, { remoteAddress: '10.0.0.5' });
    for (const res of [wrongPhone, othersPhone, byEmail]) {
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(matched.body);
    }
    expect(noOrder.statusCode).toBe(200);
    expect(noOrder.body.replaceAll('XY-20200101-0001', guest.number)).toBe(matched.body);
    expect(messages('sms:order_link').map((m) => m.recipient)).toEqual([`+86${PHONE}`]);
    expect(messages('order_link')).toHaveLength(0);
    expect(other.number).not.toBe(guest.number);
  });

  it('sends at most three links an hour for one contact, and answers the same past that', async () => {
    const guest = await place(anonymous(ctx.app));
    const answers: Awaited<ReturnType<typeof ask>>[] = [];
    for (let i = 0; i < ORDER_LOOKUP.maxPerContact + 1; i++) answers.push(await ask(guest.number, PHONE, { remoteAddress: `10.0.1.${i + 1}` }));
    expect(answers.every((a) => a.statusCode === 200 && a.body === answers[0]!.body)).toBe(true);
    expect(messages('sms:order_link')).toHaveLength(ORDER_LOOKUP.maxPerContact);
    ctx.clock.advance(ORDER_LOOKUP.windowMs + 1);
    await ask(guest.number, PHONE, { remoteAddress: '10.0.1.99' });
    expect(messages('sms:order_link')).toHaveLength(ORDER_LOOKUP.maxPerContact + 1);
  });

  it('sends nothing to a client address that already asked ten times this hour, whatever it asks', async () => {
    const guest = await place(anonymous(ctx.app));
    const now = ctx.clock.now;
    const insert = ctx.db.sqlite.prepare(`INSERT INTO order_lookups (contact_hash, client_address, created_at, expires_at) VALUES (?, '10.0.2.1', ?, ?)`);
    for (let i = 0; i < ORDER_LOOKUP.maxPerClient; i++) insert.run(`guess-${i}`, now, now);
    const res = await ask(guest.number, PHONE, { remoteAddress: '10.0.2.1' });
    expect(res.statusCode).toBe(200);
    expect(messages('sms:order_link')).toHaveLength(0);
    await ask(guest.number, PHONE, { remoteAddress: '10.0.2.2' });
    expect(messages('sms:order_link')).toHaveLength(1);
  });

  it('lets a link expire after a week', async () => {
    const guest = await place(anonymous(ctx.app));
    await ask(guest.number, PHONE);
    const link = linkIn(messages('sms:order_link')[0]!.text);
    ctx.clock.advance(ORDER_LOOKUP.linkMs);
    expect((await anonymous(ctx.app).get(link)).statusCode).toBe(404);
  });

  it('marks a malformed number or contact on the form and writes nothing', async () => {
    const res = await ask('12345', 'not a phone');
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('id="e-number"');
    expect(res.body).toContain('id="e-contact"');
    const empty = await ask('', '', { lang: 'en' });
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain('This field is required');
    const markup = await ask('<script>alert(1)</script>', '<b>x</b>@example.test');
    expect(markup.statusCode).toBe(422);
    expect(markup.body).not.toContain('<script>alert(1)</script>');
    expect(lookupRows()).toBe(0);
  });

  it('refuses a post without its CSRF token and sends nothing', async () => {
    const guest = await place(anonymous(ctx.app));
    const res = await anonymous(ctx.app).post('/orders/find', { number: guest.number, contact: PHONE }, { withoutCsrf: true });
    expect(res.statusCode).toBe(403);
    expect(lookupRows()).toBe(0);
    expect(messages('sms:order_link')).toHaveLength(0);
  });
});

describe('a signed-in buyer’s orders', () => {
  it('lists every order of theirs, 20 to a page, newest first, and none of anyone else’s', async () => {
    const buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
    // One order placed at checkout, 20 more like it (the limit on unpaid orders keeps a buyer from placing them all at once).
    const placed = (await place(buyer)).number;
    const mine = [placed];
    const clone = ctx.db.sqlite.prepare(
      `INSERT INTO orders (number, access_token_hash, receipt_code, buyer_user_id, contact_name, phone, province, city, district, address, status, payment_method, subtotal_fen, shipping_fen, total_fen, expires_at, created_at, updated_at)
       SELECT ?, access_token_hash, ?, buyer_user_id, contact_name, phone, province, city, district, address, 'cancelled', payment_method, subtotal_fen, shipping_fen, total_fen, expires_at, created_at + ?, updated_at FROM orders WHERE number = ?`,
    );
    for (let i = 1; i <= 20; i++) {
      const number = `XY-20991231-${String(i).padStart(4, '0')}`;
      clone.run(number, `RC-TEST-${i}`, i * 1000, placed);
      mine.push(number);
    }
    const guest = await place(anonymous(ctx.app));
    const first = await buyer.get('/account/orders');
    expect(first.statusCode).toBe(200);
    const numbers = (html: string) => [...html.matchAll(/data-order="(XY-[0-9-]+)"/g)].map((m) => m[1]);
    expect(numbers(first.body)).toEqual(mine.slice(1).reverse());
    expect(first.body).toMatch(/href="\/account\/orders\?page(=|&#x3D;)2" rel="next"/);
    const second = await buyer.get('/account/orders?page=2');
    expect(numbers(second.body)).toEqual([mine[0]]);
    expect(first.body + second.body).not.toContain(guest.number);
    expect((await buyer.get('/account/orders?page=3')).statusCode).toBe(404);
    expect((await buyer.get('/account/orders?page=abc')).statusCode).toBe(400);
  });
});
