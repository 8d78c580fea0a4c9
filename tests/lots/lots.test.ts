import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { jpegPhoto, postMultipart } from '../helpers/multipart.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Harvest lots: stock held in lots is sold oldest harvest first, a cancelled order gives its units
 * back to the same lots, a recall reaches exactly the orders that received the lot, and the public
 * lot page names households only as they agreed.
 *
 * Demo lots: 煤窑沟土蜂蜜 (45 jars) = MYG-HONEY-SPRING (20, 王阿姨/张大姐/one private household)
 * + MYG-HONEY-AUTUMN (25, 王阿姨 alone); 土瑶茶 = MM-TEA-MINGQIAN (100) + MM-TEA-YUQIAN (80).
 */

const SECRETARY = 'secretary.meiyaogou@xiangyi.test';

let ctx: TestContext;
let buyersSoFar = 0;

beforeEach(async () => {
  ctx = await createTestApp();
  buyersSoFar = 0;
});
afterEach(async () => {
  await ctx.close();
});

const get = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).get(...params) as T;
const all = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).all(...params) as T[];
const productId = (slug: string) => get<{ id: number }>(`SELECT id FROM products WHERE slug = ?`, slug).id;
const stockOf = (slug: string) => get<{ stock: number }>(`SELECT stock FROM products WHERE slug = ?`, slug).stock;
const lot = (code: string) =>
  get<{ id: number; remaining: number; quantity: number; recalledAt: number | null }>(
    `SELECT id, remaining, quantity, recalled_at AS recalledAt FROM lots WHERE code = ?`,
    code,
  );
const lotsOfOrder = (number: string) =>
  all<{ code: string; quantity: number }>(
    `SELECT l.code, oll.quantity FROM order_line_lots oll JOIN lots l ON l.id = oll.lot_id JOIN order_lines ol ON ol.id = oll.order_line_id
     JOIN orders o ON o.id = ol.order_id WHERE o.number = ? ORDER BY l.harvested_on, l.id`,
    number,
  );
const fieldError = (html: string, name: string) => new RegExp(`<p class="field-error" id="e-${name}">([^<]*)</p>`).exec(html)?.[1] ?? null;

interface Placed {
  buyer: TestBrowser;
  number: string;
  token: string;
  url: string;
}

/** A visitor (each their own, with their own phone and address) buys and checks out by bank transfer (unpaid); returns the order link. */
async function placeOrder(items: [slug: string, quantity: number][], name = '林晓'): Promise<Placed> {
  const n = ++buyersSoFar;
  const buyer = anonymous(ctx.app, { remoteAddress: `198.51.100.${n}` });
  for (const [slug, quantity] of items) {
    const res = await buyer.post('/cart/items', { productId: String(productId(slug)), quantity: String(quantity) });
    expect(res.statusCode, res.body.slice(0, 200)).toBe(303);
  }
  const res = await buyer.post(
    '/checkout',
    {
      name,
      phone: `139123456${String(n).padStart(2, '0')}`,
      province: '广东省',
      city: '深圳市',
      district: '南山区',
      address: '科技园 1 号',
      paymentMethod: 'offline',
    },
    { csrfFrom: '/cart' },
  );
  expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
  const match = /^\/orders\/(XY-\d{8}-\d{4})\?token=([A-Za-z0-9_-]+)$/.exec(String(res.headers.location))!;
  return { buyer, number: match[1]!, token: decodeURIComponent(match[2]!), url: String(res.headers.location) };
}

/** The secretary records a lot through the form on the product page (multipart, certificate optional). */
async function addLot(secretary: TestBrowser, slug: string, fields: Record<string, string | string[]>, withCertificate = false) {
  const id = productId(slug);
  return postMultipart(
    ctx.app,
    secretary,
    `/secretary/products/${id}/lots`,
    fields,
    withCertificate ? await jpegPhoto('certificate', '#ffffff') : undefined,
    `/secretary/products/${id}`,
  );
}

/** An ISO date some days before the test's clock (China Standard Time). */
const daysAgo = (days: number) => new Date(ctx.clock.now - days * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10);
const householdIds = (...displayNames: string[]) =>
  displayNames.map((n) => String(get<{ id: number }>(`SELECT id FROM households WHERE display_name = ?`, n).id));

