import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { en } from '../../src/i18n/catalogue.js';
import { translate, type MessageKey } from '../../src/i18n/i18n.js';
import { anonymous, csrfTokenIn, signIn, type TestBrowser } from '../helpers/auth.js';
import { rowOf } from '../helpers/db-query.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/** Chinese (full-width) punctuation: ，。：；！？（）、「」《》 and the ideographic space. */
const CHINESE_PUNCTUATION = /[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]/u;
const HAN = /\p{Script=Han}/u;
/**
 * Chinese words an English sentence may carry: a term glossed in English ("发票 (invoice)"), or the Chinese
 * for an English term in brackets ("Registered-poor number (建档立卡)", "For example “Xiaohua” (小花)").
 */
const GLOSSED = [/[\p{Script=Han}]+ \([A-Za-z][^)]*\)/gu, /\([\p{Script=Han}\s]+\)/gu];
/** Messages that are Chinese on purpose in English: the name of the language itself, on its switch. */
const CHINESE_ON_PURPOSE = new Set<string>(['lang.switch', 'recall.notice.zh']);
/** Words that end in s after a 1 and are right: "1 is", "order 1 has". */
const SINGULAR_WORDS_IN_S = new Set(['is', 'was', 'has', 'does', 'its', 'this', 'plus', 'yes', 'us', 'as', 'gs']);

/** The parameters that are counts of something (the others are names, amounts, dates, order numbers). */
const COUNTS = /^(count|pages|payments|refunds|age|units|total|shown|stock|quantity|min|max|left|available|unsettled|minutes|n)$/;
const hanLeft = (text: string) => GLOSSED.reduce((t, pattern) => t.replace(pattern, ''), text);
/** "1 households", "1 more households", "1 jars": a count of one with a plural noun. */
function pluralMistakes(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?<![\d.,¥])\b1 (?:more )?([A-Za-z]+)\b/g)) {
    const word = m[1]!.toLowerCase();
    if (word.endsWith('s') && !word.endsWith('ss') && !SINGULAR_WORDS_IN_S.has(word)) found.push(m[0]);
  }
  return found;
}

