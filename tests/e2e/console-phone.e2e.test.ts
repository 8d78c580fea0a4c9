import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';

/**
 * The people who run the programme, each on a 360×740 phone in Chinese and in English: every page of
 * their console opens without sideways scrolling, and its primary action (the first link styled as a
 * button, form, table or section, else the first of its content) starts on the first screen.
 */

const PHONE = { width: 360, height: 740 };
const PAGES: Record<string, { email: string; urls: string[] }> = {
  secretary: {
    email: 'secretary.gulou@xiangyi.test',
    urls: [
      '/secretary',
      '/secretary/households',
      '/secretary/households/new',
      '/secretary/producers',
      '/secretary/products',
      '/secretary/products/new',
      '/secretary/orders',
      '/secretary/quotes',
      '/secretary/outlets',
    ],
  },
  coordinator: {
    email: 'coordinator@xiangyi.test',
    urls: [
      '/coordinator',
      '/coordinator/projects',
      '/coordinator/households',
      '/coordinator/payout-requests',
      '/coordinator/bank-batches',
      '/coordinator/reconciliation',
      '/coordinator/requests',
      '/coordinator/holds',
      '/coordinator/wishes',
      '/coordinator/recalls',
      '/coordinator/organizations',
      '/coordinator/invoices',
      '/coordinator/donation-receipts',
      '/coordinator/exports',
    ],
  },
  admin: { email: 'admin@xiangyi.test', urls: ['/admin/users', '/admin/audit', '/admin/outbox', '/admin/outlets', '/admin/security'] },
  outlet: { email: 'outlet@xiangyi.test', urls: ['/outlet'] },
};

let server: LiveServer;
let browser: Browser;
let context: BrowserContext | undefined;

beforeAll(async () => {
  [server, browser] = await Promise.all([startLiveServer(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});
afterEach(async () => {
  await context?.close();
  context = undefined;
});

async function signedIn(email: string, locale: string): Promise<Page> {
  context = await browser.newContext({ baseURL: server.url, locale, viewport: PHONE });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  await page.goto(`/login?lang=${locale === 'en' ? 'en' : 'zh-CN'}`);
  await page.locator('main input[type="email"]').fill(email);
  await page.locator('main input[type="password"]').fill('xiangyi-demo');
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/login')), page.locator('main form button[type="submit"]').first().click()]);
  return page;
}

/** How the page sits on the phone: sideways overflow (px) and where its primary action starts. */
async function layoutOf(page: Page): Promise<{ overflow: number; primaryTop: number | null; primary: string }> {
  return page.evaluate(() => {
    const doc = (
      globalThis as unknown as {
        document: {
          documentElement: { scrollWidth: number; clientWidth: number };
          querySelector(s: string): { tagName: string; textContent: string | null; getBoundingClientRect(): { top: number } } | null;
        };
      }
    ).document;
    const primary = doc.querySelector('main a.button, main form, main table, main section h2') ?? doc.querySelector('main h2, main ul, main p');
    return {
      overflow: doc.documentElement.scrollWidth - doc.documentElement.clientWidth,
      primaryTop: primary ? primary.getBoundingClientRect().top : null,
      primary: primary ? `${primary.tagName.toLowerCase()} “${(primary.textContent ?? '').trim().slice(0, 30)}”` : '(none)',
    };
  });
}

describe('the consoles on a 360×740 phone', () => {
  for (const [role, { email, urls }] of Object.entries(PAGES)) {
    it.each(['zh-CN', 'en'])(
      `${role}: every page fits the screen's width, its primary action on the first screen (%s)`,
      async (locale) => {
        const page = await signedIn(email, locale);
        for (const url of urls) {
          const response = await page.goto(url);
          expect(response?.status(), url).toBe(200);
          const { overflow, primaryTop, primary } = await layoutOf(page);
          expect(overflow, `${url} scrolls sideways by ${overflow}px`).toBe(0);
          expect(primaryTop, `${url}: ${primary}`).not.toBeNull();
          expect(primaryTop!, `${url}: ${primary} starts at ${primaryTop}px`).toBeLessThan(PHONE.height);
        }
      },
      120_000,
    );
  }
});
