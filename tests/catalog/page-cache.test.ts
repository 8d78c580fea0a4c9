import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { LightMyRequestResponse as Response } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymous, csrfTokenIn, signIn, type TestBrowser } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

describe('the rendered-page cache for anonymous visitors', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestApp();
  });
  afterAll(async () => {
    await ctx.close();
  });

  const stockOnPage = (html: string) => Number(/data-stock="(\d+)"/.exec(html)?.[1]);

  it('serves a second visitor the first one’s product page, with no cookie, and its form works for both', async () => {
    const first = anonymous(ctx.app);
    const second = anonymous(ctx.app);
    const a = await first.get('/products/meiyaogou-honey');
    const b = await second.get('/products/meiyaogou-honey');
    expect(a.headers['x-page-cache']).toBeUndefined();
    expect(b.headers['x-page-cache']).toBe('hit');
    expect(b.body).toBe(a.body);
    expect(a.headers['set-cookie']).toBeUndefined();
    expect(b.headers['set-cookie']).toBeUndefined();
    const token = csrfTokenIn(b.body);
    expect(token).toMatch(/^c\./);
    // The cached page's form works for each visitor: the item lands in their own cart.
    const productId = /name="productId" value="(\d+)"/.exec(b.body)![1]!;
    for (const visitor of [first, second]) {
      const added = await visitor.post('/cart/items', { productId, quantity: '1', _csrf: token! });
      expect(added.statusCode).toBe(303);
    }
    expect(first.cookies.sid).toBeTruthy();
    expect(second.cookies.sid).toBeTruthy();
    expect(first.cookies.sid).not.toBe(second.cookies.sid);
  });

  it('never shows a stale stock, price or product after a change', async () => {
    // The count is shown when low (at or below the product's threshold).
    ctx.db.sqlite.prepare(`UPDATE products SET stock = 9, low_stock_threshold = 20 WHERE slug = 'tuyao-tea'`).run();
    const visitor = anonymous(ctx.app);
    const before = stockOnPage((await visitor.get('/products/tuyao-tea')).body);
    expect(before).toBe(9);
    await visitor.get('/products/tuyao-tea'); // cached now
    ctx.db.sqlite.prepare(`UPDATE products SET stock = stock - 7, price_fen = 55_500 WHERE slug = 'tuyao-tea'`).run();
    const after = await anonymous(ctx.app).get('/products/tuyao-tea');
    expect(after.headers['x-page-cache']).toBeUndefined();
    expect(stockOnPage(after.body)).toBe(2);
    expect(after.body).toContain('¥555.00');
  });

  it('keeps languages apart and never serves a cached page to a signed-in user', async () => {
    await anonymous(ctx.app).get('/products?lang=en');
    const en = await anonymous(ctx.app).get('/products?lang=en');
    expect(en.headers['x-page-cache']).toBe('hit');
    expect(en.body).toContain('All products');
    const zh = await anonymous(ctx.app).get('/products');
    expect(zh.body).toContain('全部商品');
    const buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
    const page = await buyer.get('/products');
    expect(page.headers['x-page-cache']).toBeUndefined();
    expect(page.body).toContain('深圳买家');
  });
});

/** Helmet's headers: a hit skips helmet's hook, so they must come back from the rendering. */
const SECURITY_HEADERS = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
] as const;
const HONEY = '/products/meiyaogou-honey';
const BUYER_NAME = '深圳买家';

