import type { LightMyRequestResponse as Response } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { negotiateLocale } from '../../src/i18n/i18n.js';
import { anonymous } from '../helpers/auth.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

const htmlLang = (res: Response) => /<html lang="([^"]+)"/.exec(res.body)?.[1];
const varyOf = (res: Response) =>
  String(res.headers.vary ?? '')
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean);
const isHit = (res: Response) => res.headers['x-page-cache'] === 'hit';

describe('the browser’s language (Accept-Language) among the shop’s', () => {
  it('picks English when the browser prefers English, and Chinese when it prefers Chinese', () => {
    expect(negotiateLocale('en-US,en;q=0.9')).toBe('en');
    expect(negotiateLocale('en-GB')).toBe('en');
    expect(negotiateLocale('zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh-CN');
    expect(negotiateLocale('en;q=0.8, zh-CN;q=0.9')).toBe('zh-CN');
    expect(negotiateLocale('zh-TW,en;q=0.5')).toBe('zh-CN');
  });

  it('skips languages the shop does not speak and says nothing when none is spoken', () => {
    expect(negotiateLocale('fr-FR,fr;q=0.9,en;q=0.5')).toBe('en');
    expect(negotiateLocale('de-DE,de;q=0.9')).toBeNull();
    expect(negotiateLocale('*')).toBeNull();
    expect(negotiateLocale('')).toBeNull();
    expect(negotiateLocale(undefined)).toBeNull();
  });

  it('never picks a language the browser refuses (q=0), and the first of equal weights wins', () => {
    expect(negotiateLocale('en;q=0, zh;q=0.1')).toBe('zh-CN');
    expect(negotiateLocale('en;q=0')).toBeNull();
    expect(negotiateLocale('en;q=0.5, zh;q=0.5')).toBe('en');
    expect(negotiateLocale('zh, en')).toBe('zh-CN');
  });
});

describe('a first visit in the browser’s language', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestApp();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('serves English to a browser that prefers English, and Chinese otherwise', async () => {
    const english = await anonymous(ctx.app).get('/products', { 'accept-language': 'en-US,en;q=0.9' });
    expect(htmlLang(english)).toBe('en');
    expect(english.body).toContain('All products');
    const chinese = await anonymous(ctx.app).get('/products', { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' });
    expect(htmlLang(chinese)).toBe('zh-CN');
    expect(htmlLang(await anonymous(ctx.app).get('/products'))).toBe('zh-CN');
    expect(htmlLang(await anonymous(ctx.app).get('/products', { 'accept-language': 'de-DE' }))).toBe('zh-CN');
  });

  it('keeps ?lang= and the lang cookie above the browser’s language, and does not remember a negotiated one', async () => {
    const visitor = anonymous(ctx.app);
    const first = await visitor.get('/', { 'accept-language': 'en-US' });
    expect(htmlLang(first)).toBe('en');
    expect(first.cookies.find((c) => c.name === 'lang')).toBeUndefined();
    const switched = await visitor.get('/?lang=zh', { 'accept-language': 'en-US' });
    expect(htmlLang(switched)).toBe('zh-CN');
    expect(visitor.cookies.lang).toBe('zh-CN');
    // The remembered choice wins over the browser from then on.
    expect(htmlLang(await visitor.get('/products', { 'accept-language': 'en-US' }))).toBe('zh-CN');
    expect(htmlLang(await anonymous(ctx.app).get('/products?lang=zh', { 'accept-language': 'en-US' }))).toBe('zh-CN');
  });

  it('answers pages outside the page cache (sign-in, cart) in the negotiated language too', async () => {
    for (const url of ['/login', '/cart']) {
      const res = await anonymous(ctx.app).get(url, { 'accept-language': 'en-US' });
      expect(res.statusCode, url).toBe(200);
      expect(htmlLang(res), url).toBe('en');
      expect(varyOf(res), url).toEqual(expect.arrayContaining(['accept-language', 'cookie']));
    }
  });

  it('lets styles and images be cached once for every language', async () => {
    const css = await anonymous(ctx.app).get('/static/css/site.css', { 'accept-language': 'en-US' });
    expect(css.statusCode).toBe(200);
    expect(varyOf(css)).not.toContain('accept-language');
    expect(varyOf(css)).not.toContain('cookie');
  });

  it('picks a cached page by the negotiated language, and says the page varies on it and on the cookie', async () => {
    const url = '/products?category=honey';
    const en1 = await anonymous(ctx.app).get(url, { 'accept-language': 'en-US' });
    const zh1 = await anonymous(ctx.app).get(url, { 'accept-language': 'zh-CN' });
    const en2 = await anonymous(ctx.app).get(url, { 'accept-language': 'en' });
    const zh2 = await anonymous(ctx.app).get(url);
    expect([isHit(en1), isHit(zh1), isHit(en2), isHit(zh2)]).toEqual([false, false, true, true]);
    expect([en1, zh1, en2, zh2].map(htmlLang)).toEqual(['en', 'zh-CN', 'en', 'zh-CN']);
    expect(en2.body).toBe(en1.body);
    for (const res of [en1, zh1, en2, zh2]) expect(varyOf(res)).toEqual(expect.arrayContaining(['accept-encoding', 'accept-language', 'cookie']));
    // A page whose URL names the language does not depend on the browser's.
    await anonymous(ctx.app).get(`${url}&lang=en`, { 'accept-language': 'zh-CN' });
    const named = await anonymous(ctx.app).get(`${url}&lang=en`, { 'accept-language': 'zh-CN' });
    expect(isHit(named)).toBe(true);
    expect(htmlLang(named)).toBe('en');
    expect(varyOf(named)).not.toContain('accept-language');
  });
});

describe('the language behind a CDN (CDN_MAX_AGE)', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestApp({ env: { CDN_MAX_AGE: '300' } });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('tells the CDN to key a page on Accept-Language and the cookie unless the URL names the language', async () => {
    const variants: Record<string, string>[] = [{}, { 'accept-language': 'en-US' }, { cookie: 'lang=en' }];
    for (const headers of variants) {
      for (const res of [await anonymous(ctx.app).get('/products', headers), await anonymous(ctx.app).get('/products', headers)]) {
        expect(String(res.headers['cache-control'])).toMatch(/^public, /);
        expect(varyOf(res)).toEqual(expect.arrayContaining(['accept-encoding', 'accept-language', 'cookie']));
      }
    }
    for (const url of ['/products?lang=en', '/products?lang=zh']) {
      const res = await anonymous(ctx.app).get(url, { cookie: `lang=${url.endsWith('en') ? 'en' : 'zh-CN'}`, 'accept-language': 'de' });
      expect(String(res.headers['cache-control'])).toMatch(/^public, /);
      expect(varyOf(res)).toEqual(['accept-encoding']);
    }
  });
});
