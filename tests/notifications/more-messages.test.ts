import type { ParsedMail } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { secretariesOfVillage, userById } from '../../src/accounts/accounts-queries.js';
import type { Query, Tx } from '../../src/db/unit-of-work.js';
import { createMailPreferences } from '../../src/notifications/mail-preferences.js';
import { createOrderNotices } from '../../src/notifications/order-notices.js';
import { createOutbox } from '../../src/notifications/outbox.js';
import { createRecallNotices, createWishNotices } from '../../src/notifications/recall-notices.js';
import { orderById } from '../../src/orders/orders-queries.js';
import { formatFen } from '../../src/money.js';
import { villagesByIds } from '../../src/villages/villages-queries.js';
import { wishById } from '../../src/wishes/wishes-queries.js';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { jpegPhoto, postMultipart } from '../helpers/multipart.js';
import { placePaidOrder } from '../helpers/orders.js';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * The messages besides an order's own steps, over a real SMTP conversation on loopback: the buyer
 * told of delivery, a recall and a wish come true; the village told when a product runs low (once
 * per crossing of its threshold); the coordinators' daily digest. Each is written in the unit of
 * work of the change it reports, so a change that rolls back writes none.
 */

const BUYER = 'buyer@xiangyi.test';
const COORDINATOR = 'coordinator@xiangyi.test';
const SECRETARY_MEIYAOGOU = 'secretary.meiyaogou@xiangyi.test';
const OUTLET_STAFF = 'outlet@xiangyi.test';
const HOUR = 3_600_000;
const PUBLIC_URL = 'https://shop.xiangyi.test';

let ctx: TestContext;
let smtp: TestSmtpServer;

beforeEach(async () => {
  smtp = await startSmtpServer();
  ctx = await createTestApp({ env: { SMTP_URL: smtp.url, PUBLIC_URL } });
  await deliver();
});
afterEach(async () => {
  await ctx.close();
  await smtp.close();
});

const get = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).get(...params) as T;
const productId = (slug: string) => get<{ id: number }>(`SELECT id FROM products WHERE slug = ?`, slug).id;
const outboxCount = (kind: string) => get<{ n: number }>(`SELECT count(*) AS n FROM outbox_messages WHERE kind = ?`, kind).n;
const allOutbox = () => get<{ n: number }>(`SELECT count(*) AS n FROM outbox_messages`).n;

async function deliver(): Promise<ParsedMail[]> {
  const before = smtp.received.length;
  await ctx.app.outboxWorker.runOnce();
  return smtp.received.slice(before);
}

const rawHeader = (mail: ParsedMail, name: string) => mail.headerLines.find((h) => h.key === name)?.line.replace(/^[^:]+:\s*/, '');
const to = (mail: ParsedMail) => (Array.isArray(mail.to) ? mail.to[0]?.text : mail.to?.text) ?? '';

