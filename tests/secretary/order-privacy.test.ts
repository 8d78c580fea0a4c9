import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, type TestBrowser } from '../helpers/auth.js';
import { placePaidOrder, type PaidOrder } from '../helpers/orders.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * A buyer's note (and address) reaches only the shippers of the order's lines: each secretary of
 * a village with a line in the order sees it with their own lines, never another village's lines;
 * a secretary with no line in the order sees none of it.
 */

const NOTE = '虎头鞋要 18 码的，谢谢';

let ctx: TestContext;
let mixed: PaidOrder; // tiger-head shoes (孟庄村) and honey (煤窑沟村)
let shoesOnly: PaidOrder;
const browsers = new Map<string, TestBrowser>();

beforeAll(async () => {
  ctx = await createTestApp();
  mixed = await placePaidOrder(
    ctx,
    [
      { slug: 'tiger-head-shoes', quantity: 1 },
      { slug: 'meiyaogou-honey', quantity: 1 },
    ],
    { note: NOTE },
  );
  shoesOnly = await placePaidOrder(ctx, [{ slug: 'tiger-head-shoes', quantity: 2 }], { note: '鞋子只要一双红的' });
});
afterAll(async () => {
  await ctx?.close();
});

async function secretary(slug: string): Promise<TestBrowser> {
  let browser = browsers.get(slug);
  if (!browser) {
    browser = await signIn(ctx.app, `secretary.${slug}@xiangyi.test`);
    browsers.set(slug, browser);
  }
  return browser;
}
const get = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).get(...params) as T;
const villageId = (slug: string) => get<{ id: number }>(`SELECT id FROM villages WHERE slug = ?`, slug).id;
const title = (slug: string) => get<{ title: string }>(`SELECT title_zh AS title FROM products WHERE slug = ?`, slug).title;

describe('the buyer’s note and address on the secretaries’ parcels', () => {
  it('reach the secretary of 孟庄村, whose tiger-head shoes the note is about, with only their own lines', async () => {
    const page = (await (await secretary('mengzhuang')).get('/secretary/orders')).body;
    expect(page).toContain(`<h2>${mixed.number}</h2>`);
    expect(page).toContain(NOTE);
    expect(page).toContain('深南大道 1 号');
    expect(page).toContain(title('tiger-head-shoes'));
    expect(page).not.toContain(title('meiyaogou-honey'));
    const slip = await (await secretary('mengzhuang')).get(`/secretary/orders/${mixed.number}/packing-slip`);
    expect(slip.statusCode).toBe(200);
    expect(slip.body).toContain(NOTE);
    expect(slip.body).not.toContain(title('meiyaogou-honey'));
  });

  it('reach the secretary of each other village with a line in the order, without the other village’s lines', async () => {
    const page = (await (await secretary('meiyaogou')).get('/secretary/orders')).body;
    expect(page).toContain(`<h2>${mixed.number}</h2>`);
    expect(page).toContain(NOTE);
    expect(page).toContain(title('meiyaogou-honey'));
    expect(page).not.toContain(title('tiger-head-shoes'));
    // An order with no line from 煤窑沟村 is not theirs at all.
    expect(page).not.toContain(shoesOnly.number);
    expect(page).not.toContain('鞋子只要一双红的');
  });

  it('never reach a secretary with no line in the order: not on the list, not on a packing slip', async () => {
    const gulou = await secretary('gulou');
    const page = (await gulou.get('/secretary/orders')).body;
    for (const hidden of [mixed.number, shoesOnly.number, NOTE, '鞋子只要一双红的', '深南大道 1 号', '13800138000']) expect(page).not.toContain(hidden);
    for (const village of ['gulou', 'mengzhuang', 'meiyaogou']) {
      const slip = await gulou.get(`/secretary/orders/${mixed.number}/packing-slip?village=${villageId(village)}`);
      expect(slip.statusCode, `packing slip of ${village}`).toBe(404);
      expect(slip.body).not.toContain(NOTE);
    }
  });

  it('keeps another village’s parcel of the same order closed to a secretary who has a line in it', async () => {
    const slip = await (await secretary('meiyaogou')).get(`/secretary/orders/${mixed.number}/packing-slip?village=${villageId('mengzhuang')}`);
    expect(slip.statusCode).toBe(404);
    expect(slip.body).not.toContain(title('tiger-head-shoes'));
  });
});
