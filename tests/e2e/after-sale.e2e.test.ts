import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { anonymous, signIn } from '../helpers/auth.js';
import { seriousAxeViolations } from '../helpers/axe.js';
import { launchBrowser } from '../helpers/browser.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';

/**
 * After paying, on a 360 px phone without JavaScript: a guest opens the order's link, follows the
 * parcel on the carrier's page, reports a broken jar; the coordinator accepts it from the queue (the
 * refund form comes prefilled); the buyer reads the answer and confirms receipt.
 */

const NARROW = { width: 360, height: 740 };

let server: LiveServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

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

async function phone(javaScript = false): Promise<Page> {
  const context = await browser.newContext({ baseURL: server.url, locale: 'zh-CN', viewport: NARROW, javaScriptEnabled: javaScript });
  context.setDefaultTimeout(5_000);
  contexts.push(context);
  return context.newPage();
}

async function overflowX(page: Page): Promise<number> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document;
    return doc.documentElement.scrollWidth - doc.documentElement.clientWidth;
  });
}

/** A guest's order of two jars of honey, paid by bank transfer and shipped by SF; answers the order's private link. */
async function shippedGuestOrder(): Promise<{ number: string; link: string }> {
  const guest = anonymous(server.app);
  const productId = /name="productId" value="(\d+)"/.exec((await guest.get('/products/meiyaogou-honey')).body)![1]!;
  expect((await guest.post('/cart/items', { productId, quantity: '2' }, { csrfFrom: '/products/meiyaogou-honey' })).statusCode).toBe(303);
  const placed = await guest.post(
    '/checkout',
    { name: '林小梅', phone: '13800138000', province: '广东省', city: '深圳市', district: '南山区', address: '科技园南路 88 号', paymentMethod: 'offline' },
    { csrfFrom: '/cart' },
  );
  const link = String(placed.headers.location);
  const number = /\/orders\/(XY-\d{8}-\d{4})/.exec(link)![1]!;
  const coordinator = await signIn(server.app, 'coordinator@xiangyi.test');
  expect((await coordinator.post(`/coordinator/orders/${number}/mark-paid`, { reference: `ICBC ${number}` }, { csrfFrom: '/coordinator' })).statusCode).toBe(
    303,
  );
  const secretary = await signIn(server.app, 'secretary.meiyaogou@xiangyi.test');
  expect((await secretary.post(`/secretary/orders/${number}/ship`, { carrier: '顺丰速运', trackingNumber: 'SF1234567890' })).statusCode).toBe(303);
  return { number, link };
}

describe('after paying, on a 360 px phone without JavaScript', () => {
  it('follows the parcel, asks for a refund that a coordinator accepts, and confirms receipt', { timeout: 90_000 }, async () => {
    const { number, link } = await shippedGuestOrder();
    const buyer = await phone();
    await buyer.goto(link);

    // The waybill links to SF's own tracking page.
    const tracking = buyer.locator('a[data-tracking]');
    expect(await tracking.getAttribute('href')).toBe('https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF1234567890');
    expect((await tracking.textContent())?.trim()).toBe('SF1234567890');
    expect(await overflowX(buyer)).toBe(0);
    // axe runs in the page, so it looks from a browser with JavaScript on.
    const checker = await phone(true);
    await checker.goto(link);
    expect(await seriousAxeViolations(checker)).toEqual([]);

    // A jar arrived broken: a refund request with a reason, a note and the amount.
    const form = buyer.locator('form[action$="/requests"]');
    await form.getByLabel('申请退款', { exact: true }).check();
    await form.getByLabel('原因').selectOption({ label: '商品破损' });
    await form.getByLabel('情况说明').fill('一瓶蜂蜜在路上摔碎了。');
    await form.getByLabel(/申请退款金额/).fill('68');
    await form.getByRole('button', { name: '提交申请' }).click();
    await buyer.getByText('申请已提交。').waitFor();
    await buyer.getByText('您的申请正在等待协调员答复').waitFor();
    expect(await buyer.locator('form[action$="/requests"]').count()).toBe(0);

    // The coordinator, on their phone, answers from the queue.
    const coordinator = await phone(true);
    await coordinator.goto('/login');
    await coordinator.getByLabel('电子邮箱').fill('coordinator@xiangyi.test');
    await coordinator.getByLabel('密码').fill('xiangyi-demo');
    await coordinator.getByRole('main').getByRole('button', { name: '登录' }).click();
    await coordinator.waitForURL((url) => url.pathname !== '/login');
    await coordinator.goto('/coordinator/requests');
    const request = coordinator.locator('[data-request]').filter({ hasText: number });
    await request.getByText('一瓶蜂蜜在路上摔碎了。').waitFor();
    expect(await overflowX(coordinator)).toBe(0);
    expect(await seriousAxeViolations(coordinator)).toEqual([]);
    await request.getByLabel('给买家的答复').fill('抱歉，为您退一瓶的钱。');
    await request.getByRole('button', { name: '同意并去退款' }).click();
    await coordinator.waitForURL(new RegExp(`/coordinator/orders/${number}\\?request=\\d+`));
    // The refund form, filled in from the request; nothing is refunded until it is confirmed.
    expect(await coordinator.getByLabel('退款金额（元）').inputValue()).toBe('68.00');

    // The buyer reads the answer, then confirms the parcel arrived.
    await buyer.reload();
    await buyer.getByText('协调员答复：抱歉，为您退一瓶的钱。').waitFor();
    await buyer.getByRole('button', { name: '确认收货' }).click();
    await buyer.getByText('已确认收货，谢谢您对乡村农户的支持！').waitFor();
    expect((await buyer.locator('[data-status]').textContent())?.trim()).toBe('已完成');
    expect(await buyer.getByRole('button', { name: '确认收货' }).count()).toBe(0);
    expect(await overflowX(buyer)).toBe(0);
  });
});