async function englishBuyer(): Promise<TestBrowser> {
  const browser = anonymous(ctx.app);
  await browser.get('/login?lang=en');
  expect((await browser.post('/login', { email: BUYER, password: 'xiangyi-demo' }, { csrfFrom: '/login' })).statusCode).toBe(303);
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

async function placeOrder(buyer: TestBrowser, items: [string, number][], extra: Record<string, string> = {}) {
  for (const [slug, quantity] of items) {
    expect((await buyer.post('/cart/items', { productId: String(productId(slug)), quantity: String(quantity) })).statusCode).toBe(303);
  }
  const res = await buyer.post('/checkout', { ...contact, ...extra });
  return res;
}

async function placedNumber(buyer: TestBrowser, items: [string, number][], extra: Record<string, string> = {}): Promise<{ number: string; url: string }> {
  const res = await placeOrder(buyer, items, extra);
  expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
  const url = String(res.headers.location);
  return { number: /^\/orders\/(XY-\d{8}-\d{4})\?token=/.exec(url)![1]!, url };
}

/** The notices as the app builds them, on the test's database, for steps run in a unit the test controls. */
function notices() {
  const clock = () => ctx.clock.now;
  const outbox = createOutbox(ctx.db, { clock });
  const preferences = createMailPreferences(ctx.db, { clock, secret: ctx.config.sessionSecret, publicUrl: ctx.config.publicUrl });
  const people = { mailRecipient: (tx: Tx, id: number) => userById(tx, id), secretariesOfVillage };
  return {
    order: createOrderNotices({ outbox, preferences, people, villageNames: (tx) => villagesByIds(tx, 'all'), config: ctx.config }),
    recall: createRecallNotices({ outbox, preferences, people, config: ctx.config }),
    wish: createWishNotices({ outbox, preferences, people, config: ctx.config }),
  };
}

/** Runs a notice as a step of a unit that then fails: nothing may be left in the outbox. Then commits it: one message. */
async function expectWrittenOnlyWithCommit(step: (tx: Tx) => Query<void>) {
  const before = allOutbox();
  await expect(
    ctx.db.uow.write(function* (tx) {
      yield* step(tx);
      throw new Error('the change failed');
    }),
  ).rejects.toThrow('the change failed');
  expect(allOutbox()).toBe(before);
  await ctx.db.uow.write((tx) => step(tx));
  expect(allOutbox()).toBe(before + 1);
}

const pickupCodeIn = (html: string) => /data-pickup-code>(\d{6})</.exec(html)?.[1] ?? null;

describe('the buyer is told the order was delivered', () => {
  it('once, in their language, when the outlet hands over the parcel', async () => {
    const buyer = await englishBuyer();
    const outletId = get<{ id: number }>(`SELECT id FROM outlets WHERE slug = 'shenzhen-futian'`).id;
    const { number, url } = await placedNumber(buyer, [['meiyaogou-yuba', 2]], { delivery: 'pickup', outletId: String(outletId), step: 'place' });
    const code = pickupCodeIn((await buyer.get(url)).body)!;
    expect(code).toMatch(/^\d{6}$/);
    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await coordinator.post(`/coordinator/orders/${number}/mark-paid`, { reference: 'ICBC 1' }, { csrfFrom: '/coordinator' })).statusCode).toBe(303);
    const secretary = await signIn(ctx.app, SECRETARY_MEIYAOGOU);
    expect((await secretary.post(`/secretary/orders/${number}/ship`, { carrier: '顺丰速运', trackingNumber: 'SF0001' })).statusCode).toBe(303);
    await deliver();

    const staff = await signIn(ctx.app, OUTLET_STAFF);
    expect((await staff.post(`/outlet/${outletId}/pickups`, { code })).statusCode).toBe(200);
    const [delivered, ...more] = await deliver();
    expect(more).toHaveLength(0);
    expect(to(delivered!)).toBe(BUYER);
    expect(delivered!.subject).toBe(`Order ${number} has been delivered`);
    expect(delivered!.text).toContain(`${PUBLIC_URL}/orders/${number}`);
    expect(rawHeader(delivered!, 'list-unsubscribe')).toBeUndefined();
    expect(outboxCount('order_delivered')).toBe(1);
  });

  it('is written only with the change: nothing when it rolls back', async () => {
    await signIn(ctx.app, BUYER);
    const { number } = await placedNumber(await signIn(ctx.app, BUYER), [['meiyaogou-honey', 1]]);
    const id = get<{ id: number }>(`SELECT id FROM orders WHERE number = ?`, number).id;
    const order = (await ctx.db.uow.read((tx) => orderById(tx, id)))!;
    const { order: events } = notices();
    await expectWrittenOnlyWithCommit((tx) => events.delivered(tx, order));
  });
});

describe('the village is told a product runs low', () => {
  it('once per crossing of the threshold, not at every sale, as a notice the secretary may turn off', async () => {
    ctx.db.sqlite.prepare(`UPDATE products SET stock = 12, low_stock_threshold = 10 WHERE slug = 'meiyaogou-honey'`).run();
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]); // 11 left: above
    expect(outboxCount('low_stock')).toBe(0);
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]); // 9 left: crossed
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]); // 8 left: still low, nothing new
    expect(outboxCount('low_stock')).toBe(1);

    const lowStock = (await deliver()).filter((m) => m.subject?.includes('库存不足'));
    expect(lowStock).toHaveLength(1);
    expect(to(lowStock[0]!)).toBe(SECRETARY_MEIYAOGOU);
    expect(lowStock[0]!.subject).toContain('只剩 9');
    expect(lowStock[0]!.text).toContain(`${PUBLIC_URL}/secretary/products/${productId('meiyaogou-honey')}`);
    expect(rawHeader(lowStock[0]!, 'list-unsubscribe')).toMatch(/^<https:\/\/shop\.xiangyi\.test\/mail\/unsubscribe\?u=\d+&sig=[\w-]+>$/);
    expect(lowStock[0]!.text).toContain(`${PUBLIC_URL}/mail/preferences?u=`);

    // Restocked above the threshold, then sold below it again: a new crossing, a new notice.
    ctx.db.sqlite.prepare(`UPDATE products SET stock = 20 WHERE slug = 'meiyaogou-honey'`).run();
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 11 }]);
    expect(outboxCount('low_stock')).toBe(2);
  });

  it('writes nothing when the sale that crossed it rolls back (another line was sold out)', async () => {
    ctx.db.sqlite.prepare(`UPDATE products SET stock = 11, low_stock_threshold = 10 WHERE slug = 'meiyaogou-honey'`).run();
    const buyer = anonymous(ctx.app);
    expect((await buyer.post('/cart/items', { productId: String(productId('meiyaogou-honey')), quantity: '3' })).statusCode).toBe(303);
    expect((await buyer.post('/cart/items', { productId: String(productId('meiyaogou-yuba')), quantity: '2' })).statusCode).toBe(303);
    ctx.db.sqlite.prepare(`UPDATE products SET stock = 0 WHERE slug = 'meiyaogou-yuba'`).run();
    const before = allOutbox();
    expect((await buyer.post('/checkout', contact)).statusCode).toBe(409);
    expect(allOutbox()).toBe(before);
    expect(get<{ stock: number }>(`SELECT stock FROM products WHERE slug = 'meiyaogou-honey'`).stock).toBe(11);
  });
});

