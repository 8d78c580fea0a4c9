import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';

/**
 * A trade union's buyer in a real browser asks for a price on 120 kg of 土瑶茶; the first secretary
 * of 明梅村, in another browser, offers ¥480/kg; the buyer accepts and gets an order at that price
 * with the union's invoice details.
 */

let server: LiveServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Console errors and uncaught exceptions in any page (a CSP violation shows up here too). */
const problems: string[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startLiveServer(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});

async function signedIn(email: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: server.url, locale: 'zh-CN' });
  context.setDefaultTimeout(5_000);
  contexts.push(context);
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.goto('/login');
  const form = page.getByRole('main');
  await form.getByLabel('电子邮箱').fill(email);
  await form.getByLabel('密码').fill('xiangyi-demo');
  await form.getByRole('button', { name: '登录' }).click();
  await page.waitForURL((url) => url.pathname !== '/login');
  return page;
}

/** YYYY-MM-DD a week from now in China Standard Time. */
const inAWeek = () => new Date(Date.now() + 7 * 24 * 3_600_000 + 8 * 3_600_000).toISOString().slice(0, 10);

describe('an organisation buys in bulk at a quoted price', () => {
  it('requests a quote from the product page, the secretary answers, and the buyer accepts it as an order', async () => {
    const buyer = await signedIn('org@xiangyi.test');
    await buyer.goto('/products/tuyao-tea');
    const quoteForm = buyer.getByRole('region', { name: '单位批量采购' });
    await quoteForm.getByLabel('数量（公斤）').fill('120');
    await quoteForm.getByLabel('备注（可选）').fill('中秋慰问品，十月初到货');
    await quoteForm.getByRole('button', { name: '询价' }).click();
    await buyer.waitForURL(/\/account\/organization/);
    await buyer.getByText('询价已提交，第一书记答复后会显示在这里。').waitFor();
    const row = buyer.locator('[data-quotes] tr[data-quote-id]').first();
    expect(await row.getAttribute('data-status')).toBe('requested');
    expect(await row.textContent()).toContain('120 公斤');

    const secretary = await signedIn('secretary.gulou@xiangyi.test');
    await secretary.getByRole('navigation', { name: '村务后台导航' }).getByRole('link', { name: '询价' }).click();
    await secretary.waitForURL(/\/secretary\/quotes$/);
    const request = secretary.locator('[data-quotes] li[data-status="requested"]').first();
    expect(await request.textContent()).toContain('深圳市福田区总工会');
    await request.getByLabel('单价（元）').fill('480');
    await request.getByLabel('报价有效至').fill(inAWeek());
    await request.getByRole('button', { name: '报价', exact: true }).click();
    await secretary.getByText('已报价。').waitFor();

    await buyer.reload();
    await buyer.getByText('¥480.00/公斤').waitFor();
    await buyer.getByRole('link', { name: '接受报价' }).click();
    await buyer.waitForURL(/\/account\/organization\/quotes\/\d+$/);
    expect((await buyer.locator('[data-goods-total]').textContent())?.trim()).toBe('¥57,600.00');
    expect(await buyer.getByLabel('发票抬头').inputValue()).toBe('深圳市福田区总工会');
    await buyer.getByLabel('手机号').fill('13900139000');
    await buyer.getByLabel('省', { exact: true }).fill('广东省');
    await buyer.getByLabel('市', { exact: true }).fill('深圳市');
    await buyer.getByLabel('区/县').fill('福田区');
    await buyer.getByLabel('详细地址').fill('福华三路 88 号');
    await buyer.getByRole('button', { name: '按报价下单' }).click();

    await buyer.waitForURL(/\/orders\/XY-\d{8}-\d{4}\?token=/);
    const number = /\/orders\/(XY-\d{8}-\d{4})/.exec(buyer.url())![1]!;
    await buyer.getByText(`已按报价下单：${number}。`).waitFor();
    expect((await buyer.locator('[data-total]').textContent())?.trim()).toBe('¥57,600.00');
    await buyer.getByText(`请转账 ¥57,600.00 到以下账户，并在附言中填写订单号 ${number}：`).waitFor();
    const invoice = server.db.sqlite
      .prepare(`SELECT ir.title FROM invoice_requests ir JOIN orders o ON o.id = ir.order_id WHERE o.number = ?`)
      .pluck()
      .get(number);
    expect(invoice).toBe('深圳市福田区总工会');

    await buyer.goto('/account/organization');
    expect(await buyer.locator('[data-quotes] tr[data-quote-id]').first().getAttribute('data-status')).toBe('accepted');
    await expectLedgerSound(server.db);
    expect(problems).toEqual([]);
  });
});
