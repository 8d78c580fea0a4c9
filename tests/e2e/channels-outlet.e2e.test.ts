import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';

/** The staff of 深圳福田慈善超市 in a real browser: signs in, sells two jars of honey paid by WeChat Pay at the till. */

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

const shelfHoney = () =>
  server.db.sqlite
    .prepare(
      `SELECT s.quantity FROM outlet_stock s JOIN outlets o ON o.id = s.outlet_id JOIN products p ON p.id = s.product_id WHERE o.slug = 'shenzhen-futian' AND p.slug = 'meiyaogou-honey'`,
    )
    .pluck()
    .get() as number;

describe('outlet staff at the till', () => {
  it('records a counter sale paid by WeChat Pay: the shelf goes down and the sale is posted', async () => {
    const before = shelfHoney();
    await page.goto('/login');
    const form = page.getByRole('main');
    await form.getByLabel('电子邮箱').fill('outlet@xiangyi.test');
    await form.getByLabel('密码').fill('xiangyi-demo');
    await form.getByRole('button', { name: '登录' }).click();
    await page.waitForURL(/\/outlet$/);
    await page.getByRole('heading', { level: 1, name: '门店收银：深圳福田慈善超市' }).waitFor();

    await page.getByLabel('煤窑沟土蜂蜜').fill('2');
    await page.getByLabel('微信支付').check();
    await page.getByRole('button', { name: '记录销售' }).click();
    await page.waitForURL(/\/outlet\/\d+$/);
    const flash = page.getByRole('status').filter({ hasText: '已记录销售' });
    await flash.waitFor();
    const number = /(XY-\d{8}-\d{4})/.exec((await flash.textContent()) ?? '')![1]!;
    expect(await flash.textContent()).toContain('收款 ¥136.00');
    expect(shelfHoney()).toBe(before - 2);
    const row = page.locator('tr', { has: page.getByLabel('煤窑沟土蜂蜜') });
    expect(await row.locator('[data-shelf-quantity]').getAttribute('data-shelf-quantity')).toBe(String(before - 2));
    expect(await page.locator('[data-recent-sales]').textContent()).toContain(number);

    const order = server.db.sqlite.prepare(`SELECT status, total_fen AS totalFen, contact_name AS contactName FROM orders WHERE number = ?`).get(number);
    expect(order).toEqual({ status: 'paid', totalFen: 13_600, contactName: '门店现场销售' });
    const clearing = server.db.sqlite
      .prepare(
        `SELECT a.code FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id JOIN ledger_accounts a ON a.id = e.account_id JOIN orders o ON o.id = t.order_id WHERE o.number = ? AND a.kind = 'clearing'`,
      )
      .pluck()
      .get(number);
    expect(clearing).toBe('clearing:wechat');
    await expectLedgerSound(server.db);
    expect(problems).toEqual([]);
  });
});
