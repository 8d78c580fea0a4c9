import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';

/** A buyer in a real browser buys honey and follows their order page to the harvest lot it came from. */

let server: LiveServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[];

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

describe('tracing honey to its harvest lot', () => {
  it('links the order page to the lot page of the honey bought, which names households only as they agreed', async () => {
    context = await browser.newContext({ baseURL: server.url, locale: 'zh-CN' });
    context.setDefaultTimeout(5_000);
    page = await context.newPage();
    problems = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));

    await page.goto('/products/meiyaogou-honey');
    await page.getByLabel(/^数量/).fill('2');
    await page.getByRole('button', { name: '加入购物车' }).click();
    await page.waitForURL(/\/cart$/);
    await page.getByRole('link', { name: '去结算' }).click();
    await page.waitForURL(/\/checkout$/);
    await page.getByLabel('收货人').fill('林小梅');
    await page.getByLabel('手机号').fill('13800138000');
    await page.getByLabel('省', { exact: true }).fill('广东省');
    await page.getByLabel('市', { exact: true }).fill('深圳市');
    await page.getByLabel('区/县').fill('南山区');
    await page.getByLabel('详细地址').fill('科技园南路 88 号');
    await page.getByLabel(/^银行转账/).check();
    await page.getByRole('button', { name: '核对订单' }).click();
    await page.getByRole('button', { name: '提交订单' }).click();
    await page.waitForURL(/\/orders\/XY-\d{8}-\d{4}\?token=/);

    // The oldest honey lot is sold first.
    await page.getByRole('heading', { name: '批次溯源' }).waitFor();
    const lotLink = page.getByRole('link', { name: '批次 MYG-HONEY-SPRING' });
    await lotLink.click();
    await page.waitForURL(/\/lots\/MYG-HONEY-SPRING$/);
    await page.getByRole('heading', { level: 1, name: '批次 MYG-HONEY-SPRING' }).waitFor();
    await page.getByRole('link', { name: '煤窑沟土蜂蜜' }).waitFor();
    const households = (await page.locator('[data-lot-households]').textContent())?.trim();
    expect(households).toBe('3 户农户，其中同意公开的有：王阿姨、张大姐');
    expect(await page.getByText('赵建民').count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
