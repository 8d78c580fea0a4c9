import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seriousAxeViolations } from '../helpers/axe.js';
import { launchBrowser } from '../helpers/browser.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';

/**
 * A buyer on a 390×844 phone (and a 360 px one): the products are on the first screen, the product
 * page's buy bar stays in reach, the header counts the cart, and nothing scrolls sideways.
 */

const PHONE = { width: 390, height: 844 };
const NARROW = { width: 360, height: 740 };

let server: LiveServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  [server, browser] = await Promise.all([startLiveServer(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openPhone(viewport = PHONE, options: { javaScript?: boolean; locale?: string } = {}) {
  context = await browser.newContext({ baseURL: server.url, locale: options.locale ?? 'zh-CN', viewport, javaScriptEnabled: options.javaScript ?? true });
  context.setDefaultTimeout(5_000);
  page = await context.newPage();
}

afterEach(async () => {
  await context?.close();
});

/** Where an element is on the screen as first drawn (the page not scrolled), in CSS pixels. */
async function boxOf(selector: string) {
  const box = await page.locator(selector).first().boundingBox();
  if (!box) throw new Error(`${selector} is not drawn`);
  return box;
}

/** How far the page is wider than the screen (0: no sideways scroll). */
async function overflowX(): Promise<number> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document;
    return doc.documentElement.scrollWidth - doc.documentElement.clientWidth;
  });
}

describe('products above the fold on a 390×844 phone', () => {
  it.each(['zh-CN', 'en'])('shows the first featured product of the home page on the first screen (%s)', async (locale) => {
    await openPhone(PHONE, { locale });
    await page.goto('/');
    const card = await boxOf('main .product-card');
    expect(card.y + card.height, `first product card ends at ${card.y + card.height}px`).toBeLessThanOrEqual(PHONE.height);
  });

  it.each(['zh-CN', 'en'])('shows the first product of /products on the first screen, the filters folded away (%s)', async (locale) => {
    await openPhone(PHONE, { locale });
    await page.goto('/products');
    const card = await boxOf('main .product-card');
    expect(card.y + card.height, `first product card ends at ${card.y + card.height}px`).toBeLessThanOrEqual(PHONE.height);
    // Only the header's search box asks for a search term.
    expect(await page.locator('input[type="search"]').count()).toBe(1);
    const filters = page.locator('main details.filter-bar');
    expect(await filters.evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(false);
    await filters.locator('summary').click();
    await page.getByLabel('分类').or(page.getByLabel('Category')).selectOption('honey');
    await filters.getByRole('button').first().click();
    await page.waitForURL(/category=honey/);
    // The filter in use keeps the disclosure open, so the buyer sees what is chosen.
    expect(await page.locator('main details.filter-bar').evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(true);
  });

  it('keeps 加入购物车 and 立即购买 on the screen as the buyer scrolls a product page, without JavaScript', async () => {
    await openPhone(PHONE, { javaScript: false });
    await page.goto('/products/meiyaogou-honey');
    for (const scrollY of [0, 600, 1200]) {
      await page.mouse.wheel(0, scrollY === 0 ? 0 : 600);
      await page.waitForTimeout(50);
      for (const name of ['加入购物车', '立即购买']) {
        const button = await page.getByRole('button', { name, exact: true }).boundingBox();
        expect(button, name).not.toBeNull();
        expect(button!.y, `${name} at ${button!.y} after scrolling ${scrollY}`).toBeGreaterThanOrEqual(0);
        expect(button!.y + button!.height, `${name} at ${button!.y} after scrolling ${scrollY}`).toBeLessThanOrEqual(PHONE.height);
      }
    }
  });

  it('buys now: straight to the checkout with that item, and the header counts the cart', async () => {
    await openPhone(PHONE, { javaScript: false });
    await page.goto('/products/meiyaogou-honey');
    await page.getByLabel(/数量/).fill('2');
    await page.getByRole('button', { name: '立即购买', exact: true }).click();
    await page.waitForURL(/\/checkout$/);
    expect((await page.locator('main').textContent()) ?? '').toContain('煤窑沟土蜂蜜');
    const cartLink = page.getByRole('banner').getByRole('link', { name: /购物车/ });
    expect((await cartLink.textContent()) ?? '').toContain('2');
    expect(
      await page
        .getByRole('banner')
        .getByRole('link', { name: /^购物车\s*2 件商品$/ })
        .count(),
    ).toBe(1);
  });
});

describe('a 360 px phone', () => {
  it.each(['/', '/products', '/products?category=zzz', '/products/meiyaogou-honey', '/products/tuyao-tea', '/cart'])(
    'draws %s without sideways scrolling and with no serious axe finding',
    async (path) => {
      await openPhone(NARROW);
      await page.goto(path);
      expect(await overflowX()).toBe(0);
      expect(await seriousAxeViolations(page)).toEqual([]);
    },
  );
});