describe('buyers holding units of a recalled lot are told', () => {
  it('each signed-in buyer once, in their language, with what to do at their order’s stage', async () => {
    const buyer = await englishBuyer();
    const { number } = await placedNumber(buyer, [['meiyaogou-honey', 1]]);
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]); // a guest: no e-mail address to write to
    await deliver();
    const lotId = get<{ id: number }>(`SELECT id FROM lots WHERE code = 'MYG-HONEY-SPRING'`).id;
    const secretary = await signIn(ctx.app, SECRETARY_MEIYAOGOU);
    expect(
      (await secretary.post(`/secretary/lots/${lotId}/recall`, { reason: 'moisture too high' }, { csrfFrom: `/secretary/lots/${lotId}` })).statusCode,
    ).toBe(303);
    const [notice, ...more] = await deliver();
    expect(more).toHaveLength(0);
    expect(to(notice!)).toBe(BUYER);
    expect(notice!.subject).toContain(`Recall notice`);
    expect(notice!.subject).toContain(number);
    expect(notice!.text).toContain('MYG-HONEY-SPRING');
    expect(notice!.text).toContain('reason: moisture too high');
    expect(notice!.text).toContain('Please do not pay for it yet');
    expect(rawHeader(notice!, 'list-unsubscribe')).toBeUndefined();
  });

  it('is written only with the recall: nothing when it rolls back', async () => {
    const { number } = await placedNumber(await signIn(ctx.app, BUYER), [['meiyaogou-honey', 1]]);
    const o = get<{ id: number; buyerUserId: number }>(`SELECT id, buyer_user_id AS buyerUserId FROM orders WHERE number = ?`, number);
    const { recall } = notices();
    await expectWrittenOnlyWithCommit((tx) =>
      recall.recalled(tx, { code: 'MYG-HONEY-SPRING', reason: '抽检' }, [
        {
          orderId: o.id,
          number,
          buyerUserId: o.buyerUserId,
          contactName: '林小梅',
          productZh: '土蜂蜜',
          productEn: null,
          unit: 'jar',
          units: 1,
          stage: 'unpaid',
        },
      ]),
    );
  });
});

describe('the donor of a micro-wish is told how to pay', () => {
  it('once, by e-mail with the bank details, in their language, without promising goods', async () => {
    const wishId = get<{ id: number }>(`SELECT id FROM wishes WHERE child_name = '小花'`).id;
    const donor = await englishBuyer();
    const claimed = await donor.post(
      `/wishes/${wishId}/claim`,
      { name: '林晓', phone: '13800138000', paymentMethod: 'offline' },
      { csrfFrom: `/wishes/${wishId}` },
    );
    expect(claimed.statusCode, claimed.body.slice(0, 300)).toBe(303);
    const number = /^\/orders\/(XY-\d{8}-\d{4})/.exec(String(claimed.headers.location))![1]!;
    const total = get<{ totalFen: number }>(`SELECT total_fen AS totalFen FROM orders WHERE number = ?`, number).totalFen;
    const [placed, ...more] = await deliver();
    expect(more).toHaveLength(0);
    expect(to(placed!)).toBe(BUYER);
    expect(placed!.subject).toBe(`Order ${number} placed`);
    expect(placed!.text).toContain('Thank you for fulfilling a wish!');
    expect(placed!.text).not.toContain('traced to the households and project behind each product');
    expect(placed!.text).toContain(`Amount due: ${formatFen(total)}`);
    expect(placed!.text).toContain(`Reference: ${number}`);
    expect(placed!.text).toContain(`${PUBLIC_URL}/orders/${number}?token=`);
    expect(await deliver()).toHaveLength(0);
  });
});

