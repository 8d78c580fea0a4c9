import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * The public storefront as a buyer meets it: the home page, search and filters, the product,
 * village and project pages, the language switch and the error pages. Every test reads the
 * seeded demo data of one fresh database; none of them changes it.
 */

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestApp();
});

afterAll(async () => {
  await ctx?.close();
});

// ---------------------------------------------------------------------------------------------
// Named helpers: what a buyer sees, pulled out of the HTML and the JSON API.

interface ApiCard {
  slug: string;
  url: string;
  title: string;
  titleZh: string;
  price: string;
  priceFen: number;
  soldOut: boolean;
  villageSlug: string;
  category: string;
  stock: number;
  project: { slug: string; name: string };
}

interface ApiPage {
  items: ApiCard[];
  page: number;
  pageSize: number;
  total: number;
  pages: number;
  sort: string;
}

interface ApiError {
  error: { code: string; message: string };
}

async function get(url: string, cookies?: Record<string, string>) {
  return ctx.app.inject({ method: 'GET', url, cookies });
}

/** GET /products?… (HTML) with the query built from an object, so Chinese and symbols are encoded. */
async function listingPage(query: Record<string, string> = {}, cookies?: Record<string, string>) {
  return get(`/products?${new URLSearchParams(query).toString()}`, cookies);
}

async function apiPage(query: Record<string, string> = {}): Promise<ApiPage> {
  const res = await get(`/api/v1/products?${new URLSearchParams(query).toString()}`);
  expect(res.statusCode, `GET /api/v1/products?${new URLSearchParams(query).toString()}`).toBe(200);
  return res.json<ApiPage>();
}