describe('selling from lots first-in-first-out', () => {
  it('takes an order bigger than what is left of the oldest lot from the next lot', async () => {
    const first = await placeOrder([['meiyaogou-honey', 15]]);
    expect(lotsOfOrder(first.number)).toEqual([{ code: 'MYG-HONEY-SPRING', quantity: 15 }]);

    const second = await placeOrder([['meiyaogou-honey', 8]], '王芳');
    expect(lotsOfOrder(second.number)).toEqual([
      { code: 'MYG-HONEY-SPRING', quantity: 5 },
      { code: 'MYG-HONEY-AUTUMN', quantity: 3 },
    ]);
    expect(lot('MYG-HONEY-SPRING').remaining).toBe(0);
    expect(lot('MYG-HONEY-AUTUMN').remaining).toBe(22);
    expect(stockOf('meiyaogou-honey')).toBe(45 - 23);
  });

  it('gives a cancelled order’s units back to the same lots, and the next order takes them first again', async () => {
    await placeOrder([['meiyaogou-honey', 15]]);
    const second = await placeOrder([['meiyaogou-honey', 8]], '王芳');
    const cancelled = await second.buyer.post(`/orders/${second.number}/cancel`, { token: second.token }, { csrfFrom: second.url });
    expect(cancelled.statusCode).toBe(303);
    expect(lot('MYG-HONEY-SPRING').remaining).toBe(5);
    expect(lot('MYG-HONEY-AUTUMN').remaining).toBe(25);
    expect(stockOf('meiyaogou-honey')).toBe(30);

    const third = await placeOrder([['meiyaogou-honey', 4]], '赵敏');
    expect(lotsOfOrder(third.number)).toEqual([{ code: 'MYG-HONEY-SPRING', quantity: 4 }]);
  });

  it('sells units beyond the lots as stock without a lot', async () => {
    // 3 jars of 槐花蜜 have no lot: the order goes through and records no lot.
    const order = await placeOrder([['locust-flower-honey', 2]]);
    expect(lotsOfOrder(order.number)).toEqual([]);
    expect(stockOf('locust-flower-honey')).toBe(1);
  });
});

