import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { trackingUrlOf } from '../../src/orders/index.js';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { en, zhCN } from '../../src/i18n/catalogue.js';
import { retryDelayMs } from '../../src/notifications/outbox.js';
import { chineseMobile } from '../../src/notifications/sms-provider.js';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Text messages to buyers without an e-mail address (guests), through the HTTP SMS provider and
 * the outbox worker: the provider here is a local fake speaking the documented JSON shape (README
 * "Text messages"), which can refuse for a while as a provider that is down would.
 */

interface SmsRequest {
  headers: IncomingHttpHeaders;
  body: { to: string; sign: string; text: string; reference: string };
}

interface FakeProvider {
  url: string;
  /** Every request, accepted or not, oldest first. */
  requests: SmsRequest[];
  /** Answer the next `count` requests with `status` (503: try again; 400: refused for good). */
  failNext(count: number, status: number): void;
  close(): Promise<void>;
}

async function startFakeProvider(): Promise<FakeProvider> {
  const requests: SmsRequest[] = [];
  let failing = { count: 0, status: 503 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.setHeader('content-type', 'application/json');
      if (req.headers.authorization !== `Bearer ${KEY}`) {
        res.statusCode = 401;
        res.end('{"error":"bad key"}');
        return;
      }
      if (failing.count > 0) {
        failing.count--;
        res.statusCode = failing.status;
        res.end('{"error":"unavailable"}');
        return;
      }
      res.end(JSON.stringify({ id: `sms-${requests.length}`, status: 'accepted' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/sms`,
    requests,
    failNext(count, status) {
      failing = { count, status };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const KEY = 'test-sms-key-0123456789';
const GUEST_PHONE = '138 0013 8000';

let ctx: TestContext;
let provider: FakeProvider;

beforeEach(async () => {
  provider = await startFakeProvider();
  ctx = await createTestApp({ env: { SMS_API_URL: provider.url, SMS_API_KEY: KEY, SMS_SIGN_NAME: '乡益', PUBLIC_URL: 'https://shop.xiangyi.test' } });
  await ctx.app.outboxWorker.runOnce();
});
afterEach(async () => {
  await ctx.close();
  await provider.close();
});

const get = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).get(...params) as T;
const productId = (slug: string) => get<{ id: number }>(`SELECT id FROM products WHERE slug = ?`, slug).id;
const smsRows = () =>
  ctx.db.sqlite.prepare(`SELECT kind, recipient, status, attempts FROM outbox_messages WHERE kind LIKE 'sms:%' ORDER BY id`).all() as {
    kind: string;
    recipient: string;
    status: string;
    attempts: number;
  }[];

/** Runs the worker and returns the requests the provider received in that pass. */
async function deliver(): Promise<SmsRequest[]> {
  const before = provider.requests.length;
  await ctx.app.outboxWorker.runOnce();
  return provider.requests.slice(before);
}

const contact = {
  name: '林小梅',
  phone: GUEST_PHONE,
  province: '广东省',
  city: '深圳市',
  district: '南山区',
  address: '科技园南路 88 号',
  note: '',
  paymentMethod: 'offline',
};

async function placeOrder(buyer: TestBrowser, slug: string, quantity: number, extra: Record<string, string> = {}): Promise<{ number: string; url: string }> {
  expect((await buyer.post('/cart/items', { productId: String(productId(slug)), quantity: String(quantity) })).statusCode).toBe(303);
  const res = await buyer.post('/checkout', { ...contact, ...extra });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
  const url = String(res.headers.location);
  return { number: /^\/orders\/(XY-\d{8}-\d{4})\?token=/.exec(url)![1]!, url };
}

describe('Chinese mobile numbers', () => {
  it('are recognised however they are typed, and nothing else is', () => {
    expect(chineseMobile('13800138000')).toBe('+8613800138000');
    expect(chineseMobile('+86 138-0013-8000')).toBe('+8613800138000');
    expect(chineseMobile('0086 19912345678')).toBe('+8619912345678');
    expect(chineseMobile('0755-88886666')).toBeNull();
    expect(chineseMobile('12800138000')).toBeNull();
    expect(chineseMobile('+44 7700 900123')).toBeNull();
  });
});

describe('text messages to a guest', () => {
  it('send the bank details of an order placed by transfer, once, in the documented JSON shape', async () => {
    const { number } = await placeOrder(anonymous(ctx.app), 'meiyaogou-honey', 1);
    const total = get<{ totalFen: number }>(`SELECT total_fen AS totalFen FROM orders WHERE number = ?`, number).totalFen;
    const [sms, ...more] = await deliver();
    expect(more).toHaveLength(0);
    expect(sms!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sms!.headers['content-type']).toBe('application/json');
    expect(sms!.body.to).toBe('+8613800138000');
    expect(sms!.body.sign).toBe('乡益');
    expect(sms!.body.reference).toMatch(/^outbox-\d+$/);
    expect(sms!.headers['idempotency-key']).toBe(sms!.body.reference);
    expect(sms!.body.text).toContain(number);
    expect(sms!.body.text).toContain(`¥${(total / 100).toFixed(2)}`);
    expect(sms!.body.text).toContain(ctx.config.bank.accountNumber);
    expect(sms!.body.text).toContain(`https://shop.xiangyi.test/orders/${number}?token=`);
    expect(smsRows()).toEqual([{ kind: 'sms:order_placed', recipient: '+8613800138000', status: 'sent', attempts: 1 }]);
    ctx.clock.advance(24 * 3600_000);
    expect(await deliver()).toHaveLength(0);
  });

  it('tell the guest their parcel shipped, with the tracking number', async () => {
    const { number } = await placeOrder(anonymous(ctx.app), 'meiyaogou-honey', 1);
    await deliver();
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    expect((await coordinator.post(`/coordinator/orders/${number}/mark-paid`, { reference: 'ICBC 1' }, { csrfFrom: '/coordinator' })).statusCode).toBe(303);
    const secretary = await signIn(ctx.app, 'secretary.meiyaogou@xiangyi.test');
    expect((await secretary.post(`/secretary/orders/${number}/ship`, { carrier: '顺丰速运', trackingNumber: 'SF1234567890' })).statusCode).toBe(303);
    const [shipped, ...more] = await deliver();
    expect(more).toHaveLength(0);
    expect(shipped!.body.text).toContain(`订单 ${number} 的包裹已发出：顺丰速运 SF1234567890`);
    // The carrier's own tracking page for the number.
    expect(shipped!.body.text).toContain('https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF1234567890');
  });

  it('send the pick-up code of an order collected at an outlet, the same as its page shows', async () => {
    const outletId = get<{ id: number }>(`SELECT id FROM outlets WHERE slug = 'shenzhen-futian'`).id;
    const guest = anonymous(ctx.app);
    const { number, url } = await placeOrder(guest, 'meiyaogou-honey', 1, { delivery: 'pickup', outletId: String(outletId), step: 'place' });
    const code = /data-pickup-code>(\d{6})</.exec((await guest.get(url)).body)![1]!;
    const sent = await deliver();
    expect(sent).toHaveLength(2);
    const pickup = sent.find((r) => r.body.text.includes('取货码'))!;
    expect(pickup.body.text).toContain(`订单 ${number} 的取货码是 ${code}`);
    expect(pickup.body.text).toContain('深圳福田慈善超市');
    expect(
      smsRows()
        .map((r) => r.kind)
        .sort(),
    ).toEqual(['sms:order_placed', 'sms:pickup_code']);
  });

  it('are not sent to a signed-in buyer (they get e-mail), nor for a checkout that failed', async () => {
    await placeOrder(await signIn(ctx.app, 'buyer@xiangyi.test'), 'meiyaogou-honey', 1);
    const guest = anonymous(ctx.app);
    expect((await guest.post('/cart/items', { productId: String(productId('meiyaogou-honey')), quantity: '1' })).statusCode).toBe(303);
    ctx.db.sqlite.prepare(`UPDATE products SET stock = 0 WHERE slug = 'meiyaogou-honey'`).run();
    expect((await guest.post('/checkout', contact)).statusCode).toBe(409);
    expect(await deliver()).toHaveLength(0);
    expect(smsRows()).toEqual([]);
  });
});

describe('the language of a guest’s text messages', () => {
  it('is the one they used the shop in, kept on the order: English bank details and shipping news for a guest browsing in English', async () => {
    const guest = anonymous(ctx.app);
    expect((await guest.get('/?lang=en')).statusCode).toBe(200);
    const { number } = await placeOrder(guest, 'meiyaogou-honey', 1);
    const total = get<{ totalFen: number }>(`SELECT total_fen AS totalFen FROM orders WHERE number = ?`, number).totalFen;
    expect(get<{ locale: string }>(`SELECT locale FROM orders WHERE number = ?`, number).locale).toBe('en');
    const [placed, ...more] = await deliver();
    expect(more).toHaveLength(0);
    expect(placed!.body.text).toMatch(new RegExp(`^Order ${number} placed, ¥${(total / 100).toFixed(2)} due\\. Please transfer to account name `));
    expect(placed!.body.text).toContain(`account number ${ctx.config.bank.accountNumber}, reference ${number}`);
    expect(placed!.body.text).not.toMatch(/[应付转账]/);

    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    expect((await coordinator.post(`/coordinator/orders/${number}/mark-paid`, { reference: 'ICBC 2' }, { csrfFrom: '/coordinator' })).statusCode).toBe(303);
    const secretary = await signIn(ctx.app, 'secretary.meiyaogou@xiangyi.test');
    expect((await secretary.post(`/secretary/orders/${number}/ship`, { carrier: 'SF Express', trackingNumber: 'SF9876543210' })).statusCode).toBe(303);
    const [shipped, ...moreShipped] = await deliver();
    expect(moreShipped).toHaveLength(0);
    expect(shipped!.body.text).toBe(
      `The parcel of order ${number} has shipped: SF Express SF9876543210. Track it: ${trackingUrlOf('SF Express', 'SF9876543210')}`,
    );
  });

  it('is Chinese for a guest browsing in Chinese, and so is the pick-up code', async () => {
    const outletId = get<{ id: number }>(`SELECT id FROM outlets WHERE slug = 'shenzhen-futian'`).id;
    const guest = anonymous(ctx.app);
    expect((await guest.get('/?lang=zh')).statusCode).toBe(200);
    const { number } = await placeOrder(guest, 'meiyaogou-honey', 1, { delivery: 'pickup', outletId: String(outletId), step: 'place' });
    expect(get<{ locale: string }>(`SELECT locale FROM orders WHERE number = ?`, number).locale).toBe('zh-CN');
    const texts = (await deliver()).map((r) => r.body.text);
    expect(texts).toHaveLength(2);
    expect(texts.some((text) => text.startsWith(`订单 ${number} 已提交`))).toBe(true);
    expect(texts.some((text) => text.startsWith(`订单 ${number} 的取货码是`))).toBe(true);
  });

  it('is English for the bank details of a micro-wish a guest claimed browsing in English', async () => {
    const wishId = get<{ id: number }>(`SELECT id FROM wishes WHERE child_name = '小花'`).id;
    const guest = anonymous(ctx.app);
    await guest.get('/?lang=en');
    const claimed = await guest.post(
      `/wishes/${wishId}/claim`,
      { name: 'Lin', phone: GUEST_PHONE, paymentMethod: 'offline' },
      { csrfFrom: `/wishes/${wishId}` },
    );
    expect(claimed.statusCode, claimed.body.slice(0, 300)).toBe(303);
    const number = /^\/orders\/(XY-\d{8}-\d{4})/.exec(String(claimed.headers.location))![1]!;
    const [placed, ...more] = await deliver();
    expect(more).toHaveLength(0);
    expect(placed!.body.to).toBe('+8613800138000');
    expect(placed!.body.text).toMatch(new RegExp(`^Order ${number} placed, ¥[\\d.]+ due\\.`));
    expect(placed!.body.text).toContain(`account number ${ctx.config.bank.accountNumber}, reference ${number}`);
  });

  it('is English for the pick-up code of a guest browsing in English', async () => {
    const outletId = get<{ id: number }>(`SELECT id FROM outlets WHERE slug = 'shenzhen-futian'`).id;
    const guest = anonymous(ctx.app);
    await guest.get('/?lang=en');
    const { number } = await placeOrder(guest, 'meiyaogou-honey', 1, { delivery: 'pickup', outletId: String(outletId), step: 'place' });
    const pickup = (await deliver()).find((r) => r.body.text.includes('pick-up code'))!;
    expect(pickup.body.text).toMatch(new RegExp(`^The pick-up code of order ${number} is \\d{6}\\.`));
  });
});

describe('the signature', () => {
  it('is in no text of a message: the provider adds it (SMS_SIGN_NAME), so it never appears twice', () => {
    const texts = [zhCN, en].flatMap((catalogue) => Object.entries(catalogue).filter(([key]) => key.startsWith('sms.')));
    expect(texts.length).toBeGreaterThan(6);
    for (const [key, text] of texts) {
      expect(text, key).not.toMatch(/【|】|\[Xiangyi\]|^\s*乡益|^\s*Xiangyi/);
    }
  });

  it('reaches the guest once with a fresh order link: in the provider’s sign field, not in the text', async () => {
    const { number } = await placeOrder(anonymous(ctx.app), 'meiyaogou-honey', 1);
    await deliver();
    const visitor = anonymous(ctx.app);
    expect((await visitor.post('/orders/find', { number, contact: GUEST_PHONE }, { csrfFrom: '/orders/find' })).statusCode).toBe(200);
    const [link, ...more] = await deliver();
    expect(more).toHaveLength(0);
    expect(link!.body.to).toBe('+8613800138000');
    expect(link!.body.sign).toBe('乡益');
    expect(link!.body.text).toMatch(new RegExp(`^订单 ${number} 的查看链接：https://shop\\.xiangyi\\.test/orders/${number}\\?token=`));
    expect(link!.body.text).not.toContain('乡益');
  });
});

describe('a provider that fails', () => {
  it('is tried again with the outbox’s backoff until it accepts, and the message is sent once', async () => {
    await placeOrder(anonymous(ctx.app), 'meiyaogou-honey', 1);
    provider.failNext(2, 503);
    expect(await ctx.app.outboxWorker.runOnce()).toMatchObject({ sent: 0, retrying: 1 });
    expect(await deliver()).toHaveLength(0); // not due before the wait
    ctx.clock.advance(retryDelayMs(1));
    expect(await ctx.app.outboxWorker.runOnce()).toMatchObject({ sent: 0, retrying: 1 });
    ctx.clock.advance(retryDelayMs(2));
    expect(await ctx.app.outboxWorker.runOnce()).toMatchObject({ sent: 1 });
    expect(provider.requests).toHaveLength(3);
    // Every try carries the same idempotency key: a provider that honours it sends one text.
    expect(new Set(provider.requests.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    expect(smsRows()).toEqual([{ kind: 'sms:order_placed', recipient: '+8613800138000', status: 'sent', attempts: 3 }]);
    ctx.clock.advance(24 * 3600_000);
    expect(await deliver()).toHaveLength(0);
  });

  it('gives up at once on a refusal for good (4xx), keeping the error for the admin', async () => {
    await placeOrder(anonymous(ctx.app), 'meiyaogou-honey', 1);
    provider.failNext(1, 400);
    expect(await ctx.app.outboxWorker.runOnce()).toMatchObject({ sent: 0, failed: 1 });
    const row = get<{ status: string; lastError: string }>(`SELECT status, last_error AS lastError FROM outbox_messages WHERE kind LIKE 'sms:%'`);
    expect(row.status).toBe('failed');
    expect(row.lastError).toContain('400');
    ctx.clock.advance(24 * 3600_000);
    expect(await deliver()).toHaveLength(0);
  });
});

describe('without a provider', () => {
  it('keeps text messages in the outbox, pending, and sends nothing', async () => {
    const plain = await createTestApp();
    try {
      expect(plain.config.sms).toBeNull();
      const guest = anonymous(plain.app);
      const id = plain.db.sqlite.prepare(`SELECT id FROM products WHERE slug = 'meiyaogou-honey'`).pluck().get() as number;
      expect((await guest.post('/cart/items', { productId: String(id), quantity: '1' })).statusCode).toBe(303);
      expect((await guest.post('/checkout', contact)).statusCode).toBe(303);
      await plain.app.outboxWorker.runOnce();
      const row = plain.db.sqlite.prepare(`SELECT status FROM outbox_messages WHERE kind = 'sms:order_placed'`).get() as { status: string };
      expect(row.status).toBe('pending');
    } finally {
      await plain.close();
    }
    expect(provider.requests).toHaveLength(0);
  });
});
