import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';

/**
 * A household withdraws its consent: its first secretary records the withdrawal on a 360 px phone
 * without JavaScript, and the household's name and story leave the product page at once.
 */

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
beforeEach(async () => {
  context = await browser.newContext({ baseURL: server.url, locale: 'zh-CN', viewport: { width: 360, height: 740 }, javaScriptEnabled: false });
  context.setDefaultTimeout(5_000);
  page = await context.newPage();
});
afterEach(async () => {
  await context?.close();
});

describe('a household withdrawing its consent', () => {
  it('is recorded by its secretary on a phone without JavaScript, and disappears from the product page at once', async () => {
    const visitor = await browser.newContext({ baseURL: server.url, locale: 'zh-CN' });
    try {
      const shop = await visitor.newPage();
      await shop.goto('/products/tuyao-tea');
      expect(await shop.locator('main').textContent()).toContain('盘大姐');

      await page.goto('/login');
      const form = page.getByRole('main');
      await form.getByLabel('电子邮箱').fill('secretary.gulou@xiangyi.test');
      await form.getByLabel('密码').fill('xiangyi-demo');
      await form.getByRole('button', { name: '登录' }).click();
      await page.waitForURL(/\/secretary$/);
      await page.getByRole('navigation', { name: '村务后台导航' }).getByRole('link', { name: '农户' }).click();
      await page.getByRole('link', { name: '编辑 盘桂英' }).click();
      await page.getByRole('heading', { level: 2, name: '公开同意记录' }).waitFor();
      await page.getByRole('link', { name: '撤回全部同意' }).click();
      await page.getByRole('heading', { level: 1, name: '撤回同意：盘桂英' }).waitFor();

      // Forgetting the witness: the form comes back with its message and what was chosen.
      await page.getByLabel('口头撤回，有见证人').check();
      await page.getByRole('button', { name: '撤回全部同意' }).click();
      await page.getByText('口头同意或撤回时请填写见证人姓名。').waitFor();
      expect(await page.getByLabel('口头撤回，有见证人').isChecked()).toBe(true);

      await page.getByLabel('见证人姓名').fill('村委会凤委员');
      await page.getByRole('button', { name: '撤回全部同意' }).click();
      await page.waitForURL(/\/secretary\/households\/\d+#consent$/);
      await page.getByRole('status').filter({ hasText: '已记录撤回，公开页面不再展示这户。' }).waitFor();
      expect(await page.locator('[data-consent-now]').textContent()).toBe('现在不公开任何内容。');
      // Nothing on the page is wider than the phone.
      const overflow = await page.evaluate(() => {
        const doc = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document;
        return doc.documentElement.scrollWidth - doc.documentElement.clientWidth;
      });
      expect(overflow).toBe(0);

      await shop.goto('/products/tuyao-tea');
      const text = (await shop.locator('main').textContent()) ?? '';
      expect(text).not.toContain('盘大姐');
      expect(text).toMatch(/明梅村 的 4 户农户/);
    } finally {
      await visitor.close();
    }
  });
});
