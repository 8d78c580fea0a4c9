import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatFen } from '../../src/money.js';
import { launchBrowser } from '../helpers/browser.js';
import { expectLedgerSound } from '../helpers/ledger.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';

/**
 * A buyer in a real browser buys honey and tiger-head shoes by bank transfer; a coordinator, in
 * another browser, confirms the transfer; the buyer then sees which households the money went to.
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

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ baseURL: server.url, locale: 'zh-CN' });
  context.setDefaultTimeout(5_000);
  contexts.push(context);
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return page;
}

const villageName = (slug: string) => server.db.sqlite.prepare(`SELECT name_zh FROM villages WHERE slug = ?`).pluck().get(slug) as string;
const projectName = (slug: string) => server.db.sqlite.prepare(`SELECT name_zh FROM projects WHERE slug = ?`).pluck().get(slug) as string;

describe('buying by bank transfer, confirmed by a coordinator', () => {
  it('takes a buyer from the shelves to a paid order that shows where the money went', async () => {
    const buyer = await newPage();

    // Browse to the honey and put two jars in the cart.
    await buyer.goto('/');
    await buyer.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '全部商品' }).click();
    await buyer.waitForURL(/\/products$/);
    // The filters are folded into a disclosure: open it first.
    await buyer.getByText('筛选与排序').click();
    await buyer.getByLabel('分类').selectOption('honey');
    await buyer.getByRole('button', { name: '应用筛选' }).click();
    await buyer.waitForURL(/category=honey/);
    await buyer
      .getByRole('main')
      .getByRole('link', { name: /煤窑沟土蜂蜜/ })
      .click();
    await buyer.waitForURL(/\/products\/meiyaogou-honey$/);
    await buyer.getByLabel(/^数量/).fill('2');
    await buyer.getByRole('button', { name: '加入购物车' }).click();
    await buyer.waitForURL(/\/cart$/);
    await buyer.getByText('已加入购物车：煤窑沟土蜂蜜 × 2').waitFor();

    // Then a pair of tiger-head shoes, found by searching.
    const search = buyer.getByRole('search');
    await search.getByLabel('搜索商品、村庄或生产者').fill('虎头鞋');
    await search.getByRole('button', { name: '搜索' }).click();
    await buyer.waitForURL(/\/products\?q=/);
    await buyer
      .getByRole('main')
      .getByRole('link', { name: /手工虎头鞋/ })
      .click();
    await buyer.waitForURL(/\/products\/tiger-head-shoes$/);
    await buyer.getByRole('button', { name: '加入购物车' }).click();
    await buyer.waitForURL(/\/cart$/);

    // The cart: ¥136 of honey ships free from 煤窑沟村, the shoes cost ¥8 to send from 孟庄.
    expect((await buyer.locator('[data-total]').textContent())?.trim()).toBe('¥312.00');
    await buyer.getByRole('link', { name: '去结算' }).click();
    await buyer.waitForURL(/\/checkout$/);

    await buyer.getByLabel('收货人').fill('林小梅');
    await buyer.getByLabel('手机号').fill('+86 138-0013-8000');
    await buyer.getByLabel('省', { exact: true }).fill('广东省');
    await buyer.getByLabel('市', { exact: true }).fill('深圳市');
    await buyer.getByLabel('区/县').fill('南山区');
    await buyer.getByLabel('详细地址').fill('科技园南路 88 号 3 栋 1201');
    await buyer.getByLabel(/^银行转账/).check();
    await buyer.getByRole('button', { name: '核对订单' }).click();

    await buyer.getByRole('heading', { level: 1, name: '确认订单' }).waitFor();
    await buyer.getByText(/林小梅 · (\+86 )?138/).waitFor();
    expect((await buyer.locator('[data-total]').textContent())?.trim()).toBe('¥312.00');
    expect(server.db.sqlite.prepare(`SELECT count(*) FROM orders`).pluck().get()).toBe(0);
    await buyer.getByRole('button', { name: '提交订单' }).click();

    await buyer.waitForURL(/\/orders\/XY-\d{8}-\d{4}\?token=/);
    const number = /\/orders\/(XY-\d{8}-\d{4})/.exec(buyer.url())![1]!;
    await buyer.getByRole('heading', { level: 1, name: `订单 ${number}` }).waitFor();
    await buyer.getByRole('heading', { name: '付款方式：银行转账' }).waitFor();
    await buyer.getByText(`请转账 ¥312.00 到以下账户，并在附言中填写订单号 ${number}：`).waitFor();
    const facts = buyer.locator('.pay-box dl');
    for (const term of ['户名', '开户行', '账号', '转账附言']) expect(await facts.getByText(term, { exact: true }).count()).toBe(1);
    expect((await buyer.locator('[data-status]').textContent())?.trim()).toBe('待付款');
    await buyer.getByText('付款确认后，这里会显示每一元归属哪些农户和项目。').waitFor();

    // A coordinator, in another browser, confirms the transfer.
    const coordinator = await newPage();
    await coordinator.goto('/login');
    await coordinator.getByLabel('电子邮箱').fill('coordinator@xiangyi.test');
    await coordinator.getByLabel('密码').fill('xiangyi-demo');
    await coordinator.getByRole('main').getByRole('button', { name: '登录' }).click();
    await coordinator.waitForURL((url) => url.pathname !== '/login');
    await coordinator.goto(`/coordinator/orders/${number}`);
    expect((await coordinator.locator('[data-status]').textContent())?.trim()).toBe('待付款');
    await coordinator.getByLabel('银行流水号 / 转账附言').fill(`ICBC 6222 ${number}`);
    await coordinator.getByRole('button', { name: '确认收款' }).click();
    await coordinator.getByText('已确认收款，账本已记账。').waitFor();
    expect((await coordinator.locator('[data-status]').textContent())?.trim()).toBe('已付款');

    // Back with the buyer: paid, and every yuan accounted for.
    await buyer.reload();
    expect((await buyer.locator('[data-status]').textContent())?.trim()).toBe('已付款');
    expect(await buyer.getByRole('heading', { name: '付款方式：银行转账' }).count()).toBe(0);
    await buyer.getByRole('heading', { name: '这笔钱去了哪里' }).waitFor();
    const benefit = (await buyer.locator('[data-benefit] li').allTextContents()).map((t) => t.trim());
    // Honey: ¥136 × 95% to 王阿姨's household (煤窑沟产业扶贫); shoes: ¥168 × 90% to 刘大姐's (巧手绣娘).
    expect(benefit).toContain(`${formatFen(12_920)} 归 ${villageName('meiyaogou')} 的 1 户农户，通过“${projectName('meiyaogou-chanye')}”项目`);
    expect(benefit).toContain(`${formatFen(15_120)} 归 ${villageName('mengzhuang')} 的 1 户农户，通过“${projectName('qiaoshou-xiuniang')}”项目`);
    expect(benefit).toContain(`${formatFen(800)} 为运费`);
    const page = await buyer.content();
    for (const secret of ['王秀兰', '刘春梅', '13703712456', '13592617043']) expect(page).not.toContain(secret);

    await expectLedgerSound(server.db);
    expect(problems).toEqual([]);
  });
});