describe('recalling a lot', () => {
  it('lists exactly the orders that received it, with the buyers’ contacts, and never sells from it again', async () => {
    const a = await placeOrder([['meiyaogou-honey', 15]], '甲买家'); // all from SPRING
    const b = await placeOrder([['meiyaogou-honey', 8]], '乙买家'); // 5 SPRING + 3 AUTUMN
    const c = await placeOrder(
      [
        ['meiyaogou-honey', 2],
        ['meiyaogou-yuba', 2],
      ],
      '丙买家',
    ); // 2 AUTUMN
    const tea = await placePaidOrder(ctx, [{ slug: 'tuyao-tea', quantity: 2 }]); // another product's lot
    const cancelled = await placeOrder([['meiyaogou-honey', 1]], '丁买家'); // 1 AUTUMN, then cancelled
    await cancelled.buyer.post(`/orders/${cancelled.number}/cancel`, { token: cancelled.token }, { csrfFrom: cancelled.url });

    const secretary = await signIn(ctx.app, SECRETARY);
    const autumn = lot('MYG-HONEY-AUTUMN');
    const before = await secretary.get(`/secretary/lots/${autumn.id}`);
    expect(before.statusCode).toBe(200);
    const listed = (html: string) => [...html.matchAll(/<tr data-order="(XY-[0-9-]+)">/g)].map((m) => m[1]);
    expect(listed(before.body).sort()).toEqual([b.number, c.number].sort());

    const res = await secretary.post(`/secretary/lots/${autumn.id}/recall`, { reason: '抽检发现含水量偏高' }, { csrfFrom: `/secretary/lots/${autumn.id}` });
    expect(res.statusCode).toBe(303);
    expect(lot('MYG-HONEY-AUTUMN').recalledAt).not.toBeNull();

    const page = await secretary.get(`/secretary/lots/${autumn.id}`);
    expect(listed(page.body).sort()).toEqual([b.number, c.number].sort());
    expect(page.body).not.toContain(a.number);
    expect(page.body).not.toContain(tea.number);
    expect(page.body).not.toContain(cancelled.number);
    // What the secretary needs to reach the buyers: units of this lot and the contact.
    const rowOf = (number: string) => new RegExp(`<tr data-order="${number}">(.*?)</tr>`, 's').exec(page.body)?.[1] ?? '';
    expect(rowOf(b.number)).toContain('<td>3</td>');
    expect(rowOf(b.number)).toContain('乙买家 13912345602');
    expect(rowOf(c.number)).toContain('<td>2</td>');
    expect(page.body).toContain('抽检发现含水量偏高');

    // Its unsold units left the sellable stock (with a stock adjustment), and nothing more is sold from it.
    const remainingInLot = 25 - 3 - 2;
    expect(lot('MYG-HONEY-AUTUMN').remaining).toBe(remainingInLot);
    expect(stockOf('meiyaogou-honey')).toBe(45 - 25 - remainingInLot);
    expect(get<{ reason: string; delta: number }>(`SELECT reason, delta FROM stock_adjustments ORDER BY id DESC LIMIT 1`)).toEqual({
      reason: 'recall lot MYG-HONEY-AUTUMN',
      delta: -remainingInLot,
    });

    // New stock comes in a new lot; orders take it from there, never from the recalled one.
    const added = await addLot(secretary, 'meiyaogou-honey', {
      harvestedOn: daysAgo(3),
      quantity: '10',
      code: 'MYG-HONEY-NEW',
      householdIds: householdIds('王阿姨'),
    });
    expect(added.statusCode, added.body.slice(0, 300)).toBe(303);
    const after = await placeOrder([['meiyaogou-honey', 4]], '戊买家');
    expect(lotsOfOrder(after.number)).toEqual([{ code: 'MYG-HONEY-NEW', quantity: 4 }]);

    // A cancelled order's units of the recalled lot go back into the lot, not onto the shelf.
    const stockBefore = stockOf('meiyaogou-honey');
    await c.buyer.post(`/orders/${c.number}/cancel`, { token: c.token }, { csrfFrom: c.url });
    expect(lot('MYG-HONEY-AUTUMN').remaining).toBe(remainingInLot + 2);
    expect(stockOf('meiyaogou-honey')).toBe(stockBefore);
    expect(stockOf('meiyaogou-yuba')).toBe(120); // the order's other line is released as usual
    await expectLedgerSound(ctx.db);
  });

  it('is only for the first secretary of the lot’s village', async () => {
    const other = await signIn(ctx.app, 'secretary.gulou@xiangyi.test');
    const autumn = lot('MYG-HONEY-AUTUMN');
    expect((await other.get(`/secretary/lots/${autumn.id}`)).statusCode).toBe(404);
    expect((await other.post(`/secretary/lots/${autumn.id}/recall`, { reason: 'x' }, { csrfFrom: '/secretary' })).statusCode).toBe(404);
    expect((await other.get(`/secretary/products/${productId('meiyaogou-honey')}/lots/new`)).statusCode).toBe(404);
    expect((await addLot(other, 'meiyaogou-honey', { harvestedOn: daysAgo(3), quantity: '10', householdIds: householdIds('王阿姨') })).statusCode).toBe(404);
    expect(lot('MYG-HONEY-AUTUMN').recalledAt).toBeNull();
    // Their own village's tea lots they can see.
    expect((await other.get(`/secretary/lots/${lot('MM-TEA-YUQIAN').id}`)).statusCode).toBe(200);
  });
});

