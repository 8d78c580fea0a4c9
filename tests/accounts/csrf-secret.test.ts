import type { LightMyRequestResponse as Response } from 'fastify';
import Tokens from '@fastify/csrf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymous, csrfTokenIn, registrationLinkFor, signIn, type TestBrowser } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * A CSRF token is made from the visitor's secret (the `_csrf` cookie), not from their session: an
 * anonymous visitor keeps the same secret while a cart session is started for them, so every page
 * they opened before still works. The secret is replaced when the person behind the visitor
 * changes — at sign-in and at sign-out — so tokens from before stop working. A signed-in person's
 * tokens are bound to their session as well: a secret written into their browser by someone else
 * (a sibling subdomain can set cookies for the shop's domain) gives no token that works for them.
 */

const BUYER = 'buyer@xiangyi.test';
const HONEY = '/products/meiyaogou-honey';
const TEA = '/products/tuyao-tea';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestApp();
});
afterAll(async () => {
  await ctx?.close();
});

const csrfCookie = (res: Response) => res.cookies.find((c) => c.name === '_csrf');
const productIdOn = (html: string) => /name="productId" value="(\d+)"/.exec(html)![1]!;

/** The token of a page's forms, and the product it sells. */
async function openProductPage(visitor: TestBrowser, url: string): Promise<{ token: string; productId: string; cached: boolean }> {
  const page = await visitor.get(url);
  expect(page.statusCode).toBe(200);
  return { token: csrfTokenIn(page.body)!, productId: productIdOn(page.body), cached: page.headers['x-page-cache'] === 'hit' };
}

/** The token of a page with a form of the visitor's own (the sign-in page): made from their secret, given with it if they had none. */
async function openFormPage(visitor: TestBrowser): Promise<string> {
  const page = await visitor.get('/login');
  expect(page.statusCode).toBe(200);
  return csrfTokenIn(page.body)!;
}

