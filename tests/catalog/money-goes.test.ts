import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placePaidOrder } from '../helpers/orders.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';
import { namePublicSql } from '../helpers/consent.js';

/**
 * The product page's "where the money goes": what buying it alone would credit, in the receipt's own
 * sentences (the same code divides it), households named only as they agreed to be.
 */

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestApp();
});
afterAll(async () => {
  await ctx?.close();
});

const get = (url: string) => ctx.app.inject({ method: 'GET', url });
const sqlAll = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).all(...params) as T[];
const decode = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&amp;/g, '&');
/** The sentences of a page's "where the money goes" list (data-benefit). */
const benefitOf = (html: string) => [...(/<ul data-benefit>([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '').matchAll(/<li>([^<]*)<\/li>/g)].map((m) => decode(m[1]!));
const moneySection = (html: string) => /<section class="product-text money-goes"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';

describe('where the money of a product goes', () => {
  it.each([
    ['tuyao-tea', 1],
    ['meiyaogou-honey', 1],
    ['meiyaogou-yuba', 2],
    ['tiger-head-shoes', 1],
  ])('says for %s what the benefit receipt of buying it alone says', async (slug, quantity) => {
    const page = await get(`/products/${slug}`);
    expect(page.statusCode).toBe(200);
    const shown = benefitOf(page.body);
    expect(shown.length).toBeGreaterThan(0);

    const order = await placePaidOrder(ctx, [{ slug, quantity }]);
    const code = sqlAll<{ code: string }>(`SELECT receipt_code AS code FROM orders WHERE id = ?`, order.orderId)[0]!.code;
    const receipt = await get(`/receipts/${code}`);
    expect(receipt.statusCode).toBe(200);
    expect(shown).toEqual(benefitOf(receipt.body));
  });

  it('splits 土瑶茶’s ¥560.00 into households, project fund and operations, in yuan that add up to the price', async () => {
    const shown = benefitOf((await get('/products/tuyao-tea')).body);
    expect(shown[0]).toMatch(/^¥476\.00 归 明梅村 的 4 户农户/);
    const total = shown.reduce((sum, s) => {
      const m = /^¥([\d,]+)\.(\d\d)/.exec(s);
      return m ? sum + Number(m[1]!.replace(/,/g, '')) * 100 + Number(m[2]) : sum;
    }, 0);
    expect(total).toBe(56000);
    const english = benefitOf((await get('/products/tuyao-tea?lang=en')).body);
    expect(english.join(' | ')).toMatch(/to 4 households in/);
    expect(english.join(' | ')).toContain('project fund');
    expect(english.join(' | ')).toContain('to running the platform');
  });

  it('includes the shipping of a parcel that does not ship free', async () => {
    const section = moneySection((await get('/products/meiyaogou-honey')).body);
    expect(section).toContain('单独买 1 罐，付 ¥78.00（运费：¥10.00）');
    expect(benefitOf(section)).toContain('¥10.00 为运费');
  });

  it('names no household that did not agree to be named, on any published product', async () => {
    const hidden = sqlAll<{ realName: string; displayName: string | null; slug: string }>(
      `SELECT h.real_name AS realName, h.display_name AS displayName, p.slug
         FROM households h JOIN producer_members m ON m.household_id = h.id JOIN products p ON p.producer_id = m.producer_id
        WHERE ${namePublicSql('h')} = 0 AND p.published = 1`,
    );
    expect(hidden.length).toBeGreaterThan(0);
    for (const h of hidden) {
      const page = await get(`/products/${h.slug}`);
      expect(page.body, h.slug).not.toContain(h.realName);
      if (h.displayName) expect(page.body, h.slug).not.toContain(h.displayName);
    }
  });

  it('points to the stories of the households that agreed to tell them: 王阿姨 for her honey', async () => {
    const page = await get('/products/meiyaogou-honey');
    expect(moneySection(page.body)).toContain('<a href="#story-heading">读读王阿姨的故事</a>');
    expect(page.body).toContain('王阿姨养了二十多年土蜂');
    const english = moneySection((await get('/products/meiyaogou-honey?lang=en')).body);
    expect(english).toMatch(/<a href="#story-heading">In their own words: [^<]+<\/a>/);
  });
});
