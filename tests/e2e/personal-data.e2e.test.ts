import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seriousAxeViolations } from '../helpers/axe.js';
import { launchBrowser } from '../helpers/browser.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';

/**
 * A buyer's personal-data request (PIPL) in a real browser on a 360 px phone, without JavaScript:
 * from the orders page to the page of their data, the JSON download, then the deletion with the
 * password typed again. The account is gone and the ledger still checks.
 */

const NARROW = { width: 360, height: 740 };
const BUYER = 'buyer@xiangyi.test';

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

afterEach(async () => {
  await context?.close();
});

/** How far the page is wider than the screen (0: no sideways scroll). */
async function overflowX(): Promise<number> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document;
    return doc.documentElement.scrollWidth - doc.documentElement.clientWidth;
  });
}

/** Signs the demo buyer in, in a new browser context on the 360 px phone. */
async function signInOnPhone(javaScript: boolean) {
  context = await browser.newContext({ baseURL: server.url, locale: 'zh-CN', viewport: NARROW, javaScriptEnabled: javaScript, acceptDownloads: true });
  context.setDefaultTimeout(5_000);
  page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('电子邮箱').fill(BUYER);
  await page.getByLabel('密码').fill('xiangyi-demo');
  await page.getByRole('main').getByRole('button', { name: '登录' }).click();
  await page.waitForURL((url) => url.pathname !== '/login');
}

describe('a buyer’s personal data', { timeout: 120_000 }, () => {
  // First, while the account exists: axe runs in the page, so this one has JavaScript on.
  it.each(['/account/data', '/account/delete'])('draws %s on a 360 px phone without sideways scrolling and with no serious axe finding', async (path) => {
    await signInOnPhone(true);
    await page.goto(path);
    expect(await overflowX()).toBe(0);
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it('is downloaded, then deleted, on a 360 px phone without JavaScript, and the ledger still checks', async () => {
    await signInOnPhone(false);

    await page.goto('/account/orders');
    await page.getByRole('link', { name: '我的个人信息（下载或删除）' }).click();
    await page.waitForURL('**/account/data');
    expect((await page.locator('[data-field="email"]').textContent())?.trim()).toBe(BUYER);
    expect(await overflowX()).toBe(0);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: '下载我的数据（JSON 文件）' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^xiangyi-my-data-\d{8}\.json$/);
    const data = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    expect(data.account.email).toBe(BUYER);

    await page.getByRole('link', { name: '删除我的个人信息' }).click();
    await page.waitForURL('**/account/delete');
    expect(await overflowX()).toBe(0);
    await page.getByLabel('请再次输入您的密码以确认').fill('xiangyi-demo');
    await page.getByRole('button', { name: '永久删除我的个人信息' }).click();
    await page.getByText('您的个人信息已删除，账户已停用。感谢您对乡村的支持。').waitFor();

    expect(server.db.sqlite.prepare(`SELECT count(*) FROM users WHERE email = ?`).pluck().get(BUYER)).toBe(0);
    await page.goto('/account/orders');
    expect(new URL(page.url()).pathname).toBe('/login');
    await expectLedgerSound(server.db);
  });
});
