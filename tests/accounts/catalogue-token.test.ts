import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CATALOGUE_TOKEN_MS } from '../../src/plugins/security.js';
import { anonymous, csrfTokenIn, signIn, type TestBrowser } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * The product page is the same for every visitor who is not signed in (cached, no cookie), so its
 * add-to-cart form carries the catalogue's token, made anew every hour, rather than a visitor's own.
 * It is taken only on that form, only from someone not signed in, and only when the browser says the
 * request comes from the shop's own page: a form on another site (cart stuffing) is refused, with the
 * usual CSRF answer, and nothing is written.
 */

const HONEY = '/products/meiyaogou-honey';
const CSRF_MESSAGE = '页面已过期，请刷新后重试。';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestApp();
});
afterAll(async () => {
  await ctx?.close();
});

const count = (table: string) => (ctx.db.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const written = () => ({ sessions: count('sessions'), carts: count('carts'), items: count('cart_items') });

async function productPage(visitor: TestBrowser = anonymous(ctx.app)): Promise<{ token: string; productId: string; html: string }> {
  const page = await visitor.get(HONEY);
  expect(page.statusCode).toBe(200);
  return { token: csrfTokenIn(page.body)!, productId: /name="productId" value="(\d+)"/.exec(page.body)![1]!, html: page.body };
}

function expectRefused(res: Awaited<ReturnType<TestBrowser['post']>>, why: string): void {
  expect(res.statusCode, why).toBe(403);
  expect(res.body, why).toContain(CSRF_MESSAGE);
}

describe('the catalogue’s token on the add-to-cart form', () => {
  beforeEach(() => {
    // Clear of the hour's edge, so a test's own steps never straddle it.
    ctx.clock.now = Math.floor(ctx.clock.now / CATALOGUE_TOKEN_MS) * CATALOGUE_TOKEN_MS + 60_000;
  });

  it('is taken from the shop’s own page, as browsers say it in fetch metadata, Origin or Referer, or from a client that says nothing', async () => {
    const { token, productId } = await productPage();
    const host = 'localhost:80';
    const cases: Record<string, string>[] = [
      {},
      { 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'same-origin', origin: 'https://elsewhere.example' }, // fetch metadata is what current browsers mean
      { origin: `http://${host}` },
      { referer: `http://${host}/products/meiyaogou-honey` },
      // Behind a proxy that sends its own Host: the shop's public address is its own.
      { origin: new URL(ctx.config.publicUrl).origin, host: 'app.internal:8080' },
    ];
    for (const headers of cases) {
      const visitor = anonymous(ctx.app);
      const res = await visitor.post('/cart/items', { productId, quantity: '1', _csrf: token }, { headers: { host, ...headers } });
      expect(res.statusCode, JSON.stringify(headers)).toBe(303);
      expect(visitor.cookies.sid, JSON.stringify(headers)).toBeTruthy();
    }
  });

  it('is refused from another site’s page (cart stuffing), whatever it says, and nothing is written', async () => {
    const { token, productId } = await productPage();
    const before = written();
    const cases: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' }, // a sibling subdomain
      { 'sec-fetch-site': 'none' },
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: 'http://localhost:80.evil.example' },
      { referer: 'https://evil.example/honey.html' },
      { origin: 'not a url' },
    ];
    for (const headers of cases) {
      const res = await anonymous(ctx.app).post('/cart/items', { productId, quantity: '1', _csrf: token }, { headers: { host: 'localhost:80', ...headers } });
      expectRefused(res, JSON.stringify(headers));
    }
    expect(written()).toEqual(before);
  });

  it('is made anew every hour: the page is rendered again with the new one, the last hour’s still works, an older one does not', async () => {
    const old = await productPage();
    expect((await anonymous(ctx.app).get(HONEY)).headers['x-page-cache']).toBe('hit');
    ctx.clock.advance(CATALOGUE_TOKEN_MS);
    const next = await anonymous(ctx.app).get(HONEY);
    expect(next.headers['x-page-cache']).toBeUndefined();
    const fresh = csrfTokenIn(next.body)!;
    expect(fresh).not.toBe(old.token);
    expect((await anonymous(ctx.app).post('/cart/items', { productId: old.productId, quantity: '1', _csrf: old.token })).statusCode).toBe(303);
    ctx.clock.advance(CATALOGUE_TOKEN_MS);
    const before = written();
    expectRefused(await anonymous(ctx.app).post('/cart/items', { productId: old.productId, quantity: '1', _csrf: old.token }), 'two hours on');
    expect(written()).toEqual(before);
    expect((await anonymous(ctx.app).post('/cart/items', { productId: old.productId, quantity: '1', _csrf: fresh })).statusCode).toBe(303);
  });

  it('is refused when altered, or made up for an hour the server never made one for', async () => {
    const { token, productId } = await productPage();
    const [, epoch, mac] = /^c\.(\d+)\.(.+)$/.exec(token)!;
    const flipped = mac!.endsWith('A') ? `${mac!.slice(0, -1)}B` : `${mac!.slice(0, -1)}A`;
    for (const forged of [`c.${epoch}.${flipped}`, `c.${Number(epoch) + 1}.${mac}`, `c.${epoch}.`, 'c.', `${token}x`]) {
      expectRefused(await anonymous(ctx.app).post('/cart/items', { productId, quantity: '1', _csrf: forged }), forged);
    }
  });

  it('is refused from someone signed in: their product page carries their own token, which works', async () => {
    const { token, productId } = await productPage();
    const buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
    expectRefused(await buyer.post('/cart/items', { productId, quantity: '1', _csrf: token }), 'catalogue token, signed in');
    const own = await productPage(buyer);
    expect(own.token).not.toMatch(/^c\./);
    expect((await buyer.post('/cart/items', { productId, quantity: '1', _csrf: own.token })).statusCode).toBe(303);
  });

  it('is refused on every other form: checkout, cart changes, sign-in', async () => {
    const { token, productId } = await productPage();
    const shopper = anonymous(ctx.app);
    expect((await shopper.post('/cart/items', { productId, quantity: '1', _csrf: token })).statusCode).toBe(303);
    const orders = count('orders');
    for (const [url, form] of [
      [`/cart/items/${productId}`, { quantity: '3' }],
      [
        '/checkout',
        { name: '张伟', phone: '13800000000', province: '广东省', city: '深圳市', district: '福田区', address: '深南大道 1 号', paymentMethod: 'offline' },
      ],
      ['/login', { email: 'buyer@xiangyi.test', password: 'xiangyi-demo' }],
    ] as const) {
      expectRefused(await shopper.post(url, { ...form, _csrf: token }), url);
    }
    expect(count('orders')).toBe(orders);
    const cart = await shopper.get('/cart');
    expect(cart.body).toMatch(/name="quantity"[^>]* value="1"/);
  });
});