describe('the English catalogue', () => {
  const entries = Object.entries(en) as [MessageKey, string][];

  it('uses English punctuation only', () => {
    const offending = entries.filter(([, text]) => CHINESE_PUNCTUATION.test(text)).map(([key, text]) => `${key}: ${text}`);
    expect(offending).toEqual([]);
  });

  it('has no Chinese words except names given in both languages', () => {
    const offending = entries.filter(([key, text]) => !CHINESE_ON_PURPOSE.has(key) && HAN.test(hanLeft(text))).map(([key, text]) => `${key}: ${text}`);
    expect(offending).toEqual([]);
  });

  it('says "1 household" and "2 households": every count agrees with its noun', () => {
    const offending: string[] = [];
    for (const [key] of entries) {
      const names = [...new Set([...en[key].matchAll(/\{(\w+)/g)].map((m) => m[1]!))];
      for (const n of [1, 2]) {
        const params = Object.fromEntries(names.map((name) => [name, name === 'unit' ? 'jar' : COUNTS.test(name) ? n : `<${name}>`]));
        const text = translate('en', key, params);
        for (const mistake of pluralMistakes(text)) offending.push(`${key}: ${mistake}`);
        if (n === 1 && /\b1 jars\b/.test(text)) offending.push(`${key}: 1 jars`);
        if (n === 2 && /\b2 jar\b/.test(text)) offending.push(`${key}: 2 jar`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('chooses plural forms and agreeing units', () => {
    expect(translate('en', 'catalog.resultCount', { count: 1 })).toBe('1 product');
    expect(translate('en', 'catalog.resultCount', { count: 0 })).toBe('0 products');
    expect(translate('en', 'catalog.resultCount', { count: 12 })).toBe('12 products');
    expect(translate('zh-CN', 'catalog.resultCount', { count: 1 })).toBe(translate('zh-CN', 'catalog.resultCount', { count: 1 }));
    expect(translate('en', 'product.stockLeft', { stock: 1, unit: 'pair' })).toBe('1 pair left');
    expect(translate('en', 'product.stockLeft', { stock: 5, unit: 'pair' })).toBe('5 pairs left');
    expect(translate('en', 'product.stockLeft', { stock: 5, unit: 'box' })).toBe('5 boxes left');
    expect(translate('en', 'product.stockLeft', { stock: 5, unit: 'kg' })).toBe('5 kg left');
    expect(translate('en', 'product.bulkTier', { min: 10, unit: 'jar', price: '¥50.00' })).toBe('From 10 jars: ¥50.00 per jar');
    expect(translate('en', 'impact.unnamed', { count: 1 })).toBe('1 more household chose not to be named.');
    expect(translate('en', 'wish.age', { age: 1 })).toBe('1 year old');
  });
});

describe('English pages of the demo', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestApp();
  });
  afterAll(async () => {
    await ctx.close();
  });

  /** The text a reader sees: tags, scripts and styles removed, entities decoded enough for the checks. */
  const visibleText = (html: string) =>
    html
      .replace(/<(script|style)[\s\S]*?<\/\1>/g, ' ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/&#x27;|&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&')
      .replace(/\s+/g, ' ');

  async function englishPages(browser: TestBrowser, urls: readonly string[]): Promise<string[]> {
    const problems: string[] = [];
    for (const url of urls) {
      const res = await browser.get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toContain('<html lang="en');
      const text = visibleText(res.body);
      for (const m of text.matchAll(new RegExp(`.{0,30}${CHINESE_PUNCTUATION.source}.{0,30}`, 'gu'))) problems.push(`${url}: punctuation in “${m[0]}”`);
      for (const mistake of pluralMistakes(text)) problems.push(`${url}: “${mistake}”`);
    }
    return problems;
  }

  it('have English punctuation and plurals on the public pages, the cart and checkout', async () => {
    const visitor = anonymous(ctx.app);
    const home = await visitor.get('/?lang=en');
    const link = (prefix: string) => new RegExp(`href="(${prefix}[a-z0-9-]+)"`).exec(home.body)?.[1];
    const product = link('/products/') ?? '/products/meiyaogou-honey';
    const page = await visitor.get(product);
    const productId = /name="productId" value="(\d+)"/.exec(page.body)![1]!;
    await visitor.post('/cart/items', { productId, quantity: '1', _csrf: csrfTokenIn(page.body)! });
    const urls = [
      '/',
      '/products',
      product,
      link('/villages/'),
      link('/projects/'),
      '/impact',
      '/cart',
      '/checkout',
      '/login',
      '/register',
      '/wishes',
      '/outlets',
    ];
    expect(
      await englishPages(
        visitor,
        urls.filter((u): u is string => u !== undefined),
      ),
    ).toEqual([]);
  });

  it('name regions and funding sources in English on English pages, and in Chinese on Chinese ones', async () => {
    const visitor = anonymous(ctx.app);
    const region = (html: string) => visibleText(/<p class="place-region">([\s\S]*?)<\/p>/.exec(html)![1]!).trim();
    const gulou = await visitor.get('/villages/gulou?lang=en');
    expect(region(gulou.body)).toBe('Location: Guangxi · Hezhou · Zhongshan County · Huilong Town');
    expect(region((await anonymous(ctx.app).get('/villages/meiyaogou')).body)).toBe('所在地： 河南省 · 郑州市 · 登封市 · 大冶镇');
    await visitor.get('/?lang=en');
    // Every village's region on the English home page and village pages: no Chinese left in it.
    const home = await visitor.get('/');
    for (const m of home.body.matchAll(/<span class="tile-meta">([^<]*)<\/span>/g)) expect(m[1], 'a tile of the home page').not.toMatch(HAN);
    for (const slug of ['meiyaogou', 'mengzhuang', 'shibantan', 'gulou', 'mingmei', 'chashan']) {
      const page = await visitor.get(`/villages/${slug}`);
      expect(region(page.body), slug).not.toMatch(HAN);
    }
    // Funding sources: a known source's usual English name, or the one the coordinator gave.
    const fund = (html: string) => /<dt>Funding source<\/dt><dd>([^<]*)<\/dd>/.exec(html)?.[1];
    expect(fund((await visitor.get('/projects/fupin-xianfuzhi')).body)).toBe('China Welfare Lottery charity fund');
    expect(fund((await visitor.get('/projects/xiaoji-kuaipao')).body)).toBe('Public donations');
    expect(fund((await visitor.get('/projects/shen-he-xiezuo')).body)).toBe('Shenzhen–Hezhou East–West cooperation funds');
    expect((await anonymous(ctx.app).get('/projects/fupin-xianfuzhi')).body).toContain('<dd>福彩公益金</dd>');
    // Where a product ships from: no Chinese place name on its English page.
    const product = await visitor.get('/products/gulou-shiitake');
    expect(visibleText(product.body)).toContain('Gulou Village');
    expect(visibleText(product.body)).not.toMatch(/贺州|钟山|广西/);

    // The coordinator's list in English, and an English name given in the project's form.
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    await coordinator.get('/coordinator?lang=en');
    const list = await coordinator.get('/coordinator/projects');
    expect(list.body).toContain('<td>China Welfare Lottery charity fund</td>');
    expect(list.body).not.toContain('福彩公益金');
    const id = (await rowOf<{ id: number }>(ctx.db, sql`SELECT id FROM projects WHERE slug = 'xiaoji-kuaipao'`))!.id;
    const form = await coordinator.get(`/coordinator/projects/${id}`);
    expect(form.body).toContain('name="fundingSourceEn"');
    const project = (await rowOf<Record<string, string | number | null>>(ctx.db, sql`SELECT * FROM projects WHERE id = ${id}`))!;
    const saved = await coordinator.post(
      `/coordinator/projects/${id}`,
      {
        nameZh: String(project.name_zh),
        nameEn: String(project.name_en ?? ''),
        slug: String(project.slug),
        fundingSource: '社会捐赠',
        fundingSourceEn: 'Donations from Shenzhen social workers',
        startsOn: String(project.starts_on ?? ''),
        endsOn: String(project.ends_on ?? ''),
        target: '',
        storyZh: String(project.story_zh),
        storyEn: String(project.story_en ?? ''),
      },
      { csrfFrom: `/coordinator/projects/${id}` },
    );
    expect(saved.statusCode).toBe(303);
    expect(fund((await anonymous(ctx.app).get('/projects/xiaoji-kuaipao?lang=en')).body)).toBe('Donations from Shenzhen social workers');
  });

  it('have English punctuation and plurals on the secretary’s and the coordinator’s consoles', async () => {
    const secretary = await signIn(ctx.app, 'secretary.gulou@xiangyi.test');
    await secretary.get('/secretary?lang=en');
    const problems = await englishPages(secretary, ['/secretary', '/secretary/households', '/secretary/products', '/secretary/orders']);
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    await coordinator.get('/coordinator?lang=en');
    problems.push(
      ...(await englishPages(coordinator, [
        '/coordinator',
        '/coordinator/projects',
        '/coordinator/households',
        '/coordinator/reconciliation',
        '/coordinator/holds',
      ])),
    );
    expect(problems).toEqual([]);
  });
});
