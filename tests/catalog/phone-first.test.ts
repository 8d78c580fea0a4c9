import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * The catalogue on a phone, as HTML: the listing's filters fold into a disclosure (the header's search
 * box is the only one), and the home page lists products before its figures.
 */

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestApp();
});
afterAll(async () => {
  await ctx?.close();
});

const get = (url: string) => ctx.app.inject({ method: 'GET', url });
const mainOf = (html: string) => /<main\b[\s\S]*<\/main>/.exec(html)?.[0] ?? '';
const disclosureOf = (html: string) => /<details class="filter-bar"[^>]*>[\s\S]*?<\/details>/.exec(html)?.[0] ?? null;

describe('the listing’s filters', () => {
  it('fold into a closed disclosure named 筛选与排序, with no second search box', async () => {
    const res = await get('/products');
    const filters = disclosureOf(res.body);
    expect(filters).not.toBeNull();
    expect(filters).toMatch(/^<details class="filter-bar">/);
    expect(filters).toContain('<summary>筛选与排序</summary>');
    expect(mainOf(res.body)).not.toContain('type="search"');
    expect((res.body.match(/type="search"/g) ?? []).length).toBe(1);
    for (const name of ['category', 'village', 'project', 'sort']) expect(filters).toContain(`name="${name}"`);
  });

  it('stay open and count the filters in use when a link chooses some, keeping the search term', async () => {
    const res = await get(`/products?${new URLSearchParams({ q: '蜂蜜', category: 'honey', village: 'meiyaogou' })}`);
    const filters = disclosureOf(res.body)!;
    expect(filters).toMatch(/^<details class="filter-bar" open>/);
    expect(filters).toContain('已选 2 项');
    expect(filters).toContain('<input type="hidden" name="q" value="蜂蜜">');
    const english = disclosureOf((await get('/products?category=honey&lang=en')).body)!;
    expect(english).toContain('Filter and sort');
    expect(english).toContain('1 chosen');
  });

  it('stay closed for a search alone', async () => {
    const filters = disclosureOf((await get(`/products?q=${encodeURIComponent('蜂蜜')}`)).body)!;
    expect(filters).toMatch(/^<details class="filter-bar">/);
  });
});

describe('the home page', () => {
  it('lists the featured products before the shop’s figures', async () => {
    const main = mainOf((await get('/')).body);
    const firstCard = main.indexOf('class="card product-card"');
    expect(firstCard).toBeGreaterThan(0);
    expect(firstCard).toBeLessThan(main.indexOf('id="impact-heading"'));
  });
});