describe('how cached pages are served: validators, encodings, tokens, headers and who gets them', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestApp();
  });
  afterAll(async () => {
    await ctx.close();
  });

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** A change every page shows (as a trigger would record it): the next visitor gets a fresh rendering. */
  const touchDatabase = () => ctx.db.sqlite.prepare(`UPDATE cache_versions SET version = version + 1 WHERE scope IN ('catalogue', 'places')`).run();
  const varyOf = (res: Response) =>
    String(res.headers.vary ?? '')
      .split(',')
      .map((v) => v.trim().toLowerCase());
  const setCookie = (res: Response, name: string) => res.cookies.find((c) => c.name === name);
  const decoded = (res: Response): string => {
    const encoding = res.headers['content-encoding'];
    if (encoding === 'gzip') return gunzipSync(res.rawPayload).toString('utf8');
    if (encoding === 'br') return brotliDecompressSync(res.rawPayload).toString('utf8');
    expect(encoding, 'content-encoding').toBeUndefined();
    return res.rawPayload.toString('utf8');
  };
  /**
   * The page cache's own gzip (compressed once, after the first rendering) says "OS unknown" (255) in its
   * header; a gzip made on the fly for this one response (zlib, @fastify/compress) says Unix (3).
   */
  const isTheCachesOwnGzip = (res: Response) => res.headers['content-encoding'] === 'gzip' && res.rawPayload[9] === 0xff;

  /**
   * Renders `url` afresh, then asks as new visitors (`accept-encoding: gzip`) until the hit carries
   * the gzip the cache compressed after the first rendering (made asynchronously), and returns the
   * freshly rendered miss. Every answer on the way must decode to a whole page.
   */
  async function renderAndWaitForCompressedForms(url: string, lang?: string): Promise<Response> {
    touchDatabase();
    const headers: Record<string, string> = lang ? { cookie: `lang=${lang}` } : {};
    const miss = await ctx.app.inject({ method: 'GET', url, headers });
    expect(miss.headers['x-page-cache'], `${url} rendered afresh`).toBeUndefined();
    expect(miss.statusCode).toBe(200);
    for (let attempt = 0; attempt < 100; attempt++) {
      const res = await ctx.app.inject({ method: 'GET', url, headers: { ...headers, 'accept-encoding': 'gzip' } });
      expect(res.headers['x-page-cache']).toBe('hit');
      expect(decoded(res)).toContain('</html>');
      if (isTheCachesOwnGzip(res)) return miss;
      await sleep(10);
    }
    throw new Error(`the cache never compressed ${url}`);
  }

  it('answers a page without a form with a shared, revalidatable hit: no-cache, Vary, a weak ETag and 304 for a matching If-None-Match', async () => {
    touchDatabase();
    const miss = await anonymous(ctx.app).get('/products');
    const hit = await anonymous(ctx.app).get('/products');
    expect(miss.headers['x-page-cache']).toBeUndefined();
    expect(hit.headers['x-page-cache']).toBe('hit');
    for (const res of [miss, hit]) {
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(varyOf(res)).toEqual(expect.arrayContaining(['accept-encoding', 'cookie']));
      expect(res.headers.etag).toMatch(/^W\/"[^"]+"$/);
      // A page for anyone gives nobody a CSRF secret.
      expect(setCookie(res, '_csrf')).toBeUndefined();
    }
    const etag = String(hit.headers.etag);
    expect(miss.headers.etag).toBe(etag);
    expect(hit.body).toBe(miss.body);

    const revalidated = await anonymous(ctx.app).get('/products', { 'if-none-match': etag });
    expect(revalidated.statusCode).toBe(304);
    expect(revalidated.rawPayload.length).toBe(0);
    expect(revalidated.headers.etag).toBe(etag);
    // Weak comparison: the same tag without W/ also matches, and so does one of a list.
    expect((await anonymous(ctx.app).get('/products', { 'if-none-match': etag.slice(2) })).statusCode).toBe(304);
    expect((await anonymous(ctx.app).get('/products', { 'if-none-match': `W/"something-else", ${etag}` })).statusCode).toBe(304);

    const other = await anonymous(ctx.app).get('/products', { 'if-none-match': 'W/"something-else"' });
    expect(other.statusCode).toBe(200);
    expect(other.body).toBe(miss.body);
  });

  it('re-renders after a write: the same ETag while the page reads the same, a new one (and no 304 for the old) once it changed', async () => {
    touchDatabase();
    await anonymous(ctx.app).get('/products');
    const before = await anonymous(ctx.app).get('/products');
    expect(before.headers['x-page-cache']).toBe('hit');
    const etag = String(before.headers.etag);

    touchDatabase();
    const unchanged = await anonymous(ctx.app).get('/products', { 'if-none-match': etag });
    expect(unchanged.headers['x-page-cache']).toBeUndefined();
    expect(unchanged.headers.etag).toBe(etag);
    expect((await anonymous(ctx.app).get('/products', { 'if-none-match': etag })).statusCode).toBe(304);

    const slug = /href="\/products\/([a-z0-9-]+)"/.exec(before.body)![1]!;
    ctx.db.sqlite.prepare(`UPDATE products SET price_fen = 43_210 WHERE slug = ?`).run(slug);
    const changed = await anonymous(ctx.app).get('/products', { 'if-none-match': etag });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers['x-page-cache']).toBeUndefined();
    expect(changed.body).toContain('¥432.10');
    expect(changed.headers.etag).toMatch(/^W\/"[^"]+"$/);
    expect(changed.headers.etag).not.toBe(etag);
    // The browser still holding the old page is sent the new one, from the cache now.
    const stale = await anonymous(ctx.app).get('/products', { 'if-none-match': etag });
    expect(stale.statusCode).toBe(200);
    expect(stale.headers['x-page-cache']).toBe('hit');
    expect(stale.body).toContain('¥432.10');
  });

  it('sends a hit as brotli or gzip when accepted, decoding to the very page sent uncompressed; identity when neither is acceptable', async () => {
    const miss = await renderAndWaitForCompressedForms('/projects/shen-he-xiezuo');
    const page = miss.body;

    const br = await anonymous(ctx.app).get('/projects/shen-he-xiezuo', { 'accept-encoding': 'br' });
    expect(br.headers['x-page-cache']).toBe('hit');
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.rawPayload).toString('utf8')).toBe(page);
    expect(Number(br.headers['content-length'])).toBe(br.rawPayload.length);

    const gzip = await anonymous(ctx.app).get('/projects/shen-he-xiezuo', { 'accept-encoding': 'gzip' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.rawPayload).toString('utf8')).toBe(page);

    // A browser that accepts both gets brotli; the ETag is the same whatever the encoding.
    const both = await anonymous(ctx.app).get('/projects/shen-he-xiezuo', { 'accept-encoding': 'gzip, deflate, br' });
    expect(both.headers['content-encoding']).toBe('br');
    expect(new Set([miss, br, gzip, both].map((r) => r.headers.etag)).size).toBe(1);

    for (const acceptEncoding of ['gzip;q=0, br;q=0', 'identity']) {
      const plain = await anonymous(ctx.app).get('/projects/shen-he-xiezuo', { 'accept-encoding': acceptEncoding });
      expect(plain.headers['x-page-cache'], acceptEncoding).toBe('hit');
      expect(plain.headers['content-encoding'], acceptEncoding).toBeUndefined();
      expect(plain.rawPayload.toString('utf8'), acceptEncoding).toBe(page);
    }
  });

  it('gives every new visitor of a product page the same shared hit: no cookie, an ETag and 304, gzip or brotli as compressed once; the form works for each', async () => {
    await renderAndWaitForCompressedForms(HONEY);
    const visitors = [anonymous(ctx.app), anonymous(ctx.app)];
    const hits = await Promise.all(visitors.map((v) => v.get(HONEY, { 'accept-encoding': 'gzip' })));
    for (const hit of hits) {
      expect(hit.headers['x-page-cache']).toBe('hit');
      expect(isTheCachesOwnGzip(hit)).toBe(true);
      expect(hit.headers['cache-control']).toBe('no-cache');
      expect(hit.headers.etag).toMatch(/^W\/"/);
      expect(varyOf(hit)).toEqual(expect.arrayContaining(['accept-encoding', 'cookie']));
      expect(hit.headers['set-cookie']).toBeUndefined();
    }
    expect(hits[1]!.rawPayload.equals(hits[0]!.rawPayload)).toBe(true);
    const revalidated = await anonymous(ctx.app).get(HONEY, { 'if-none-match': String(hits[0]!.headers.etag) });
    expect(revalidated.statusCode).toBe(304);
    const brotli = await anonymous(ctx.app).get(HONEY, { 'accept-encoding': 'br, gzip' });
    expect(brotli.headers['content-encoding']).toBe('br');
    expect(decoded(brotli)).toBe(gunzipSync(hits[0]!.rawPayload).toString('utf8'));

    const html = gunzipSync(hits[0]!.rawPayload).toString('utf8');
    const token = csrfTokenIn(html)!;
    const productId = /name="productId" value="(\d+)"/.exec(html)![1]!;
    for (const [i, visitor] of visitors.entries()) {
      const added = await visitor.post('/cart/items', { productId, quantity: '1', _csrf: token });
      expect(added.statusCode, `visitor ${i + 1}`).toBe(303);
      expect(added.headers.location).toBe('/cart');
    }
  });

  it('gives a returning visitor with a secret the same shared page, sets no cookie, and the form works for them', async () => {
    await renderAndWaitForCompressedForms(HONEY);
    const visitor = anonymous(ctx.app);
    await visitor.get('/login');
    expect(visitor.cookies._csrf).toBeTruthy();
    const hit = await visitor.get(HONEY, { 'accept-encoding': 'gzip' });
    expect(isTheCachesOwnGzip(hit)).toBe(true);
    expect(hit.headers['set-cookie']).toBeUndefined();
    const html = gunzipSync(hit.rawPayload).toString('utf8');
    const productId = /name="productId" value="(\d+)"/.exec(html)![1]!;
    expect((await visitor.post('/cart/items', { productId, quantity: '1', _csrf: csrfTokenIn(html)! })).statusCode).toBe(303);
  });

  it('gives a visitor who accepts only brotli a product page still whole, and its form works', async () => {
    await renderAndWaitForCompressedForms(HONEY);
    const visitor = anonymous(ctx.app);
    const res = await visitor.get(HONEY, { 'accept-encoding': 'br' });
    expect(res.headers['x-page-cache']).toBe('hit');
    const html = decoded(res);
    expect(html).toContain('</html>');
    const token = csrfTokenIn(html)!;
    const productId = /name="productId" value="(\d+)"/.exec(html)![1]!;
    expect((await visitor.post('/cart/items', { productId, quantity: '1', _csrf: token })).statusCode).toBe(303);
  });

  it('sends on a hit the security headers of the rendering, unchanged, for pages with and without a form', async () => {
    for (const url of ['/villages/gulou', HONEY]) {
      touchDatabase();
      const miss = await anonymous(ctx.app).get(url);
      const hit = await anonymous(ctx.app).get(url);
      expect(miss.headers['x-page-cache'], url).toBeUndefined();
      expect(hit.headers['x-page-cache'], url).toBe('hit');
      for (const name of SECURITY_HEADERS) {
        expect(miss.headers[name], `${name} on ${url}`).toBeDefined();
        expect(hit.headers[name], `${name} on a hit of ${url}`).toBe(miss.headers[name]);
      }
      expect(hit.headers['content-type']).toBe(miss.headers['content-type']);
      expect(miss.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    }
  });

  it('never serves a hit to a visitor with a flash message, and never shows that message to the next visitor', async () => {
    touchDatabase();
    await anonymous(ctx.app).get('/products');
    expect((await anonymous(ctx.app).get('/products')).headers['x-page-cache']).toBe('hit');
    const message = '这是只给这位访客看的提示。';
    const flash = ctx.app.signCookie(JSON.stringify({ kind: 'success', message }));
    const flashed = await ctx.app.inject({ method: 'GET', url: '/products', cookies: { flash } });
    expect(flashed.headers['x-page-cache']).toBeUndefined();
    expect(flashed.body).toContain(message);
    expect(flashed.headers['cache-control']).toBe('private, no-cache');
    const next = await anonymous(ctx.app).get('/products');
    expect(next.body).not.toContain(message);
  });

  it('never serves a hit to a visitor with a session (a cart), and never serves their page to others', async () => {
    const shopper = anonymous(ctx.app);
    const page = await shopper.get(HONEY);
    const productId = /name="productId" value="(\d+)"/.exec(page.body)![1]!;
    expect((await shopper.post('/cart/items', { productId, quantity: '2', _csrf: csrfTokenIn(page.body)! })).statusCode).toBe(303);
    expect(shopper.cookies.sid).toBeTruthy();
    await shopper.get('/cart'); // the flash is shown and cleared
    expect(shopper.cookies.flash).toBeUndefined();
    await anonymous(ctx.app).get(HONEY); // cached for anonymous visitors again
    const own = await shopper.get(HONEY);
    expect(own.headers['x-page-cache']).toBeUndefined();
    expect(own.headers['cache-control']).toBe('private, no-cache');
    // Not signed in: the same catalogue token as everyone's, and it still works with their cart session.
    expect((await shopper.post('/cart/items', { productId, quantity: '1', _csrf: csrfTokenIn(own.body)! })).statusCode).toBe(303);
    const other = await anonymous(ctx.app).get(HONEY);
    expect(other.headers['x-page-cache']).toBe('hit'); // a cart changes nothing the page shows
    expect(other.headers['cache-control']).toBe('no-cache');
    expect(other.body).not.toContain(BUYER_NAME);
  });

  it('never serves a signed-in user’s page to an anonymous visitor afterwards', async () => {
    const buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
    for (const url of [HONEY, '/products', '/']) {
      const own = await buyer.get(url);
      expect(own.headers['x-page-cache'], url).toBeUndefined();
      expect(own.body, url).toContain(BUYER_NAME);
      expect(own.headers['cache-control'], url).toBe('private, no-cache');
      const buyerToken = csrfTokenIn(own.body)!;
      for (const attempt of [1, 2]) {
        const visitor = await anonymous(ctx.app).get(url);
        expect(visitor.body, `${url}, anonymous visit ${attempt}`).not.toContain(BUYER_NAME);
        expect(visitor.body, `${url}, anonymous visit ${attempt}`).not.toContain(buyerToken);
      }
      // And the buyer, with their session, is never given the anonymous rendering.
      const again = await buyer.get(url);
      expect(again.headers['x-page-cache'], url).toBeUndefined();
      expect(again.body, url).toContain(BUYER_NAME);
    }
  });

  it('still remembers ?lang=en on a hit (a lang cookie when the visitor’s differs) and serves the English page', async () => {
    touchDatabase();
    await anonymous(ctx.app).get('/products?lang=en');
    const newcomer = await anonymous(ctx.app).get('/products?lang=en');
    expect(newcomer.headers['x-page-cache']).toBe('hit');
    expect(newcomer.body).toContain('All products');
    expect(setCookie(newcomer, 'lang')?.value).toBe('en');
    expect(setCookie(newcomer, 'lang')?.maxAge).toBeGreaterThan(0);

    const chinese = anonymous(ctx.app);
    await chinese.get('/products?lang=zh');
    expect(chinese.cookies.lang).toBe('zh-CN');
    const switched = await chinese.get('/products?lang=en');
    expect(switched.headers['x-page-cache']).toBe('hit');
    expect(setCookie(switched, 'lang')?.value).toBe('en');
    expect(chinese.cookies.lang).toBe('en');
    // Already English: nothing to remember.
    const again = await chinese.get('/products?lang=en');
    expect(again.headers['x-page-cache']).toBe('hit');
    expect(setCookie(again, 'lang')).toBeUndefined();
    // The remembered language then applies without the query: the English rendering, not the Chinese one.
    await chinese.get('/products');
    const remembered = await chinese.get('/products');
    expect(remembered.headers['x-page-cache']).toBe('hit');
    expect(remembered.body).toContain('All products');
    expect(remembered.body).not.toContain('全部商品');
  });

  it('sets the language on a hit of an English product page, and its form works', async () => {
    await renderAndWaitForCompressedForms(`${HONEY}?lang=en`);
    const visitor: TestBrowser = anonymous(ctx.app);
    const hit = await visitor.get(`${HONEY}?lang=en`, { 'accept-encoding': 'gzip' });
    expect(isTheCachesOwnGzip(hit)).toBe(true);
    expect(setCookie(hit, 'lang')?.value).toBe('en');
    expect(setCookie(hit, '_csrf')).toBeUndefined();
    const html = gunzipSync(hit.rawPayload).toString('utf8');
    expect(html).toContain('<html lang="en');
    const productId = /name="productId" value="(\d+)"/.exec(html)![1]!;
    expect((await visitor.post('/cart/items', { productId, quantity: '1', _csrf: csrfTokenIn(html)! })).statusCode).toBe(303);
  });

  it('answers HEAD for a cached page with 200, the page’s headers and no body, and leaves the cached page whole for GET', async () => {
    touchDatabase();
    const page = await anonymous(ctx.app).get('/villages/gulou');
    expect((await anonymous(ctx.app).get('/villages/gulou')).headers['x-page-cache']).toBe('hit');
    for (const headers of [{}, { 'accept-encoding': 'gzip' }, { 'accept-encoding': 'br' }]) {
      const head = await ctx.app.inject({ method: 'HEAD', url: '/villages/gulou', headers });
      expect(head.statusCode).toBe(200);
      expect(head.rawPayload.length).toBe(0);
      expect(head.headers['content-type']).toBe('text/html; charset=utf-8');
    }
    const plainHead = await ctx.app.inject({ method: 'HEAD', url: '/villages/gulou' });
    expect(Number(plainHead.headers['content-length'])).toBe(page.rawPayload.length);
    const after = await anonymous(ctx.app).get('/villages/gulou');
    expect(after.headers['x-page-cache']).toBe('hit');
    expect(after.body).toBe(page.body);
  });
});
