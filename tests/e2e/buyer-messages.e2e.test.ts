import type { ParsedMail } from 'mailparser';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatFen } from '../../src/money.js';
import { trackingLink } from '../../src/notifications/order-notices.js';
import { seriousAxeViolations } from '../helpers/axe.js';
import { launchBrowser } from '../helpers/browser.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';
import { testConfig } from '../helpers/test-app.js';

/**
 * A new buyer on a 360 px phone hears from the shop by e-mail at every step: registers and
 * verifies the address by the link in the message, orders by bank transfer and is e-mailed the
 * bank details, then is told when a coordinator confirms the payment and when the village's first
 * secretary ships the parcel, with the carrier and tracking number. The e-mail is read from a real
 * SMTP server on loopback (smtp-server, parsed by mailparser), delivered by the app's outbox worker.
 */

const NARROW = { width: 360, height: 740 };
const PUBLIC_URL = 'https://shop.xiangyi.test';
const EMAIL = 'lin.xiaomei@example.test';
const PASSWORD = 'honey-from-meiyaogou-2026';

let smtp: TestSmtpServer;
/** The live server's environment (its bank details are the configured defaults). */
let serverEnv: Record<string, string>;
let server: LiveServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Console errors and uncaught exceptions in any page (a CSP violation shows up here too). */
const problems: string[] = [];

beforeAll(async () => {
  smtp = await startSmtpServer();
  serverEnv = { SMTP_URL: smtp.url, PUBLIC_URL };
  [server, browser] = await Promise.all([startLiveServer({ env: serverEnv }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await smtp?.close();
});
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});

async function newPage(viewport?: { width: number; height: number }): Promise<Page> {
  const context = await browser.newContext({ baseURL: server.url, locale: 'zh-CN', ...(viewport ? { viewport } : {}) });
  context.setDefaultTimeout(5_000);
  contexts.push(context);
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return page;
}

/** How far the page is wider than the screen (0: no sideways scroll). */
async function overflowX(page: Page): Promise<number> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document;
    return doc.documentElement.scrollWidth - doc.documentElement.clientWidth;
  });
}

/** The phone page as drawn now: nothing scrolls sideways and axe finds nothing serious. */
async function expectFitsThePhone(page: Page): Promise<void> {
  expect(await overflowX(page), page.url()).toBe(0);
  expect(await seriousAxeViolations(page), page.url()).toEqual([]);
}

/** Runs the outbox worker once and returns the e-mail the SMTP server received to `to` in that pass. */
async function deliverTo(to: string): Promise<ParsedMail[]> {
  const before = smtp.received.length;
  await server.app.outboxWorker.runOnce();
  return smtp.received.slice(before).filter((mail) => recipientOf(mail) === to);
}

const recipientOf = (mail: ParsedMail) => (Array.isArray(mail.to) ? mail.to[0]?.text : mail.to?.text) ?? '';

/** The one link in the message's plain text that starts with `prefix`, as a path for the browser. */
function linkIn(mail: ParsedMail, prefix: string): string {
  const found = new RegExp(`${prefix.replace(/[.?]/g, '\\$&')}[^\\s"<>]*`).exec(mail.text ?? '')?.[0];
  if (!found) throw new Error(`no link ${prefix} in “${mail.subject}”`);
  const url = new URL(found);
  return `${url.pathname}${url.search}`;
}

