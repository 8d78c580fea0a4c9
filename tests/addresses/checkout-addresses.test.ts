import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymous, signIn, type FormFields, type TestBrowser } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/** The address book at checkout: the default prefilled, another chosen by a link, a typed one kept. */

let ctx: TestContext;
let buyer: TestBrowser;
beforeEach(async () => {
  ctx = await createTestApp();
  buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
});
afterEach(async () => ctx.close());

const HOME = { recipientName: '林晓', phone: '13800138000', province: '广东省', city: '深圳市', district: '福田区', street: '深南大道 1 号' };
const OFFICE = { recipientName: '林晓', phone: '13900139000', province: '河南省', city: '郑州市', district: '登封市', street: '中岳大街 9 号' };

const addresses = (email: string) =>
  ctx.db.sqlite
    .prepare(`SELECT a.id, a.street, a.is_default AS isDefault FROM buyer_addresses a JOIN users u ON u.id = a.user_id WHERE u.email = ? ORDER BY a.id`)
    .all(email) as { id: number; street: string; isDefault: number | null }[];

async function fillCart(browser: TestBrowser) {
  const productId = ctx.db.sqlite.prepare(`SELECT id FROM products WHERE slug = 'gulou-shiitake'`).pluck().get() as number;
  expect((await browser.post('/cart/items', { productId: String(productId), quantity: '1' }, { csrfFrom: '/products/gulou-shiitake' })).statusCode).toBe(303);
}

const fieldValue = (html: string, name: string) => new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1];

const checkoutForm = (overrides: FormFields = {}): FormFields => ({
  name: '林晓',
  phone: '13700137000',
  province: '广西壮族自治区',
  city: '贺州市',
  district: '平桂区',
  address: '明梅村 3 组',
  paymentMethod: 'offline',
  ...overrides,
});

describe('saved addresses at checkout', () => {
  it('prefills the default address, and another saved address when the buyer picks it', async () => {
    await buyer.post('/account/addresses', HOME, { csrfFrom: '/account/addresses/new' });
    await buyer.post('/account/addresses', OFFICE, { csrfFrom: '/account/addresses/new' });
    const [, office] = addresses('buyer@xiangyi.test');
    await fillCart(buyer);

    const page = await buyer.get('/checkout');
    expect(page.statusCode).toBe(200);
    expect(fieldValue(page.body, 'address')).toBe(HOME.street);
    expect(fieldValue(page.body, 'district')).toBe(HOME.district);
    expect(page.body).toContain(`href="/checkout?address=${office!.id}"`);

    const picked = await buyer.get(`/checkout?address=${office!.id}`);
    expect(fieldValue(picked.body, 'address')).toBe(OFFICE.street);
    expect(fieldValue(picked.body, 'phone')).toBe(OFFICE.phone);
    // Suggestions narrowed to the chosen province and city.
    expect(picked.body).toContain('<option value="登封市">');
  });

  it('never prefills another buyer’s address, whatever id is asked for', async () => {
    await buyer.post('/account/addresses', HOME, { csrfFrom: '/account/addresses/new' });
    const [mine] = addresses('buyer@xiangyi.test');
    const other = await signIn(ctx.app, 'org@xiangyi.test');
    await fillCart(other);
    const page = await other.get(`/checkout?address=${mine!.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain(HOME.street);
    expect(fieldValue(page.body, 'address')).toBe('');
    expect((await other.get('/checkout?address=abc')).statusCode).toBe(200);
  });

  it('keeps an address typed at checkout when asked, once, as the default of an empty book', async () => {
    await fillCart(buyer);
    const placed = await buyer.post('/checkout', checkoutForm({ saveAddress: 'on' }), { csrfFrom: '/checkout' });
    expect(placed.statusCode).toBe(303);
    expect(addresses('buyer@xiangyi.test')).toEqual([expect.objectContaining({ street: '明梅村 3 组', isDefault: 1 })]);

    await fillCart(buyer);
    expect((await buyer.post('/checkout', checkoutForm({ saveAddress: 'on' }), { csrfFrom: '/checkout' })).statusCode).toBe(303);
    expect(addresses('buyer@xiangyi.test')).toHaveLength(1);

    await fillCart(buyer);
    expect((await buyer.post('/checkout', checkoutForm({ address: '明梅村 5 组' }), { csrfFrom: '/checkout' })).statusCode).toBe(303);
    expect(addresses('buyer@xiangyi.test')).toHaveLength(1);
  });

  it('asks for names from the divisions before saving, and places the order without saving when not asked', async () => {
    await fillCart(buyer);
    const refused = await buyer.post('/checkout', checkoutForm({ saveAddress: 'on', city: '深圳市' }), { csrfFrom: '/checkout' });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('id="e-city"');
    expect(refused.body).toMatch(/name="saveAddress" value="on" checked/);
    expect(ctx.db.sqlite.prepare(`SELECT count(*) FROM orders WHERE province = '广西壮族自治区'`).pluck().get()).toBe(0);

    // Free text is still an address to ship to.
    const placed = await buyer.post('/checkout', checkoutForm({ city: '贺州' }), { csrfFrom: '/checkout' });
    expect(placed.statusCode).toBe(303);
    expect(addresses('buyer@xiangyi.test')).toHaveLength(0);
  });

  it('offers a visitor no address book and no saving', async () => {
    const visitor = anonymous(ctx.app);
    await fillCart(visitor);
    const page = await visitor.get('/checkout');
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('name="saveAddress"');
    expect(page.body).toContain('<datalist id="dl-province">');
    const placed = await visitor.post('/checkout', checkoutForm({ saveAddress: 'on' }), { csrfFrom: '/cart' });
    expect(placed.statusCode).toBe(303);
    expect(ctx.db.sqlite.prepare(`SELECT count(*) FROM buyer_addresses`).pluck().get()).toBe(0);
  });
});