describe('CSRF tokens belong to the visitor’s secret, which changes with the person', () => {
  it('lets an anonymous visitor add the second of two open product pages after the first add started their session', async () => {
    // Other visitors first, so the pages this visitor opens are cached ones, the same as everyone's.
    for (const url of [HONEY, TEA]) await anonymous(ctx.app).get(url);
    const visitor = anonymous(ctx.app);
    const honey = await openProductPage(visitor, HONEY);
    const tea = await openProductPage(visitor, TEA);
    expect([honey.cached, tea.cached]).toEqual([true, true]);
    // The catalogue's token, not one of their own: no secret, no session yet.
    expect(honey.token).toMatch(/^c\./);
    expect(visitor.cookies._csrf).toBeUndefined();
    expect(visitor.cookies.sid).toBeUndefined();

    const first = await visitor.post('/cart/items', { productId: honey.productId, quantity: '1', _csrf: honey.token });
    expect(first.statusCode).toBe(303);
    expect(visitor.cookies.sid).toBeTruthy();

    const second = await visitor.post('/cart/items', { productId: tea.productId, quantity: '2', _csrf: tea.token });
    expect(second.statusCode).toBe(303);
    const cart = await visitor.get('/cart');
    const titles = ctx.db.sqlite.prepare(`SELECT slug, title_zh AS title FROM products WHERE slug IN ('meiyaogou-honey', 'tuyao-tea')`).all() as {
      slug: string;
      title: string;
    }[];
    expect(titles).toHaveLength(2);
    for (const { title } of titles) expect(cart.body).toContain(title);
  });

  it('gives the visitor a new secret at sign-in: the response sets a new _csrf cookie in place of the old one', async () => {
    const person = anonymous(ctx.app);
    const beforeSignIn = await person.csrfToken('/login');
    const oldSecret = person.cookies._csrf;
    expect(oldSecret).toBeTruthy();
    const signedIn = await person.post('/login', { email: BUYER, password: 'xiangyi-demo', _csrf: beforeSignIn });
    expect(signedIn.statusCode).toBe(303);
    const renewed = csrfCookie(signedIn);
    expect(renewed?.value).toBeTruthy();
    expect(renewed?.value).not.toBe(oldSecret);
    expect(renewed?.httpOnly).toBe(true);
    expect(renewed?.path).toBe('/');
    expect(renewed?.sameSite).toBe('Lax');
    expect(person.cookies._csrf).toBe(renewed!.value);

    // That the token from before sign-in is then refused is tested in csrf.test.ts.
  });

  it('gives a new secret when the registration link signs the new buyer in', async () => {
    const person = anonymous(ctx.app);
    const asked = await person.post(
      '/register',
      {
        email: 'secret.renewal@example.test',
        displayName: '新的买家',
        password: 'a-strong-passphrase',
        passwordConfirm: 'a-strong-passphrase',
      },
      { csrfFrom: '/register' },
    );
    expect(asked.statusCode).toBe(200);
    const link = registrationLinkFor(ctx.mailbox, 'secret.renewal@example.test');
    const token = await person.csrfToken(link);
    const oldSecret = person.cookies._csrf;
    const registered = await person.post('/register/confirm', { token: new URL(link, 'http://shop.test').searchParams.get('token')!, _csrf: token });
    expect(registered.statusCode).toBe(303);
    expect(csrfCookie(registered)?.value).toBeTruthy();
    expect(csrfCookie(registered)?.value).not.toBe(oldSecret);
    expect((await person.post('/logout', { _csrf: token })).statusCode).toBe(403);
  });

  it('gives the visitor a new secret at sign-out: a signed-in page’s token is refused once they have signed out', async () => {
    const buyer = await signIn(ctx.app, BUYER);
    const signedInToken = await buyer.csrfToken('/');
    const signedInSecret = buyer.cookies._csrf;
    const signedOut = await buyer.post('/logout', { _csrf: signedInToken });
    expect(signedOut.statusCode).toBe(303);
    expect(buyer.cookies.sid).toBeUndefined();
    const renewed = csrfCookie(signedOut);
    expect(renewed?.value).toBeTruthy();
    expect(renewed?.value).not.toBe(signedInSecret);
    expect(buyer.cookies._csrf).toBe(renewed!.value);

    // Whoever sits at the browser next cannot use the forms of the pages from before sign-out …
    const { productId } = await openProductPage(anonymous(ctx.app), HONEY);
    const stale = await buyer.post('/cart/items', { productId, quantity: '1', _csrf: signedInToken });
    expect(stale.statusCode).toBe(403);
    expect(buyer.cookies.sid).toBeUndefined();
    // … while a page opened now works.
    const fresh = await openProductPage(buyer, HONEY);
    expect((await buyer.post('/cart/items', { productId, quantity: '1', _csrf: fresh.token })).statusCode).toBe(303);
  });

  it('refuses a signed-in person a token made for a secret someone planted after they signed in', async () => {
    // The attacker opens a page to get a secret and a token for it …
    const attacker = anonymous(ctx.app);
    const { token, productId } = await openProductPage(attacker, HONEY);
    // … and writes that secret into the signed-in buyer's browser, then has it post the form.
    const buyer = await signIn(ctx.app, BUYER);
    buyer.cookies._csrf = attacker.cookies._csrf!;
    const carts = () => ctx.db.sqlite.prepare(`SELECT count(*) FROM cart_items`).pluck().get() as number;
    const before = carts();
    const forged = await buyer.post('/cart/items', { productId, quantity: '1', _csrf: token });
    expect(forged.statusCode).toBe(403);
    expect(carts()).toBe(before);
    // The buyer's own pages, made for that secret and their session, work.
    const own = await openProductPage(buyer, HONEY);
    expect((await buyer.post('/cart/items', { productId, quantity: '1', _csrf: own.token })).statusCode).toBe(303);
  });

  it('makes tokens in @fastify/csrf’s own format: its verify accepts them for their secret and person only', async () => {
    // The typings pick the overload without userInfo; with userInfo: true it is the TokensUserinfo kind.
    const tokens = Tokens({ hmacKey: ctx.config.sessionSecret, userInfo: true }) as unknown as Tokens.TokensUserinfo;
    const visitor = anonymous(ctx.app);
    const token = await openFormPage(visitor);
    const secret = visitor.cookies._csrf!;
    expect(tokens.verify(secret, token, 'anonymous')).toBe(true);
    expect(tokens.verify(`${secret}x`, token, 'anonymous')).toBe(false);
    expect(tokens.verify(secret, token, 'someone-else')).toBe(false);
    // The library's own tokens pass the shop's check (the plugin verifies every form).
    const ownMade = tokens.create(secret, 'anonymous');
    const { productId } = await openProductPage(anonymous(ctx.app), HONEY);
    expect((await visitor.post('/cart/items', { productId, quantity: '1', _csrf: ownMade })).statusCode).toBe(303);
  });

  it('gives every new visitor their own secret and token, however many arrive', async () => {
    const { productId } = await openProductPage(anonymous(ctx.app), HONEY);
    // Many new visitors, each on the sign-in page (a form of their own).
    const visitors = Array.from({ length: 300 }, () => anonymous(ctx.app));
    const tokens: string[] = [];
    for (const visitor of visitors) tokens.push(await openFormPage(visitor));
    const secrets = visitors.map((visitor) => visitor.cookies._csrf!);
    expect(new Set(secrets).size).toBe(visitors.length);
    expect(new Set(tokens).size).toBe(visitors.length);
    const lib = Tokens({ hmacKey: ctx.config.sessionSecret, userInfo: true }) as unknown as Tokens.TokensUserinfo;
    tokens.forEach((token, i) => {
      expect(lib.verify(secrets[i]!, token, 'anonymous'), `visitor ${i}`).toBe(true);
      // Nobody's token works with the next visitor's secret.
      expect(lib.verify(secrets[(i + 1) % secrets.length]!, token, 'anonymous'), `visitor ${i} with another's secret`).toBe(false);
    });
    // The first and the last of them can add to their carts with their own; one with the other's token cannot.
    const [first, last] = [0, visitors.length - 1];
    expect((await visitors[first]!.post('/cart/items', { productId, quantity: '1', _csrf: tokens[last]! })).statusCode).toBe(403);
    for (const i of [first, last]) {
      expect((await visitors[i]!.post('/cart/items', { productId, quantity: '1', _csrf: tokens[i]! })).statusCode).toBe(303);
    }
  });

  it('treats an empty _csrf cookie as no secret: the visitor is given one, and the page’s token works', async () => {
    const { productId } = await openProductPage(anonymous(ctx.app), HONEY);
    const visitor = anonymous(ctx.app);
    visitor.cookies._csrf = '';
    const page = await visitor.get('/login');
    expect(page.statusCode).toBe(200);
    expect(csrfCookie(page)?.value).toBeTruthy();
    const added = await visitor.post('/cart/items', { productId, quantity: '1', _csrf: csrfTokenIn(page.body)! });
    expect(added.statusCode).toBe(303);
  });
});