// Four people's pages, each checked on the phone by axe: longer than one page's test.
describe('a new buyer hears from the shop by e-mail', () => {
  it('registers by the e-mailed link, is e-mailed the bank details, then told of the payment and of the parcel with its tracking', {
    timeout: 90_000,
  }, async () => {
    const buyer = await newPage(NARROW);

    // Registration: the form sends a message; the account exists only once its link is followed.
    await buyer.goto('/register');
    await expectFitsThePhone(buyer);
    await buyer.getByLabel('电子邮箱').fill(EMAIL);
    await buyer.getByLabel('称呼').fill('林小梅');
    await buyer.getByLabel('密码', { exact: true }).fill(PASSWORD);
    await buyer.getByLabel('再输入一次密码').fill(PASSWORD);
    await buyer.getByRole('main').getByRole('button', { name: '注册' }).click();
    await buyer.locator('#register-sent').waitFor();
    await expectFitsThePhone(buyer);
    expect(server.db.sqlite.prepare(`SELECT count(*) FROM users WHERE email = ?`).pluck().get(EMAIL)).toBe(0);

    const [welcome, ...moreWelcome] = await deliverTo(EMAIL);
    expect(moreWelcome).toHaveLength(0);
    expect(welcome!.subject).toBe('确认注册乡益账号');
    expect(welcome!.text).toContain('请点击下面的按钮完成注册');
    const confirmLink = linkIn(welcome!, `${PUBLIC_URL}/register/confirm?token=`);
    // The button of the HTML body carries the same link.
    expect(welcome!.html).toContain(`${PUBLIC_URL}/register/confirm?token&#x3D;${new URL(confirmLink, PUBLIC_URL).searchParams.get('token')}`);

    await buyer.goto(confirmLink);
    await expectFitsThePhone(buyer);
    await buyer.getByRole('button', { name: '创建账号并登录' }).click();
    await buyer.waitForURL((url) => url.pathname === '/');
    expect(server.db.sqlite.prepare(`SELECT role FROM users WHERE email = ?`).pluck().get(EMAIL)).toBe('buyer');

    // Two jars of honey, paid by bank transfer.
    await buyer.goto('/products/meiyaogou-honey');
    await buyer.getByLabel(/^数量/).fill('2');
    await buyer.getByRole('button', { name: '加入购物车', exact: true }).click();
    await buyer.waitForURL(/\/cart$/);
    await buyer.getByRole('link', { name: '去结算' }).click();
    await buyer.waitForURL(/\/checkout$/);
    await expectFitsThePhone(buyer);
    await buyer.getByLabel('收货人').fill('林小梅');
    await buyer.getByLabel('手机号').fill('13800138000');
    await buyer.getByLabel('省', { exact: true }).fill('广东省');
    await buyer.getByLabel('市', { exact: true }).fill('深圳市');
    await buyer.getByLabel('区/县').fill('南山区');
    await buyer.getByLabel('详细地址').fill('科技园南路 88 号 3 栋 1201');
    await buyer.getByLabel(/^银行转账/).check();
    await buyer.getByRole('button', { name: '核对订单' }).click();
    await buyer.getByRole('heading', { level: 1, name: '确认订单' }).waitFor();
    await buyer.getByRole('button', { name: '提交订单' }).click();
    await buyer.waitForURL(/\/orders\/XY-\d{8}-\d{4}\?token=/);
    const number = /\/orders\/(XY-\d{8}-\d{4})/.exec(buyer.url())![1]!;
    await expectFitsThePhone(buyer);
    const { totalFen } = server.db.sqlite.prepare(`SELECT total_fen AS totalFen FROM orders WHERE number = ?`).get(number) as { totalFen: number };
    const { bank } = testConfig(serverEnv);

    // The bank details by e-mail, with a link that opens the order.
    const [placed, ...morePlaced] = await deliverTo(EMAIL);
    expect(morePlaced).toHaveLength(0);
    expect(placed!.subject).toBe(`订单 ${number} 已提交`);
    expect(placed!.text).toContain('林小梅，您好：');
    expect(placed!.text).toContain(`请通过银行转账支付，并在附言中填写订单号 ${number}。`);
    expect(placed!.text).toContain(`应付金额: ${formatFen(totalFen)}`);
    expect(placed!.text).toContain(`户名: ${bank.accountName}`);
    expect(placed!.text).toContain(`开户行: ${bank.bankName}`);
    expect(placed!.text).toContain(`账号: ${bank.accountNumber}`);
    expect(placed!.text).toContain(`转账附言: ${number}`);
    expect(placed!.text).toContain('煤窑沟土蜂蜜');
    expect(placed!.html).toContain(bank.accountNumber);
    await buyer.goto(linkIn(placed!, `${PUBLIC_URL}/orders/${number}?token=`));
    await buyer.getByRole('heading', { level: 1, name: `订单 ${number}` }).waitFor();
    expect((await buyer.locator('[data-status]').textContent())?.trim()).toBe('待付款');

    // A coordinator, at a desk, confirms the transfer: the buyer is told it is paid.
    const coordinator = await newPage();
    await coordinator.goto('/login');
    await coordinator.getByLabel('电子邮箱').fill('coordinator@xiangyi.test');
    await coordinator.getByLabel('密码').fill('xiangyi-demo');
    await coordinator.getByRole('main').getByRole('button', { name: '登录' }).click();
    await coordinator.waitForURL((url) => url.pathname !== '/login');
    await coordinator.goto(`/coordinator/orders/${number}`);
    await coordinator.getByLabel('银行流水号 / 转账附言').fill(`ICBC 6222 ${number}`);
    await coordinator.getByRole('button', { name: '确认收款' }).click();
    await coordinator.getByText('已确认收款，账本已记账。').waitFor();

    const [paid, ...morePaid] = await deliverTo(EMAIL);
    expect(morePaid).toHaveLength(0);
    expect(paid!.subject).toBe(`订单 ${number} 已付款`);
    expect(paid!.text).toContain(`我们已收到订单 ${number} 的付款 ${formatFen(totalFen)}。村里的第一书记会尽快发货。`);
    expect(paid!.text).toContain(`已付金额: ${formatFen(totalFen)}`);

    // The first secretary of 煤窑沟村 ships the parcel: the buyer gets the carrier and the tracking.
    const secretary = await newPage();
    await secretary.goto('/login');
    await secretary.getByLabel('电子邮箱').fill('secretary.meiyaogou@xiangyi.test');
    await secretary.getByLabel('密码').fill('xiangyi-demo');
    await secretary.getByRole('main').getByRole('button', { name: '登录' }).click();
    await secretary.waitForURL((url) => url.pathname !== '/login');
    await secretary.goto('/secretary/orders');
    const parcel = secretary.locator('li.parcel').filter({ has: secretary.getByRole('heading', { name: number }) });
    await parcel.getByLabel('快递公司').fill('顺丰速运');
    await parcel.getByLabel('快递单号').fill('SF1234567890');
    await parcel.getByRole('button', { name: '发货' }).click();
    await secretary.getByText('已登记发货。').waitFor();

    const [shipped, ...moreShipped] = await deliverTo(EMAIL);
    expect(moreShipped).toHaveLength(0);
    expect(shipped!.subject).toBe(`订单 ${number} 已发货`);
    expect(shipped!.text).toContain(`您订单 ${number} 中来自煤窑沟村的包裹已发出。`);
    expect(shipped!.text).toContain('快递公司: 顺丰速运');
    expect(shipped!.text).toContain('运单号: SF1234567890');
    expect(shipped!.text).toContain(trackingLink('顺丰速运', 'SF1234567890'));

    await buyer.reload();
    expect((await buyer.locator('[data-status]').textContent())?.trim()).toBe('已发货');
    await expectFitsThePhone(buyer);

    // Each message went once: nothing more is waiting for the buyer.
    expect(await deliverTo(EMAIL)).toHaveLength(0);
    expect(server.db.sqlite.prepare(`SELECT count(*) FROM outbox_messages WHERE recipient = ? AND status = 'sent'`).pluck().get(EMAIL)).toBe(4);
    expect(problems).toEqual([]);
  });
});
