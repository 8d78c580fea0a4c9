import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';

/** A buyer in a real browser: from the home page, through search, to a product, in both languages. */

let server: LiveServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Console errors and uncaught exceptions (a CSP violation shows up here too). */
let problems: string[];

beforeAll(async () => {
  [server, browser] = await Promise.all([startLiveServer(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

beforeEach(async () => {
  context = await browser.newContext({ baseURL: server.url, locale: 'zh-CN' });
  context.setDefaultTimeout(5_000);
  page = await context.newPage();
  problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
});

afterEach(async () => {
  await context?.close();
});

const SEARCH_LABEL = '搜索商品、村庄或生产者';

describe('a buyer looking for honey', () => {
  it('searches from the header, opens a honey, reads the price and the producer story, then switches to English', async () => {
    await page.goto('/');
    expect(await page.title()).toContain('乡益');

    const search = page.getByRole('search');
    await search.getByLabel(SEARCH_LABEL).fill('蜂蜜');
    await search.getByRole('button', { name: '搜索' }).click();
    await page.waitForURL(/\/products\?q=/);
    expect(new URL(page.url()).searchParams.get('q')).toBe('蜂蜜');
    await page.getByRole('heading', { level: 1, name: '“蜂蜜”的搜索结果' }).waitFor();

    const honey = page.getByRole('main').getByRole('link', { name: /煤窑沟土蜂蜜/ });
    await honey.waitFor();
    const otherHoney = page.getByRole('main').getByRole('link', { name: /槐花蜜/ });
    expect(await otherHoney.count()).toBe(1);
    await honey.click();
    await page.waitForURL(/\/products\/meiyaogou-honey$/);

    await page.getByRole('heading', { level: 1, name: '煤窑沟土蜂蜜' }).waitFor();
    const price = (await page.locator('[data-price]').textContent())?.trim();
    expect(price).toMatch(/^¥[\d,]+\.\d{2}$/);
    expect(price).toBe('¥68.00');
    await page.getByRole('heading', { name: '生产者的故事' }).waitFor();
    expect(await page.getByRole('button', { name: '加入购物车' }).isVisible()).toBe(true);

    // The switch is named by what it shows (axe: label-content-name-mismatch), in the language it leads to.
    await page.getByRole('link', { name: 'English', exact: true }).click();
    await page.waitForURL(/lang=en/);
    const addToCart = page.getByRole('button', { name: 'Add to cart' });
    await addToCart.waitFor();
    expect(await addToCart.isVisible()).toBe(true);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.getByRole('heading', { name: 'The producer’s story' }).waitFor();
    expect((await page.locator('[data-price]').textContent())?.trim()).toBe('¥68.00');

    // The choice is remembered: the next page is English without ?lang=.
    await page.getByRole('link', { name: 'All products' }).first().click();
    await page.waitForURL(/\/products$/);
    await page.getByRole('heading', { level: 1, name: 'All products' }).waitFor();

    expect(problems).toEqual([]);
  });

  it('narrows the listing with the category filter and sees only honey', async () => {
    await page.goto('/products');
    // The filters are folded into a disclosure: open it first.
    await page.getByText('筛选与排序').click();
    await page.getByLabel('分类').selectOption('honey');
    await page.getByRole('button', { name: '应用筛选' }).click();
    await page.waitForURL(/category=honey/);
    const titles = (await page.getByRole('main').locator('.card-title').allTextContents()).map((t) => t.trim());
    expect(titles.length).toBeGreaterThan(0);
    expect(titles).toContain('槐花蜜');
    expect(titles).not.toContain('土瑶茶');
    const expected = server.db.sqlite.prepare(`SELECT count(*) FROM products WHERE published = 1 AND category = 'honey'`).pluck().get() as number;
    expect(titles).toHaveLength(expected);
    expect(problems).toEqual([]);
  });

  it('sees "sold out" and no add-to-cart button on a sold-out product', async () => {
    const slug = server.db.sqlite.prepare(`SELECT slug FROM products WHERE published = 1 AND stock = 0 ORDER BY id LIMIT 1`).pluck().get() as string;
    await page.goto(`/products/${slug}`);
    await page.getByText('已售罄，欢迎关注下一批').waitFor();
    expect(await page.getByRole('button', { name: '加入购物车' }).count()).toBe(0);
  });
});