describe('recording a lot', () => {
  it('adds its units to the stock with a "lot <code>" adjustment, its households and a public certificate', async () => {
    const secretary = await signIn(ctx.app, SECRETARY);
    const productPage = await secretary.get(`/secretary/products/${productId('meiyaogou-honey')}`);
    expect(productPage.body).toContain('id="lots"');
    expect(productPage.body).toContain('MYG-HONEY-SPRING');
    expect(productPage.body).toContain('赵建民'); // the secretary sees real names of their own households

    const res = await addLot(
      secretary,
      'meiyaogou-honey',
      { harvestedOn: daysAgo(10), quantity: '12', code: 'myg-winter', notes: '冬季土蜂蜜', householdIds: householdIds('王阿姨', '张大姐') },
      true,
    );
    expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
    expect(res.headers.location).toBe(`/secretary/products/${productId('meiyaogou-honey')}#lots`);
    const created = lot('MYG-WINTER');
    expect(created).toMatchObject({ quantity: 12, remaining: 12 });
    expect(stockOf('meiyaogou-honey')).toBe(57);
    expect(get<{ reason: string; delta: number }>(`SELECT reason, delta FROM stock_adjustments ORDER BY id DESC LIMIT 1`)).toEqual({
      reason: 'lot MYG-WINTER',
      delta: 12,
    });

    const publicPage = await anonymous(ctx.app).get('/lots/MYG-WINTER');
    expect(publicPage.statusCode).toBe(200);
    expect(publicPage.body).toContain(daysAgo(10));
    expect(publicPage.body).toContain('冬季土蜂蜜');
    expect(publicPage.body).toContain('2 户农户'); // fewer than 3: a count only
    expect(publicPage.body).not.toContain('王阿姨');
    const certificate = await anonymous(ctx.app).get('/lots/MYG-WINTER/certificate');
    expect(certificate.statusCode).toBe(200);
    expect(certificate.headers['content-type']).toBe('image/webp');
  });

  it('re-renders the form with field messages and the typed values when something is wrong; nothing is saved', async () => {
    const secretary = await signIn(ctx.app, SECRETARY);
    const lotsBefore = get<{ n: number }>(`SELECT count(*) AS n FROM lots`).n;
    const future = daysAgo(-10);
    const wrong = await addLot(secretary, 'meiyaogou-honey', {
      harvestedOn: future,
      quantity: '12',
      code: 'MYG-LATER',
      notes: '还没采',
      householdIds: householdIds('王阿姨'),
    });
    expect(wrong.statusCode).toBe(422);
    expect(fieldError(wrong.body, 'harvestedOn')).toBe('采收日期不能晚于今天。');
    expect(wrong.body).toContain('value="MYG-LATER"');
    expect(wrong.body).toContain('还没采');
    expect(wrong.body).toMatch(new RegExp(`id="h-${householdIds('王阿姨')[0]}" name="householdIds" type="checkbox" value="\\d+" checked`));

    // A household of another village, a zero quantity, a code already used.
    const foreign = await addLot(secretary, 'meiyaogou-honey', { harvestedOn: daysAgo(3), quantity: '5', householdIds: householdIds('盘大姐') });
    expect(foreign.statusCode).toBe(422);
    expect(fieldError(foreign.body, 'householdIds')).toBe('只能选择本商品所在村的农户。');
    const zero = await addLot(secretary, 'meiyaogou-honey', { harvestedOn: daysAgo(3), quantity: '0', householdIds: householdIds('王阿姨') });
    expect(zero.statusCode).toBe(422);
    expect(fieldError(zero.body, 'quantity')).not.toBeNull();
    const taken = await addLot(secretary, 'meiyaogou-honey', {
      harvestedOn: daysAgo(3),
      quantity: '5',
      code: 'MYG-HONEY-SPRING',
      householdIds: householdIds('王阿姨'),
    });
    expect(taken.statusCode).toBe(422);
    expect(fieldError(taken.body, 'code')).toContain('已经用过了');

    expect(get<{ n: number }>(`SELECT count(*) AS n FROM lots`).n).toBe(lotsBefore);
    expect(stockOf('meiyaogou-honey')).toBe(45);
  });
});

describe('the public lot page', () => {
  it('names households only by the names they agreed to, and only in groups of three or more', async () => {
    const spring = await anonymous(ctx.app).get('/lots/MYG-HONEY-SPRING');
    expect(spring.statusCode).toBe(200);
    expect(spring.body).toContain('煤窑沟土蜂蜜');
    expect(spring.body).toContain('3 户农户，其中同意公开的有：王阿姨、张大姐');
    // No real names, and nothing of the household that did not consent.
    for (const secret of ['王秀兰', '张桂芳', '赵建民', '13703712456']) expect(spring.body).not.toContain(secret);

    const autumn = await anonymous(ctx.app).get('/lots/MYG-HONEY-AUTUMN');
    expect(autumn.body).toContain('1 户农户');
    expect(autumn.body).not.toContain('王阿姨');

    const tea = await anonymous(ctx.app).get('/lots/MM-TEA-YUQIAN');
    expect(tea.body).toContain('2 户农户');
    expect(tea.body).not.toContain('盘大姐');

    expect((await anonymous(ctx.app).get('/lots/NO-SUCH-LOT')).statusCode).toBe(404);
  });

  it('is linked from the buyer’s order page, lot by lot, with its households', async () => {
    const order = await placeOrder([
      ['meiyaogou-honey', 18],
      ['tuyao-tea', 1],
    ]);
    await placeOrder([['meiyaogou-honey', 1]], '王芳');
    const page = await order.buyer.get(order.url);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('批次溯源');
    expect(page.body).toContain('<a href="/lots/MYG-HONEY-SPRING">批次 MYG-HONEY-SPRING</a>');
    expect(page.body).toContain('<a href="/lots/MM-TEA-MINGQIAN">批次 MM-TEA-MINGQIAN</a>');
    expect(page.body).toContain('3 户农户，其中同意公开的有：王阿姨、张大姐');
    expect(page.body).not.toContain('MYG-HONEY-AUTUMN');
  });
});
