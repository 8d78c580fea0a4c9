import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousAxeViolations, type AxeFinding } from '../helpers/axe.js';
import { launchBrowser } from '../helpers/browser.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';

/**
 * axe-core on the main pages of each role, on a 360 px phone, in Chinese and in English (the browser's
 * language, Accept-Language): no serious or critical violation.
 */

let server: LiveServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startLiveServer(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const LOCALES = ['zh-CN', 'en-US'] as const;
/** axe takes a second or more per page on a loaded machine; a test audits up to seven pages. */
const AUDIT_TIMEOUT_MS = 180_000;

async function phone(locale: (typeof LOCALES)[number]): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: server.url, locale, viewport: { width: 360, height: 740 } });
  context.setDefaultTimeout(10_000);
  return { context, page: await context.newPage() };
}

/** Visits each page and collects what axe finds, by page, so one failure names every page concerned. */
async function audit(page: Page, urls: readonly string[]): Promise<Record<string, AxeFinding[]>> {
  const found: Record<string, AxeFinding[]> = {};
  for (const url of urls) {
    const response = await page.goto(url);
    expect(response?.status(), url).toBe(200);
    const violations = await seriousAxeViolations(page);
    if (violations.length > 0) found[url] = violations;
  }
  return found;
}

async function signIn(page: Page, email: string): Promise<void> {
  await page.goto('/login');
  await page.locator('input[name="email"]').fill(email);
  await page.locator('input[name="password"]').fill('xiangyi-demo');
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/login')), page.locator('form[action^="/login"] button[type="submit"]').click()]);
}

describe.each(LOCALES)('axe on the main pages (%s)', (locale) => {
  it(
    'finds nothing serious on the buyer’s pages: home, products, a product, cart, checkout, sign-in and impact',
    async () => {
      const { context, page } = await phone(locale);
      try {
        await page.goto('/products/meiyaogou-honey');
        expect(await page.locator('html').getAttribute('lang')).toBe(locale === 'en-US' ? 'en' : 'zh-CN');
        const before = await audit(page, ['/', '/products', '/products/meiyaogou-honey', '/login', '/impact']);
        await page.goto('/products/meiyaogou-honey');
        await Promise.all([page.waitForURL(/\/cart/), page.locator('form[action="/cart/items"] button[type="submit"]').first().click()]);
        const after = await audit(page, ['/cart', '/checkout']);
        expect({ ...before, ...after }).toEqual({});
      } finally {
        await context.close();
      }
    },
    AUDIT_TIMEOUT_MS,
  );

  it(
    'finds nothing serious on the first secretary’s console',
    async () => {
      const { context, page } = await phone(locale);
      try {
        await signIn(page, 'secretary.gulou@xiangyi.test');
        expect(await audit(page, ['/secretary', '/secretary/households', '/secretary/products', '/secretary/orders'])).toEqual({});
      } finally {
        await context.close();
      }
    },
    AUDIT_TIMEOUT_MS,
  );

  it(
    'finds nothing serious on the coordinator’s console',
    async () => {
      const { context, page } = await phone(locale);
      try {
        await signIn(page, 'coordinator@xiangyi.test');
        expect(
          await audit(page, ['/coordinator', '/coordinator/projects', '/coordinator/households', '/coordinator/reconciliation', '/coordinator/bank-batches']),
        ).toEqual({});
      } finally {
        await context.close();
      }
    },
    AUDIT_TIMEOUT_MS,
  );
});
