import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signIn, type TestBrowser } from '../helpers/auth.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * A project sells only within its period (start and end dates inclusive, China time): the products
 * of a project that has ended, or not yet started, cannot be put in a cart, checked out, asked a
 * price for, bought on a quote or sold at an outlet's counter, until they are moved to a running
 * project. The product page says so, and first secretaries and coordinators see why.
 * 煤窑沟土蜂蜜 (meiyaogou-honey) belongs to 煤窑沟产业扶贫 (meiyaogou-chanye).
 */

const DAY = 24 * 3_600_000;
const HONEY = 'meiyaogou-honey';
const ADDRESS = { name: '林晓', phone: '13800138000', province: '广东省', city: '深圳市', district: '福田区', address: '深南大道 1 号' };

let ctx: TestContext;
let buyer: TestBrowser;

beforeEach(async () => {
  ctx = await createTestApp();
  buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
});
afterEach(async () => {
  await expectLedgerSound(ctx.db);
  await ctx.close();
});

const get = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).get(...params) as T;
const run = (sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).run(...params);
const count = (table: string) => get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).n;
const productId = (slug: string) => get<{ id: number }>(`SELECT id FROM products WHERE slug = ?`, slug).id;
const stockOf = (slug: string) => get<{ stock: number }>(`SELECT stock FROM products WHERE slug = ?`, slug).stock;
/** YYYY-MM-DD (China time) some days from the test's clock. */
const day = (days: number) => new Date(ctx.clock.now + days * DAY + 8 * 3_600_000).toISOString().slice(0, 10);
const setPeriod = (slug: string, startsOn: string | null, endsOn: string | null) =>
  run(`UPDATE projects SET starts_on = ?, ends_on = ? WHERE slug = ?`, startsOn, endsOn, slug);
const cartLines = () =>
  get<{ n: number }>(
    `SELECT count(*) AS n FROM cart_items ci JOIN carts c ON c.id = ci.cart_id JOIN users u ON u.id = c.user_id WHERE u.email = 'buyer@xiangyi.test'`,
  ).n;
const addToCart = (slug: string, quantity = 1) => buyer.post('/cart/items', { productId: String(productId(slug)), quantity: String(quantity) });
const endedMessage = (date: string) => `“煤窑沟土蜂蜜”所属的项目“煤窑沟产业扶贫”已于 ${date} 结束，暂停销售；商品转入正在进行的项目后才能再卖。`;

describe('the demo projects', () => {
  it('all run today and for a year at least, whatever day the demo data was loaded', () => {
    const projects = ctx.db.sqlite.prepare(`SELECT slug, starts_on AS startsOn, ends_on AS endsOn FROM projects ORDER BY id`).all() as {
      slug: string;
      startsOn: string;
      endsOn: string;
    }[];
    expect(projects).toHaveLength(5);
    for (const p of projects) {
      expect(p.startsOn <= day(0), p.slug).toBe(true);
      expect(p.endsOn >= day(365), p.slug).toBe(true);
    }
  });
});