/** Every item of a listing, walking all its pages through the JSON API. */
async function allApiItems(query: Record<string, string> = {}): Promise<ApiCard[]> {
  const first = await apiPage(query);
  const items = [...first.items];
  for (let page = 2; page <= first.pages; page += 1) {
    items.push(...(await apiPage({ ...query, page: String(page) })).items);
  }
  return items;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&#x3D;/g, '=')
    .replace(/&#x60;/g, '`')
    .replace(/&amp;/g, '&');
}

/** The page's <main> content. */
function mainOf(html: string): string {
  const match = /<main\b[^>]*>([\s\S]*?)<\/main>/.exec(html);
  expect(match, 'the page has a <main> element').not.toBeNull();
  return match![1]!;
}

/** Visible text of a fragment: tags removed, entities decoded, whitespace collapsed. */
function textOf(html: string): string {
  return decodeEntities(html.replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

/** Titles of the product cards shown in the page's main content, in order. */
function cardTitles(html: string): string[] {
  return [...mainOf(html).matchAll(/<span class="card-title">([\s\S]*?)<\/span>/g)].map((m) => decodeEntities(m[1]!.trim()));
}

/** Product links of the cards in the page's main content, in order. */
function cardLinks(html: string): string[] {
  return [...mainOf(html).matchAll(/<a href="(\/products\/[^"]+)" class="card-link">/g)].map((m) => m[1]!);
}

/** The result count the listing announces (data-total on the status line). */
function announcedTotal(html: string): number {
  const match = /class="result-count"[^>]*data-total="(\d+)"/.exec(html);
  expect(match, 'the listing announces how many products it found').not.toBeNull();
  return Number(match![1]);
}

function figure(html: string, name: string): string {
  const match = new RegExp(`<dd data-figure="${name}">([^<]*)</dd>`).exec(html);
  expect(match, `the page shows the ${name} figure`).not.toBeNull();
  return decodeEntities(match![1]!.trim());
}

/** The <form> that adds the product to the cart, or null. */
function addToCartForm(html: string): string | null {
  return /<form\b[^>]*action="\/cart\/items"[^>]*>[\s\S]*?<\/form>/.exec(html)?.[0] ?? null;
}

function fen(price: string): number {
  const match = /^¥([\d,]+)\.(\d{2})$/.exec(price);
  expect(match, `"${price}" is a price like ¥1,234.50`).not.toBeNull();
  return Number(match![1]!.replace(/,/g, '')) * 100 + Number(match![2]);
}

/** The shop's layout: its header with the brand and search, its main content, its footer. */
function expectShopLayout(html: string): void {
  expect(html).toMatch(/^<!doctype html>/i);
  expect(html).toContain('<header class="site-header">');
  expect(html).toMatch(/<a class="brand" href="\/">[\s\S]*?乡益/);
  expect(html).toContain('id="site-search"');
  expect(html).toContain('<footer class="site-footer">');
  expect(html).toContain('/static/css/site.css');
}

function sqlAll<T>(sql: string, ...params: unknown[]): T[] {
  return ctx.db.sqlite.prepare(sql).all(...params) as T[];
}

function sqlCount(sql: string, ...params: unknown[]): number {
  return ctx.db.sqlite
    .prepare(sql)
    .pluck()
    .get(...params) as number;
}

const PUBLISHED_FROM = `FROM products p JOIN producers pr ON pr.id = p.producer_id JOIN villages v ON v.id = pr.village_id
  JOIN projects pj ON pj.id = p.project_id WHERE p.published = 1`;

// ---------------------------------------------------------------------------------------------

describe('the home page', () => {
  it('shows the featured products by title, each linking to its page', async () => {
    const res = await get('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const featured = sqlAll<{ slug: string; title: string }>(`SELECT slug, title_zh AS title FROM products WHERE published = 1 AND featured = 1 ORDER BY id`);
    expect(featured.length).toBeGreaterThan(0);
    const titles = cardTitles(res.body);
    for (const product of featured.slice(0, 8)) {
      expect(titles).toContain(product.title);
      expect(cardLinks(res.body)).toContain(`/products/${product.slug}`);
    }
    expect(titles).toEqual(expect.arrayContaining(['土瑶茶', '手工虎头鞋', '煤窑沟土蜂蜜']));
  });

  it('shows the headline figures: sales in yuan, households, villages and products on sale', async () => {
    const res = await get('/');
    expect(figure(res.body, 'sales')).toMatch(/^¥[\d,]+\.\d{2}$/);
    expect(Number(figure(res.body, 'villages'))).toBe(sqlCount('SELECT count(*) FROM villages'));
    expect(Number(figure(res.body, 'products'))).toBe(sqlCount('SELECT count(*) FROM products WHERE published = 1'));
    const households = Number(figure(res.body, 'households'));
    // Households reached are those the ledger has credited (none before the first sale).
    expect(households).toBe(
      sqlCount(`SELECT count(DISTINCT a.household_id) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE a.kind = 'household_payable'`),
    );
    expect(households).toBeLessThanOrEqual(sqlCount('SELECT count(*) FROM households'));
  });

  it('links to every poverty-alleviation project and every village', async () => {
    const res = await get('/');
    const main = mainOf(res.body);
    for (const project of sqlAll<{ slug: string; name: string }>('SELECT slug, name_zh AS name FROM projects')) {
      expect(main).toContain(`href="/projects/${project.slug}"`);
      expect(main).toContain(project.name);
    }
    for (const village of sqlAll<{ slug: string; name: string }>('SELECT slug, name_zh AS name FROM villages')) {
      expect(main).toContain(`href="/villages/${village.slug}"`);
      expect(main).toContain(village.name);
    }
  });
});

describe('searching the catalogue', () => {
  it('finds 土瑶茶 by its name and lists it first', async () => {
    const res = await listingPage({ q: '土瑶茶' });
    expect(res.statusCode).toBe(200);
    expect(cardTitles(res.body)[0]).toBe('土瑶茶');
    expect(textOf(mainOf(res.body))).toContain('“土瑶茶”的搜索结果');
  });

  it('finds 土瑶茶 with the two-character term 土瑶 too (shorter than a trigram)', async () => {
    const page = await apiPage({ q: '土瑶' });
    expect(page.items.map((i) => i.slug)).toContain('tuyao-tea');
    expect(page.items.map((i) => i.slug)).not.toContain('meiyaogou-honey');
    expect(page.items[0]!.slug).toBe('tuyao-tea');
  });

  it('finds the tiger-head shoes with 虎头鞋', async () => {
    const res = await listingPage({ q: '虎头鞋' });
    expect(cardTitles(res.body)[0]).toBe('手工虎头鞋');
  });

  it('finds every honey when the term is the category name 蜂蜜, even those not called 蜂蜜', async () => {
    const honeys = sqlAll<{ title: string }>(`SELECT title_zh AS title FROM products WHERE published = 1 AND category = 'honey'`);
    expect(honeys.map((h) => h.title)).toContain('槐花蜜');
    const res = await listingPage({ q: '蜂蜜' });
    const titles = cardTitles(res.body);
    for (const honey of honeys) expect(titles).toContain(honey.title);
  });

  it('lists the honeys before products that only mention honey in their story when searching 蜂蜜', async () => {
    const items = await allApiItems({ q: '蜂蜜' });
    const categories = items.map((i) => i.category);
    expect(categories).toContain('honey');
    // A stable sort that only moves honey ahead: e.g. [honey, eggs-poultry, honey, honey] means a buyer
    // looking for honey is shown eggs before two of the honeys.
    const honeyFirst = [...categories].sort((a, b) => Number(b === 'honey') - Number(a === 'honey'));
    expect(categories, `ranking: ${items.map((i) => i.titleZh).join(', ')}`).toEqual(honeyFirst);
  });

  it('lists tea first for 茶, and only after every product with 茶 in its title the ones whose producer merely has it in its name', async () => {
    const items = await allApiItems({ q: '茶' });
    const slugs = items.map((i) => i.slug);
    expect(items[0]!.category, slugs.join(', ')).toBe('tea');
    const withTitle = items.filter((i) => i.titleZh.includes('茶'));
    expect(withTitle.length).toBeGreaterThan(0);
    const lastTitleMatch = Math.max(...withTitle.map((i) => slugs.indexOf(i.slug)));
    for (const other of ['fuchuan-navel-oranges', 'yao-smoked-pork']) {
      if (slugs.includes(other)) expect(slugs.indexOf(other), `${other} in ${slugs.join(', ')}`).toBeGreaterThan(lastTitleMatch);
    }
    // A one-character term is not looked for in stories: a honey that mentions tea is not a result.
    for (const item of items) expect(item.category === 'honey', item.slug).toBe(false);
  });

  it('finds no eggs for 蜂蜜 or 腐竹 (short terms are not looked for in stories)', async () => {
    for (const q of ['蜂蜜', '腐竹']) {
      const items = await allApiItems({ q });
      expect(items.length, q).toBeGreaterThan(0);
      for (const item of items) expect(item.category, `${q}: ${item.slug}`).not.toBe('eggs-poultry');
    }
    expect((await allApiItems({ q: '腐竹' })).map((i) => i.slug)).toEqual(['meiyaogou-yuba']);
  });

  it('finds products by village name, in Chinese and in English', async () => {
    for (const q of ['孟庄村', 'Mengzhuang', '孟庄']) {
      const items = await allApiItems({ q });
      expect(items.length, q).toBeGreaterThan(0);
      expect(
        items.map((i) => i.slug),
        q,
      ).toContain('tiger-head-shoes');
      for (const item of items) expect(item.villageSlug, q).toBe('mengzhuang');
    }
  });

  it('requires every term of a multi-word search to match', async () => {
    const both = await allApiItems({ q: '蜂蜜 煤窑沟' });
    const honey = await allApiItems({ q: '蜂蜜' });
    expect(both.length).toBeGreaterThan(0);
    expect(both.length).toBeLessThan(honey.length);
    for (const item of both) expect(item.villageSlug).toBe('meiyaogou');
  });

  it('shows the empty message when nothing matches', async () => {
    const res = await listingPage({ q: '完全不存在的商品xyz' });
    expect(res.statusCode).toBe(200);
    expect(announcedTotal(res.body)).toBe(0);
    expect(cardTitles(res.body)).toEqual([]);
    expect(textOf(mainOf(res.body))).toContain('没有找到符合条件的商品。换个关键词或清除筛选试试。');
  });

  it('offers "most relevant" as the sort of a search, and not of a plain listing', async () => {
    expect((await apiPage({ q: '土瑶茶' })).sort).toBe('relevance');
    expect((await apiPage({})).sort).toBe('newest');
    const search = await listingPage({ q: '土瑶茶' });
    expect(search.body).toMatch(/<option value="relevance" selected>/);
    const plain = await listingPage({});
    expect(plain.body).not.toContain('value="relevance"');
  });

  it.each([
    ['a double quote', '"'],
    ['a star', '*'],
    ['an unclosed NEAR(', 'NEAR('],
    ['NEAR with terms', 'NEAR(土瑶 茶)'],
    ['an FTS column filter', 'title:土瑶茶'],
    ['a quoted OR', '土瑶茶" OR "蜂蜜'],
    ['an SQL comment injection', "' OR 1=1 --"],
    ['a DROP TABLE', "'; DROP TABLE products; --"],
    ['a LIKE percent', '%'],
    ['a LIKE underscore', '_'],
    ['a backslash', '\\'],
    ['braces', '{q}'],
    ['only separators', ' ，、 '],
  ])('treats %s in the search box as plain text (200, never 500)', async (_what, q) => {
    const html = await listingPage({ q });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    const json = await get(`/api/v1/products?${new URLSearchParams({ q }).toString()}`);
    expect(json.statusCode).toBe(200);
    const page = json.json<ApiPage>();
    expect(page.total).toBe(announcedTotal(html.body));
    expect(sqlCount('SELECT count(*) FROM products')).toBeGreaterThan(0);
  });

  it.each([
    ['inside a word', 'ab\u0000cd'],
    ['alone, three times', '\u0000\u0000\u0000'],
  ])('answers a search with a NUL character %s with a page or a 400, never a 500', async (_where, q) => {
    const html = await listingPage({ q });
    expect([200, 400]).toContain(html.statusCode);
    const json = await get(`/api/v1/products?${new URLSearchParams({ q }).toString()}`);
    expect([200, 400]).toContain(json.statusCode);
  });

  it('finds nothing for % and _ (they are not wildcards) and for an injected OR 1=1', async () => {
    for (const q of ['%', '_', "' OR 1=1 --"]) expect((await apiPage({ q })).total, q).toBe(0);
  });

  it('escapes a search for markup instead of running it', async () => {
    const res = await listingPage({ q: '<script>alert(1)</script>' });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('<script>alert(1)</script>');
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('filtering the catalogue', () => {
  it('combines category and village: every result is both, and the count matches the database', async () => {
    const expected = sqlCount(`SELECT count(*) ${PUBLISHED_FROM} AND p.category = ? AND v.slug = ?`, 'dried-goods', 'meiyaogou');
    expect(expected).toBeGreaterThan(0);
    const items = await allApiItems({ category: 'dried-goods', village: 'meiyaogou' });
    expect(items).toHaveLength(expected);
    for (const item of items) {
      expect(item.category).toBe('dried-goods');
      expect(item.villageSlug).toBe('meiyaogou');
    }
    const html = await listingPage({ category: 'dried-goods', village: 'meiyaogou' });
    expect(announcedTotal(html.body)).toBe(expected);
    expect(html.body).toMatch(/<option value="dried-goods" selected>/);
    expect(html.body).toMatch(/<option value="meiyaogou" selected>/);
    // Combining narrows: fewer than either filter alone.
    expect(expected).toBeLessThan((await apiPage({ category: 'dried-goods' })).total);
    expect(expected).toBeLessThan((await apiPage({ village: 'meiyaogou' })).total);
  });

  it('combines village and project', async () => {
    const expected = sqlCount(`SELECT count(*) ${PUBLISHED_FROM} AND v.slug = ? AND pj.slug = ?`, 'meiyaogou', 'meiyaogou-chanye');
    expect(expected).toBeGreaterThan(0);
    const items = await allApiItems({ village: 'meiyaogou', project: 'meiyaogou-chanye' });
    expect(items).toHaveLength(expected);
    for (const item of items) {
      expect(item.villageSlug).toBe('meiyaogou');
      expect(item.project.slug).toBe('meiyaogou-chanye');
    }
  });

  it('combines a search with a category', async () => {
    const items = await allApiItems({ q: 'tea', category: 'tea' });
    expect(items.map((i) => i.slug)).toContain('tuyao-tea');
    for (const item of items) expect(item.category).toBe('tea');
  });

  it('counts every category filter exactly as the database does', async () => {
    const rows = sqlAll<{ category: string; n: number }>(`SELECT p.category, count(*) AS n ${PUBLISHED_FROM} GROUP BY p.category`);
    expect(rows.length).toBeGreaterThan(3);
    for (const row of rows) expect((await apiPage({ category: row.category })).total, row.category).toBe(row.n);
  });

  it('treats an empty filter field ("All") as no filter', async () => {
    const all = await apiPage({});
    const blank = await apiPage({ q: '', category: '', village: '', project: '', sort: '' });
    expect(blank.total).toBe(all.total);
  });
});

describe('sorting the catalogue', () => {
  it('orders by price from low to high across every page', async () => {
    const prices = (await allApiItems({ sort: 'price_asc' })).map((i) => i.priceFen);
    expect(prices.length).toBe(sqlCount(`SELECT count(*) FROM products WHERE published = 1`));
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    expect(prices[0]).toBeLessThan(prices[prices.length - 1]!);
  });

  it('orders by price from high to low across every page', async () => {
    const items = await allApiItems({ sort: 'price_desc' });
    const prices = items.map((i) => i.priceFen);
    expect(prices).toEqual([...prices].sort((a, b) => b - a));
    expect(items[0]!.slug).toBe('tuyao-tea');
    // The shown price is the same amount as priceFen.
    for (const item of items) expect(fen(item.price)).toBe(item.priceFen);
  });

  it('orders a filtered listing by price too', async () => {
    const prices = (await allApiItems({ village: 'meiyaogou', sort: 'price_asc' })).map((i) => i.priceFen);
    expect(prices.length).toBeGreaterThan(2);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
  });

  it('orders by popularity (units sold) and by newest listing', async () => {
    const sold = new Map(
      sqlAll<{ slug: string; n: number; at: number }>('SELECT slug, sold_count AS n, created_at AS at FROM products').map((r) => [r.slug, r]),
    );
    const popular = (await allApiItems({ sort: 'popular' })).map((i) => sold.get(i.slug)!.n);
    expect(popular).toEqual([...popular].sort((a, b) => b - a));
    const newest = (await allApiItems({ sort: 'newest' })).map((i) => sold.get(i.slug)!.at);
    expect(newest).toEqual([...newest].sort((a, b) => b - a));
  });

  it('shows the cards of the HTML listing in the same order as the API', async () => {
    const html = await listingPage({ sort: 'price_desc' });
    const api = await apiPage({ sort: 'price_desc' });
    expect(cardLinks(html.body)).toEqual(api.items.map((i) => i.url));
  });
});

describe('paging through the catalogue', () => {
  it('shows 12 products a page, a different 12 on page 2, and every published product exactly once', async () => {
    const published = sqlAll<{ slug: string }>('SELECT slug FROM products WHERE published = 1').map((r) => r.slug);
    expect(published.length).toBeGreaterThan(12);
    const first = await apiPage({});
    const second = await apiPage({ page: '2' });
    expect(first.pageSize).toBe(12);
    expect(first.items).toHaveLength(12);
    expect(first.total).toBe(published.length);
    expect(second.total).toBe(first.total);
    expect(first.pages).toBe(Math.ceil(published.length / 12));
    expect(second.page).toBe(2);
    const firstSlugs = first.items.map((i) => i.slug);
    for (const item of second.items) expect(firstSlugs).not.toContain(item.slug);
    const all = (await allApiItems({})).map((i) => i.slug);
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual([...published].sort());
  });

  it('never claims to show a page past the last one (e.g. "第 4 页，共 3 页")', async () => {
    const pages = Math.ceil(sqlCount('SELECT count(*) FROM products WHERE published = 1') / 12);
    const res = await listingPage({ page: String(pages + 1) });
    expect(res.statusCode).toBeLessThan(500);
    if (res.statusCode === 200) {
      const text = textOf(mainOf(res.body));
      expect(text).not.toContain(`第 ${pages + 1} 页，共 ${pages} 页`);
    } else {
      expect([400, 404]).toContain(res.statusCode);
    }
  });

  it('links page 2 back to page 1 and on to page 3, keeping the filters', async () => {
    const res = await listingPage({ page: '2', sort: 'price_asc' });
    expect(res.statusCode).toBe(200);
    const pages = Math.ceil(sqlCount('SELECT count(*) FROM products WHERE published = 1') / 12);
    expect(textOf(mainOf(res.body))).toContain(`第 2 页，共 ${pages} 页`);
    const link = (rel: string) => {
      const match = new RegExp(`<a rel="${rel}" href="([^"]+)"`).exec(res.body);
      return match ? decodeEntities(match[1]!) : null;
    };
    expect(link('prev')).toBe('/products?sort=price_asc');
    if (pages > 2) expect(link('next')).toBe('/products?sort=price_asc&page=3');
    expect(cardTitles(res.body)).not.toEqual(cardTitles((await listingPage({ sort: 'price_asc' })).body));
  });
});

describe('a product page', () => {
  it('shows 土瑶茶 at ¥560.00 per kilogram with its bulk prices, stock and minimum order', async () => {
    // Plenty in stock: the page says so without a count (a count is shown only when low).
    expect(sqlCount(`SELECT stock > low_stock_threshold FROM products WHERE slug = 'tuyao-tea'`)).toBe(1);
    const res = await get('/products/tuyao-tea');
    expect(res.statusCode).toBe(200);
    const main = mainOf(res.body);
    const text = textOf(main);
    expect(main).toMatch(/<h1>土瑶茶<\/h1>/);
    expect(main).toMatch(/<strong data-price>¥560\.00<\/strong>/);
    expect(text).toContain('每公斤');
    expect(text).toContain('批量价格');
    expect(text).toContain('10公斤起，每公斤 ¥520.00');
    expect(text).toContain('100公斤起，每公斤 ¥500.00');
    expect(text).toContain('库存 有货');
    expect(text).not.toContain('还剩');
    expect(text).toContain('1 公斤起订');
  });

  it('shows how many are left once a product runs low, and sold out at none', async () => {
    const stock = sqlCount(`SELECT stock FROM products WHERE slug = 'meiyaogou-yuba'`);
    ctx.db.sqlite.prepare(`UPDATE products SET stock = 3 WHERE slug = 'meiyaogou-yuba'`).run();
    const low = await get('/products/meiyaogou-yuba');
    expect(textOf(mainOf(low.body))).toContain('还剩 3 斤');
    expect(addToCartForm(low.body)).toMatch(/max="3"/);
    ctx.db.sqlite.prepare(`UPDATE products SET stock = 0 WHERE slug = 'meiyaogou-yuba'`).run();
    expect(textOf(mainOf((await get('/products/meiyaogou-yuba')).body))).toContain('已售罄');
    ctx.db.sqlite.prepare(`UPDATE products SET stock = ? WHERE slug = 'meiyaogou-yuba'`).run(stock);
  });

  it('shows a minimum order above one where the producer sets one', async () => {
    const res = await get('/products/meiyaogou-yuba');
    const text = textOf(mainOf(res.body));
    expect(text).toContain('2 斤起订');
    expect(addToCartForm(res.body)).toMatch(/name="quantity"[^>]*min="2"[^>]*value="2"/);
  });

  it("tells the producer's story and links to the village and the project", async () => {
    const row = ctx.db.sqlite
      .prepare(
        `SELECT pr.story_zh AS story, pr.name_zh AS producer, v.slug AS village, v.name_zh AS villageName, pj.slug AS project, pj.name_zh AS projectName
         FROM products p JOIN producers pr ON pr.id = p.producer_id JOIN villages v ON v.id = pr.village_id JOIN projects pj ON pj.id = p.project_id
         WHERE p.slug = 'tuyao-tea'`,
      )
      .get() as { story: string; producer: string; village: string; villageName: string; project: string; projectName: string };
    const res = await get('/products/tuyao-tea');
    const main = mainOf(res.body);
    expect(main).toContain('生产者的故事');
    expect(textOf(main)).toContain(row.story.trim());
    expect(main).toContain(row.producer);
    expect(main).toContain(`<a href="/villages/${row.village}">${row.villageName}</a>`);
    expect(main).toContain(`<a href="/projects/${row.project}">${row.projectName}</a>`);
  });

  it('has an add-to-cart form posting the product id and a quantity to /cart/items', async () => {
    const id = sqlCount(`SELECT id FROM products WHERE slug = 'tuyao-tea'`);
    const res = await get('/products/tuyao-tea');
    const form = addToCartForm(res.body);
    expect(form).not.toBeNull();
    expect(form).toMatch(/method="post"/);
    expect(form).toContain(`name="productId" value="${id}"`);
    expect(form).toMatch(/<input[^>]*name="quantity"[^>]*type="number"/);
    expect(form).toMatch(/name="_csrf" value="[^"]+"/);
    expect(form).toMatch(/<button type="submit">加入购物车<\/button>/);
  });

  it('says a sold-out product is sold out and offers no add-to-cart form', async () => {
    const soldOut = sqlAll<{ slug: string }>(`SELECT slug FROM products WHERE published = 1 AND stock = 0 ORDER BY id`);
    expect(soldOut.length).toBeGreaterThan(0);
    for (const { slug } of soldOut) {
      const res = await get(`/products/${slug}`);
      expect(res.statusCode).toBe(200);
      const text = textOf(mainOf(res.body));
      expect(text).toContain('已售罄');
      expect(addToCartForm(res.body)).toBeNull();
      expect(text).not.toContain('加入购物车');
    }
  });

  it('marks a sold-out product on its card in the listing', async () => {
    const { slug, title } = sqlAll<{ slug: string; title: string }>(
      `SELECT slug, title_zh AS title FROM products WHERE published = 1 AND stock = 0 ORDER BY id LIMIT 1`,
    )[0]!;
    const res = await listingPage({ q: title });
    const card = new RegExp(`<a href="/products/${slug}" class="card-link">[\\s\\S]*?</a>`).exec(mainOf(res.body));
    expect(card).not.toBeNull();
    expect(card![0]).toContain('已售罄');
    const api = await apiPage({ q: title });
    expect(api.items.find((i) => i.slug === slug)?.soldOut).toBe(true);
  });

  it('is served as JSON by the API with the price in fen and as text', async () => {
    const res = await get('/api/v1/products/tuyao-tea');
    expect(res.statusCode).toBe(200);
    const body = res.json<{ slug: string; priceFen: number; price: string; bulkTiers: { minQty: number; priceFen: number }[]; village: { slug: string } }>();
    expect(body).toMatchObject({ slug: 'tuyao-tea', priceFen: 56000, price: '¥560.00', village: { slug: 'mingmei' } });
    expect(body.bulkTiers).toEqual([
      { minQty: 10, priceFen: 52000, price: '¥520.00' },
      { minQty: 100, priceFen: 50000, price: '¥500.00' },
    ]);
  });
});

describe('village and project pages', () => {
  it('lists every published product of the village and none from elsewhere', async () => {
    for (const village of sqlAll<{ slug: string; name: string }>('SELECT slug, name_zh AS name FROM villages')) {
      const expected = sqlAll<{ title: string }>(`SELECT p.title_zh AS title ${PUBLISHED_FROM} AND v.slug = ?`, village.slug).map((r) => r.title);
      const res = await get(`/villages/${village.slug}`);
      expect(res.statusCode).toBe(200);
      expect(mainOf(res.body)).toContain(`<h1>${village.name}</h1>`);
      expect([...cardTitles(res.body)].sort(), village.slug).toEqual([...expected].sort());
    }
  });

  it('lists every published product of the project and links to its villages', async () => {
    for (const project of sqlAll<{ slug: string; name: string }>('SELECT slug, name_zh AS name FROM projects')) {
      const expected = sqlAll<{ title: string; village: string }>(
        `SELECT p.title_zh AS title, v.slug AS village ${PUBLISHED_FROM} AND pj.slug = ?`,
        project.slug,
      );
      const res = await get(`/projects/${project.slug}`);
      expect(res.statusCode).toBe(200);
      const main = mainOf(res.body);
      expect(main).toContain(`<h1>${project.name}</h1>`);
      expect([...cardTitles(res.body)].sort(), project.slug).toEqual(expected.map((r) => r.title).sort());
      for (const { village } of expected) expect(main).toContain(`href="/villages/${village}"`);
    }
  });

  it("shows how the project's proceeds are split", async () => {
    const res = await get('/projects/shen-he-xiezuo');
    expect(textOf(mainOf(res.body))).toContain('农户 85% · 项目基金 10% · 平台运营 5%');
  });
});

describe('drafts', () => {
  const drafts = () => sqlAll<{ slug: string; title: string }>(`SELECT slug, title_zh AS title FROM products WHERE published = 0`);

  it('answers 404 for the page of an unpublished product, in HTML and JSON', async () => {
    expect(drafts().length).toBeGreaterThan(0);
    for (const draft of drafts()) {
      const page = await get(`/products/${draft.slug}`);
      expect(page.statusCode, draft.slug).toBe(404);
      expect(page.body).not.toContain(draft.title);
      const api = await get(`/api/v1/products/${draft.slug}`);
      expect(api.statusCode, draft.slug).toBe(404);
      expect(api.body).not.toContain(draft.title);
    }
  });

  it('never lists an unpublished product: not in the listing, a search, the home, a village or a project page', async () => {
    const pages = [
      (await get('/')).body,
      ...(await Promise.all(sqlAll<{ slug: string }>('SELECT slug FROM villages').map(async (v) => (await get(`/villages/${v.slug}`)).body))),
      ...(await Promise.all(sqlAll<{ slug: string }>('SELECT slug FROM projects').map(async (p) => (await get(`/projects/${p.slug}`)).body))),
    ];
    const listed = (await allApiItems({})).map((i) => i.slug);
    for (const draft of drafts()) {
      expect(listed).not.toContain(draft.slug);
      expect((await allApiItems({ q: draft.title })).map((i) => i.slug)).not.toContain(draft.slug);
      for (const html of pages) {
        expect(html).not.toContain(`/products/${draft.slug}"`);
        expect(html).not.toContain(draft.title);
      }
    }
  });
});

describe('the language switch', () => {
  it('switches to English with ?lang=en and remembers it in a lang cookie', async () => {
    const res = await get('/?lang=en');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<html lang="en">');
    expect(res.body).toContain('Featured');
    expect(res.body).toContain('All products');
    expect(res.body).not.toContain('精选好物');
    const lang = res.cookies.find((c) => c.name === 'lang');
    expect(lang?.value).toBe('en');
    expect(lang?.path).toBe('/');

    const later = await get('/products/tuyao-tea', { lang: 'en' });
    expect(later.body).toContain('<html lang="en">');
    expect(later.body).toContain('Add to cart');
    expect(later.body).toContain('Tuyao Mountain Tea');
    expect(later.body).not.toContain('加入购物车');
  });

  it('is Chinese by default and offers a link to the same page in English', async () => {
    const res = await listingPage({ q: '蜂蜜' });
    expect(res.body).toContain('<html lang="zh-CN">');
    const link = /<a class="lang-switch" href="([^"]+)"/.exec(res.body);
    expect(link).not.toBeNull();
    const href = decodeEntities(link![1]!);
    const url = new URL(href, 'http://shop');
    expect(url.pathname).toBe('/products');
    expect(url.searchParams.get('q')).toBe('蜂蜜');
    expect(url.searchParams.get('lang')).toBe('en');
    const english = await get(href);
    expect(english.body).toContain('Results for “蜂蜜”');
  });

  it('switches back to Chinese with ?lang=zh even with an English cookie', async () => {
    const res = await get('/?lang=zh', { lang: 'en' });
    expect(res.body).toContain('<html lang="zh-CN">');
    expect(res.body).toContain('精选好物');
    expect(res.cookies.find((c) => c.name === 'lang')?.value).toBe('zh-CN');
  });

  it('ignores a language it does not know', async () => {
    const res = await get('/?lang=klingon');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<html lang="zh-CN">');
    expect(res.cookies.find((c) => c.name === 'lang')).toBeUndefined();
  });
});

describe('bad query strings', () => {
  const bad: [string, Record<string, string>, string, string][] = [
    ['page 0', { page: '0' }, 'invalid_query', 'page'],
    ['page -1', { page: '-1' }, 'invalid_query', 'page'],
    ['page 1.5', { page: '1.5' }, 'invalid_query', 'page'],
    ['page abc', { page: 'abc' }, 'invalid_query', 'page'],
    ['page 99999', { page: '99999' }, 'invalid_query', 'page'],
    ['an unknown category', { category: 'jewellery' }, 'invalid_query', 'category'],
    ['an unknown village', { village: 'no-such-village' }, 'unknown_village', 'no-such-village'],
    ['an unknown project', { project: 'no-such-project' }, 'unknown_project', 'no-such-project'],
    ['a malformed village slug', { village: 'Not A Slug!' }, 'invalid_query', 'village'],
    ['a search longer than 100 characters', { q: '茶'.repeat(101) }, 'invalid_query', 'q'],
    ['an unknown sort', { sort: 'bogus' }, 'invalid_query', 'sort'],
  ];

  /** Filters a stale shared link may name: the page leaves them out (below); the JSON API refuses them. */
  const unknownFilters = new Set(['an unknown category', 'an unknown village', 'an unknown project', 'a malformed village slug', 'an unknown sort']);
  /** Page numbers a stale or mistyped link may carry: the page shows the first or last page (below); the JSON API refuses them. */
  const badPages = new Set(['page 0', 'page -1', 'page 1.5', 'page abc', 'page 99999']);
  const badForThePage = bad.filter(([what]) => !unknownFilters.has(what) && !badPages.has(what));

  it.each([
    ['abc', '链接中的页码无效，已为你显示第一页。'],
    ['-1', '链接中的页码无效，已为你显示第一页。'],
    ['0', '链接中的页码无效，已为你显示第一页。'],
    ['1.5', '链接中的页码无效，已为你显示第一页。'],
  ])('shows the first page with a short notice for page=%s on /products, not an error', async (page, notice) => {
    const res = await listingPage({ page });
    expect(res.statusCode).toBe(200);
    expectShopLayout(res.body);
    const main = mainOf(res.body);
    expect(main).toContain('data-page-notice');
    expect(textOf(main)).toContain(notice);
    expect(cardTitles(res.body)).toEqual(cardTitles((await listingPage({})).body));
  });

  it.each(['99999', '999', '1000'])('shows the last page with a short notice for page=%s on /products', async (page) => {
    const pages = Math.ceil(sqlCount('SELECT count(*) FROM products WHERE published = 1') / 12);
    const res = await listingPage({ page, sort: 'price_asc' });
    expect(res.statusCode).toBe(200);
    const main = mainOf(res.body);
    expect(textOf(main)).toContain(`商品目录现在只有 ${pages} 页，已为你显示最后一页。`);
    expect(textOf(main)).toContain(`第 ${pages} 页，共 ${pages} 页`);
    expect(cardTitles(res.body)).toEqual(cardTitles((await listingPage({ page: String(pages), sort: 'price_asc' })).body));
    expect(cardTitles(res.body).length).toBeGreaterThan(0);
  });

  it('says nothing about the page number on a page that exists', async () => {
    expect((await listingPage({ page: '1' })).body).not.toContain('data-page-notice');
    expect((await listingPage({})).body).not.toContain('data-page-notice');
  });

  it.each(bad.filter(([what]) => unknownFilters.has(what)))(
    'shows the catalogue with a short notice for %s on /products, not an error',
    async (_what, query) => {
      const res = await listingPage(query);
      expect(res.statusCode).toBe(200);
      expectShopLayout(res.body);
      const main = mainOf(res.body);
      expect(main).toContain('data-unknown-filter');
      expect(textOf(main)).toContain('链接中的筛选条件已不存在，已为你略去。');
      expect(main).not.toContain('must be one of');
      expect(cardTitles(res.body).length).toBeGreaterThan(0);
    },
  );

  it('keeps the filters it knows when a link also names one it does not', async () => {
    const res = await listingPage({ category: 'zzz', village: 'meiyaogou' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-unknown-filter');
    const items = await allApiItems({ village: 'meiyaogou' });
    expect(cardTitles(res.body)).toEqual(items.slice(0, cardTitles(res.body).length).map((i) => i.titleZh));
    expect((await listingPage({ category: 'tea' })).body).not.toContain('data-unknown-filter');
  });

  it.each(badForThePage)('refuses %s on /products with a 400 page in the shop style that says what is wrong', async (_what, query, _code, names) => {
    const res = await listingPage(query);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expectShopLayout(res.body);
    const main = mainOf(res.body);
    expect(main).toContain('<h1>请求有误</h1>');
    const message = /<p class="error-message" role="alert">([\s\S]*?)<\/p>/.exec(main);
    expect(message).not.toBeNull();
    expect(decodeEntities(message![1]!)).toContain(names);
    expect(main).toContain('href="/products"');
  });

  it.each(bad)('refuses %s on /api/v1/products with a JSON error and its code', async (_what, query, code, names) => {
    const res = await get(`/api/v1/products?${new URLSearchParams(query).toString()}`);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json<ApiError>();
    expect(body.error.code).toBe(code);
    expect(body.error.message).toContain(names);
  });

  it('accepts a search of exactly 100 characters, and answers the highest page number past the results with 404', async () => {
    expect((await listingPage({ q: '茶'.repeat(100) })).statusCode).toBe(200);
    const res = await get('/api/v1/products?page=1000');
    expect(res.statusCode).toBe(404);
    expect(res.json<ApiError>().error.code).toBe('page_out_of_range');
  });

  it('answers in English on an English visit', async () => {
    const res = await listingPage({ q: '茶'.repeat(101) }, { lang: 'en' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('<html lang="en">');
    expect(textOf(mainOf(res.body))).not.toMatch(/[\u4e00-\u9fff]/);
    const stale = await listingPage({ village: 'no-such-village' }, { lang: 'en' });
    expect(stale.statusCode).toBe(200);
    expect(textOf(mainOf(stale.body))).toContain('A filter in this link no longer exists, so it was left out.');
    const badPage = await listingPage({ page: 'abc' }, { lang: 'en' });
    expect(badPage.statusCode).toBe(200);
    expect(textOf(mainOf(badPage.body))).toContain('The page number in this link is not valid, so the first page is shown.');
  });
});

describe('pages that do not exist', () => {
  it.each(['/products/no-such-product', '/villages/no-such-village', '/projects/no-such-project', '/no-such-page'])(
    'answers %s with a 404 page in the shop layout',
    async (url) => {
      const res = await get(url);
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expectShopLayout(res.body);
      const main = mainOf(res.body);
      expect(main).toContain('<h1>没有找到这个页面</h1>');
      expect(main).toContain('<a class="button" href="/">回到首页</a>');
    },
  );

  it('answers an unknown product in the API with a JSON 404', async () => {
    const res = await get('/api/v1/products/no-such-product');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json<ApiError>().error.code).toBe('product_not_found');
  });

  it('answers a slug too odd to be one with 404, not 400 or 500', async () => {
    const res = await get(`/products/${'x'.repeat(150)}`);
    expect(res.statusCode).toBe(404);
  });
});

describe('the health check', () => {
  it('says the shop and its database are ok', async () => {
    const res = await get('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', database: 'ok', engine: 'sqlite' });
    expect(res.headers['cache-control']).toBe('no-store');
  });
});
