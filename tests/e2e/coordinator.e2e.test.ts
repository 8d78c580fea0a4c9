import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkLedger } from '../../src/ledger/ledger-service.js';
import { launchBrowser } from '../helpers/browser.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';
import { placePaidOrder } from '../helpers/orders.js';
import { householdIdOf } from '../helpers/staff.js';

/** A coordinator in a real browser: signs in, pays a household what it earned, downloads its statement. */

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
  context = await browser.newContext({ baseURL: server.url, locale: 'zh-CN', acceptDownloads: true });
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
  expect((await checkLedger(server.db)).problems).toEqual([]);
});

describe('a coordinator paying a household', () => {
  it('signs in, records a payout for 王秀兰 from her honey earnings, and downloads her statement as CSV', async () => {
    // Two honeys sold and paid: 95% of ¥136.00 is owed to 王秀兰.
    const order = await placePaidOrder(server, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    const wang = await householdIdOf(server.db, '王秀兰');

    await page.goto('/login');
    await page.getByLabel('电子邮箱').fill('coordinator@xiangyi.test');
    await page.getByLabel('密码').fill('xiangyi-demo');
    await page.getByRole('button', { name: '登录' }).click();
    await page.waitForURL(/\/coordinator$/);

    await page.getByRole('navigation', { name: '协调员后台导航' }).getByRole('link', { name: '农户结余' }).click();
    await page.waitForURL(/\/coordinator\/households$/);
    const row = page.locator(`tr[data-household-id="${wang}"]`);
    expect((await row.locator('[data-owed]').textContent())?.trim()).toBe('¥129.20');
    await row.getByRole('link', { name: '王秀兰 的明细' }).click();
    await page.waitForURL(new RegExp(`/coordinator/households/${wang}$`));
    await page.getByRole('heading', { level: 1, name: '农户：王秀兰' }).waitFor();
    expect(await page.getByRole('row', { name: new RegExp(order.number) }).count()).toBe(1);

    const form = page.getByRole('form', { name: '登记付款' });
    await form.getByLabel('付款金额（元）').fill('100');
    await form.getByLabel('付款方式').selectOption('wechat');
    await form.getByLabel('流水号 / 收据编号（可选）').fill('微信-20261126');
    expect(await form.getByLabel('付款日期').inputValue()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await form.getByRole('button', { name: '登记付款' }).click();
    await page.getByRole('status').filter({ hasText: '已登记付款 ¥100.00，账本已记账。' }).waitFor();
    expect((await page.locator('dd[data-owed]').textContent())?.trim()).toBe('¥29.20');
    expect(await page.getByRole('row', { name: /微信转账/ }).count()).toBe(1);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: '下载结算单 CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^statement-household-\d+-\d{4}-\d{2}-01-\d{4}-\d{2}-\d{2}\.csv$/);
    const bytes = await readFile((await download.path())!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').trim().split('\r\n');
    expect(lines[0]).toBe('日期,类型,订单号,商品,说明,金额（元）,结余（元）');
    expect(lines.some((l) => l.includes(`,收入,${order.number},煤窑沟土蜂蜜,订单收益分成,129.20,129.20`))).toBe(true);
    expect(lines.some((l) => /,付款,,,微信转账付款，付款日 [\d-]+，流水号 微信-20261126,-100\.00,29\.20$/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/,期末结余,,,,,29\.20$/);
    expect(problems).toEqual([]);
  });

  it('sends 王秀兰’s bank transfer in the day’s bank batch and marks it paid from the bank’s returned statement', async () => {
    await placePaidOrder(server, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    const wang = await householdIdOf(server.db, '王秀兰');
    await page.goto('/login');
    await page.getByLabel('电子邮箱').fill('coordinator@xiangyi.test');
    await page.getByLabel('密码').fill('xiangyi-demo');
    await page.getByRole('button', { name: '登录' }).click();
    await page.waitForURL(/\/coordinator$/);

    await page.goto(`/coordinator/households/${wang}`);
    const form = page.getByRole('form', { name: '登记付款' });
    await form.getByLabel('付款金额（元）').fill('20');
    await form.getByLabel('付款方式').selectOption('bank_transfer');
    await form.getByRole('button', { name: '登记付款' }).click();
    await page.getByRole('status').filter({ hasText: '已登记付款 ¥20.00' }).waitFor();
    const payoutId = server.db.sqlite.prepare('SELECT max(id) FROM payouts').pluck().get() as number;
    const reference = `XYP${String(payoutId).padStart(8, '0')}`;

    await page.getByRole('navigation', { name: '协调员后台导航' }).getByRole('link', { name: '银行批量代发' }).click();
    await page.waitForURL(/\/coordinator\/bank-batches$/);
    await page.locator(`tr[data-batch-payout="${payoutId}"]`).getByText('王秀兰').first().waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载代发文件（CSV）' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^bank-batch-\d{4}-\d{2}-\d{2}\.csv$/);
    const batch = (await readFile((await download.path())!)).toString('utf8');
    expect(batch).toContain(`,20.00,乡益农户收益 ${reference},${reference}`);

    const upload = page.getByRole('form', { name: '上传银行回单' });
    await upload.getByLabel('回单文件（CSV）').setInputFiles({
      name: 'huidan.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`业务参考号,处理状态,金额（元）\r\n${reference},成功,20.00\r\n`),
    });
    await upload.getByRole('button', { name: '上传并核对' }).click();
    await page.getByRole('status').filter({ hasText: '已记录：1 笔付出成功，0 笔失败。' }).waitFor();
    expect(await page.locator(`tr[data-batch-payout="${payoutId}"]`).count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