describe('a project that has ended', () => {
  it('takes none of its products into a cart: 409 with a message naming the product, its project and the end date', async () => {
    setPeriod('meiyaogou-chanye', '2023-06-01', day(-1));
    const refused = await addToCart(HONEY);
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain(endedMessage(day(-1)));
    expect(cartLines()).toBe(0);

    // Products of running projects are sold as before.
    expect((await addToCart('tuyao-tea')).statusCode).toBe(303);
    expect(cartLines()).toBe(1);
  });

  it('sells on its last day and stops the day after; checkout then refuses the line by name and writes nothing', async () => {
    setPeriod('meiyaogou-chanye', '2023-06-01', day(0));
    expect((await addToCart(HONEY, 2)).statusCode).toBe(303);
    ctx.clock.advance(DAY);

    const cart = await buyer.get('/cart');
    expect(cart.body).toContain(endedMessage(day(-1)));
    const before = { orders: count('orders'), stock: stockOf(HONEY) };
    const checkout = await buyer.post('/checkout', { ...ADDRESS, paymentMethod: 'offline' });
    expect(checkout.statusCode).toBe(409);
    expect(checkout.body).toContain(endedMessage(day(-1)));
    expect({ orders: count('orders'), stock: stockOf(HONEY) }).toEqual(before);
    expect(cartLines()).toBe(1);
  });

  it('shows the product page with the reason and without an add-to-cart or quote form, in Chinese and English; the JSON says it is not on sale', async () => {
    setPeriod('meiyaogou-chanye', '2023-06-01', day(-1));
    const org = await signIn(ctx.app, 'org@xiangyi.test');
    const page = await org.get(`/products/${HONEY}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`<p class="sold-out" data-not-on-sale>本商品所属的项目“煤窑沟产业扶贫”已于 ${day(-1)} 结束，暂停销售。</p>`);
    expect(page.body).not.toContain('action="/cart/items"');
    expect(page.body).not.toContain(`action="/products/${HONEY}/quote"`);
    const english = await org.get(`/products/${HONEY}?lang=en`);
    expect(english.body).toContain(`This product’s project, “Meiyaogou Livelihoods”, ended on ${day(-1)}; the product is not on sale.`);
    const json = JSON.parse((await org.get(`/api/v1/products/${HONEY}`)).body) as { onSale: boolean; project: { endsOn: string } };
    expect(json).toMatchObject({ onSale: false, project: { endsOn: day(-1) } });

    // A running project's product keeps its forms.
    const running = await org.get('/products/tuyao-tea');
    expect(running.body).toContain('action="/cart/items"');
    expect(running.body).not.toContain('data-not-on-sale');
    expect(JSON.parse((await org.get('/api/v1/products/tuyao-tea')).body)).toMatchObject({ onSale: true });
  });

  it('sells again once the product is moved to a running project', async () => {
    setPeriod('meiyaogou-chanye', '2023-06-01', day(-1));
    expect((await addToCart(HONEY)).statusCode).toBe(409);
    run(`UPDATE products SET project_id = (SELECT id FROM projects WHERE slug = 'fupin-xianfuzhi') WHERE slug = ?`, HONEY);
    expect((await addToCart(HONEY)).statusCode).toBe(303);
    const placed = await buyer.post('/checkout', { ...ADDRESS, paymentMethod: 'offline' });
    expect(placed.statusCode).toBe(303);
  });

  it('takes no quote request and accepts no answered quote for its products, and places nothing', async () => {
    const org = await signIn(ctx.app, 'org@xiangyi.test');
    expect((await org.post('/products/tuyao-tea/quote', { quantity: '120', note: '中秋慰问品' })).statusCode).toBe(303);
    const quote = get<{ id: number }>(`SELECT max(id) AS id FROM quotes`).id;
    const secretary = await signIn(ctx.app, 'secretary.gulou@xiangyi.test');
    expect((await secretary.post(`/secretary/quotes/${quote}/answer`, { unitPrice: '480', validUntil: day(7) })).statusCode).toBe(303);

    setPeriod('shen-he-xiezuo', '2022-01-01', day(-1));
    const message = `“土瑶茶”所属的项目“深贺协作”已于 ${day(-1)} 结束，暂停销售；商品转入正在进行的项目后才能再卖。`;
    const quotes = count('quotes');
    const asked = await org.post('/products/tuyao-tea/quote', { quantity: '120', note: '中秋慰问品' });
    expect(asked.statusCode).toBe(409);
    expect(asked.body).toContain(message);
    expect(count('quotes')).toBe(quotes);
    expect((await org.get('/products/tuyao-tea/quote')).body).toContain(message);

    const orders = count('orders');
    const accepted = await org.post(`/account/organization/quotes/${quote}/accept`, {
      ...ADDRESS,
      invoiceTitle: '深圳市福田区总工会',
      taxNumber: '81440304MC0A1B2C3J',
    });
    expect(accepted.statusCode).toBe(409);
    expect(accepted.body).toContain(message);
    expect(count('orders')).toBe(orders);
    expect(get<{ status: string }>(`SELECT status FROM quotes WHERE id = ?`, quote).status).toBe('answered');
  });

  it('is not sold at an outlet’s counter either, even from units already on the shelf', async () => {
    setPeriod('meiyaogou-chanye', '2023-06-01', day(-1));
    const staff = await signIn(ctx.app, 'outlet@xiangyi.test');
    const futian = get<{ id: number }>(`SELECT id FROM outlets WHERE slug = 'shenzhen-futian'`).id;
    const shelf = () => get<{ q: number }>(`SELECT quantity AS q FROM outlet_stock WHERE outlet_id = ? AND product_id = ?`, futian, productId(HONEY)).q;
    const before = { orders: count('orders'), shelf: shelf(), tx: count('ledger_transactions') };
    const sold = await staff.post(`/outlet/${futian}/sales`, { [`qty_${productId(HONEY)}`]: '1', channel: 'cash' });
    expect(sold.statusCode).toBe(409);
    expect(sold.body).toContain(endedMessage(day(-1)));
    expect({ orders: count('orders'), shelf: shelf(), tx: count('ledger_transactions') }).toEqual(before);
  });

  it('tells the village’s first secretary and the coordinator why its products are not sold', async () => {
    setPeriod('meiyaogou-chanye', '2023-06-01', day(-1));
    const secretary = await signIn(ctx.app, 'secretary.meiyaogou@xiangyi.test');
    const list = await secretary.get('/secretary/products');
    expect(list.body).toMatch(new RegExp(`土蜂蜜[\\s\\S]*?<span class="badge badge-warn" data-not-on-sale>已结束（${day(-1)}），商品暂停销售</span>`));
    const page = await secretary.get(`/secretary/products/${productId(HONEY)}`);
    expect(page.body).toContain(`暂停销售：所属项目“煤窑沟产业扶贫”已于 ${day(-1)} 结束。请把商品转入正在进行的项目。`);
    expect(page.body).toContain('煤窑沟产业扶贫（已结束）</option>');

    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    const project = get<{ id: number }>(`SELECT id FROM projects WHERE slug = 'meiyaogou-chanye'`).id;
    const projects = await coordinator.get('/coordinator/projects');
    expect(projects.body).toMatch(new RegExp(`<tr data-project-id="${project}">[\\s\\S]*?data-not-on-sale>已结束（${day(-1)}），商品暂停销售</span>`));
    expect(projects.body.match(/data-not-on-sale/g)).toHaveLength(1);
    expect((await coordinator.get(`/coordinator/projects/${project}`)).body).toContain(`销售状态：已结束（${day(-1)}），商品暂停销售`);
  });
});

describe('a project that has not started', () => {
  it('sells nothing before its first day and sells from that day on', async () => {
    setPeriod('meiyaogou-chanye', day(1), null);
    const refused = await addToCart(HONEY);
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain(`“煤窑沟土蜂蜜”所属的项目“煤窑沟产业扶贫”从 ${day(1)} 开始，开始前不能销售。`);
    expect((await buyer.get(`/products/${HONEY}`)).body).toContain(`本商品所属的项目“煤窑沟产业扶贫”从 ${day(1)} 开始，开始后才能购买。`);
    ctx.clock.advance(DAY);
    expect((await addToCart(HONEY)).statusCode).toBe(303);
  });
});