describe('the donor is told their wish came true', () => {
  it('with the social worker’s delivery note, once', async () => {
    const wishId = get<{ id: number }>(`SELECT id FROM wishes WHERE child_name = '小花'`).id;
    const donor = await englishBuyer();
    const claimed = await donor.post(
      `/wishes/${wishId}/claim`,
      { name: '林晓', phone: '13800138000', paymentMethod: 'offline' },
      { csrfFrom: `/wishes/${wishId}` },
    );
    expect(claimed.statusCode, claimed.body.slice(0, 300)).toBe(303);
    const number = /^\/orders\/(XY-\d{8}-\d{4})/.exec(String(claimed.headers.location))![1]!;
    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await coordinator.post(`/coordinator/orders/${number}/mark-paid`, { reference: 'W-1' }, { csrfFrom: '/coordinator' })).statusCode).toBe(303);
    await deliver();
    const done = await postMultipart(
      ctx.app,
      coordinator,
      `/coordinator/wishes/${wishId}/deliver`,
      { note: '书包已经送到小花手上，她说谢谢！' },
      await jpegPhoto(),
      `/coordinator/wishes/${wishId}`,
    );
    expect(done.statusCode).toBe(303);
    const [thanks, ...more] = await deliver();
    expect(more).toHaveLength(0);
    expect(to(thanks!)).toBe(BUYER);
    expect(thanks!.subject).toContain('has reached 小花');
    expect(thanks!.text).toContain('A note from the social worker: 书包已经送到小花手上，她说谢谢！');
    expect(thanks!.text).toContain(`${PUBLIC_URL}/wishes/${wishId}`);
    expect(thanks!.text).toContain(number);
  });

  it('is written only with the delivery: nothing when it rolls back', async () => {
    const wishId = get<{ id: number }>(`SELECT id FROM wishes WHERE child_name = '小花'`).id;
    const { number } = await placedNumber(await signIn(ctx.app, BUYER), [['meiyaogou-honey', 1]]);
    const id = get<{ id: number }>(`SELECT id FROM orders WHERE number = ?`, number).id;
    const order = (await ctx.db.uow.read((tx) => orderById(tx, id)))!;
    const wish = (await ctx.db.uow.read((tx) => wishById(tx, wishId)))!;
    const { wish: events } = notices();
    await expectWrittenOnlyWithCommit((tx) => events.delivered(tx, { ...wish, deliveryNote: '已送到' }, order));
  });
});

describe('the coordinators’ daily digest', () => {
  /** 07:00 China Standard Time on the day after the test's start. */
  const morningOfNextDay = () => {
    const cst = new Date(ctx.clock.now + 8 * HOUR);
    return Date.UTC(cst.getUTCFullYear(), cst.getUTCMonth(), cst.getUTCDate() + 1, 7) - 8 * HOUR;
  };

  it('lists the bank transfers waiting for confirmation, from 08:00 CST, once a day however often the sweep runs', async () => {
    // A signed-in buyer's transfer is held 72 hours: still waiting on both days.
    const { number } = await placedNumber(await signIn(ctx.app, BUYER), [['meiyaogou-honey', 1]]);
    const total = get<{ totalFen: number }>(`SELECT total_fen AS totalFen FROM orders WHERE number = ?`, number).totalFen;
    await deliver();

    ctx.clock.now = morningOfNextDay();
    await ctx.app.periodicWork.runOnce();
    expect(outboxCount('coordinator_digest')).toBe(0); // before 08:00

    ctx.clock.advance(1.5 * HOUR);
    await ctx.app.periodicWork.runOnce();
    await ctx.app.periodicWork.runOnce();
    const digests = (await deliver()).filter((m) => to(m) === COORDINATOR);
    expect(digests).toHaveLength(1);
    const digest = digests[0]!;
    expect(digest.subject).toMatch(/协调员日报：\d+ 笔转账待确认/);
    expect(digest.text).toContain(number);
    expect(digest.text).toContain(`¥${(total / 100).toFixed(2)}`);
    expect(digest.text).toContain(`${PUBLIC_URL}/coordinator`);
    expect(digest.text).toContain(`${PUBLIC_URL}/coordinator/reconciliation?period=`);
    expect(rawHeader(digest, 'list-unsubscribe')).toMatch(/^<https:\/\/shop\.xiangyi\.test\/mail\/unsubscribe\?u=\d+&sig=[\w-]+>$/);
    const perCoordinator = get<{ n: number }>(`SELECT count(*) AS n FROM outbox_messages WHERE kind = 'coordinator_digest' AND recipient = ?`, COORDINATOR).n;
    expect(perCoordinator).toBe(1);

    // The next day: another one.
    ctx.clock.advance(24 * HOUR);
    await ctx.app.periodicWork.runOnce();
    expect(get<{ n: number }>(`SELECT count(*) AS n FROM outbox_messages WHERE kind = 'coordinator_digest' AND recipient = ?`, COORDINATOR).n).toBe(2);
  });
});
