import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatFen } from '../../src/money.js';
import { anonymous, signIn } from '../helpers/auth.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * The public read API for partners: villages, projects, impact figures, receipts and wishes next to
 * the products, with the same figures and the same disclosure rules as the pages; page sizes chosen
 * by the caller within limits; ETags with 304; CORS on /api/v1 only.
 */

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => ctx.close());

const get = (url: string, headers: Record<string, string> = {}) => ctx.app.inject({ method: 'GET', url, headers });
const json = async <T>(url: string) => {
  const res = await get(url);
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return res.json<T>();
};
const one = <T>(sql: string, ...params: unknown[]) =>
  ctx.db.sqlite
    .prepare(sql)
    .pluck()
    .get(...params) as T;

/** The figures a page shows, by their data-figure names. */
function shownFigures(html: string): Record<string, string> {
  return Object.fromEntries([...html.matchAll(/<dd data-figure="([a-z-]+)">([^<]*)<\/dd>/g)].map((m) => [m[1]!, m[2]!]));
}

interface Figures {
  money: { sales: string; credited: string; paidOut: string; creditedFen: number } | null;
  households: number;
}

/** The figures as a page would show them: the money, or "withheld". */
const asShown = (f: Figures) =>
  f.money
    ? { sales: f.money.sales, credited: f.money.credited, 'paid-out': f.money.paidOut }
    : { withheld: '为保护农户隐私，这里的金额不单独公布，只计入更大的合计。' };
interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  total: number;
  pages: number;
}

describe('page sizes', () => {
  it('gives the caller the page size asked for, from 1 to 100, and counts the pages by it', async () => {
    const all = await json<Page<{ slug: string }>>('/api/v1/products?pageSize=100');
    expect(all.items.length).toBe(all.total);
    const small = await json<Page<{ slug: string }>>('/api/v1/products?pageSize=5&page=2');
    expect(small).toMatchObject({ page: 2, pageSize: 5, total: all.total, pages: Math.ceil(all.total / 5) });
    expect(small.items.map((p) => p.slug)).toEqual(all.items.slice(5, 10).map((p) => p.slug));
    // The default stays the page the shop shows.
    expect((await json<Page<unknown>>('/api/v1/products')).pageSize).toBe(12);
    expect((await json<Page<unknown>>('/api/v1/villages?pageSize=2')).items).toHaveLength(2);
  });

  it.each(['0', '101', 'ten', '-5'])('refuses pageSize=%s with a 400 that names it', async (size) => {
    const res = await get(`/api/v1/villages?pageSize=${size}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'invalid_query' } });
    expect(res.json<{ error: { message: string } }>().error.message).toContain('pageSize');
  });

  it('answers a page past the end with 404 and how many pages there are', async () => {
    const res = await get('/api/v1/projects?pageSize=100&page=2');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'page_out_of_range' } });
  });
});

describe('villages, projects and impact', () => {
  it('give the same figures as the village and project pages, from the ledger', async () => {
    await placePaidOrder(ctx, [{ slug: 'xiaoji-eggs-dozen', quantity: 3 }]);
    const villages = await json<Page<{ slug: string; url: string }>>('/api/v1/villages?pageSize=100');
    expect(villages.total).toBe(one<number>('SELECT count(*) FROM villages'));
    for (const v of villages.items) {
      const api = await json<{ figures: Figures & { producers: number } }>(`/api/v1/villages/${v.slug}`);
      const page = shownFigures((await get(v.url)).body);
      expect({ ...asShown(api.figures), households: String(api.figures.households), producers: String(api.figures.producers) }).toEqual(page);
    }
    const projects = await json<Page<{ slug: string; url: string }>>('/api/v1/projects');
    for (const p of projects.items) {
      const api = await json<{ figures: Figures; split: unknown }>(`/api/v1/projects/${p.slug}`);
      const page = shownFigures((await get(p.url)).body);
      expect(page).toMatchObject(asShown(api.figures));
    }
    const xiaoji = await json<{ figures: Figures; split: { householdBp: number; projectFundBp: number; operationsBp: number } | null }>(
      '/api/v1/projects/xiaoji-kuaipao',
    );
    expect(xiaoji.figures.money!.creditedFen).toBeGreaterThan(0);
    expect(xiaoji.split!.householdBp + xiaoji.split!.projectFundBp + xiaoji.split!.operationsBp).toBe(10000);
  });

  it('name households in impact figures only with consent, in groups of three or more and never with amounts, and withhold what /impact withholds', async () => {
    await placePaidOrder(ctx, [{ slug: 'xiaoji-eggs-dozen', quantity: 3 }]);
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    type Scope = { slug: string; url: string; figures: Figures; households: { named: string[]; unnamed: number } | null };
    const impact = await json<{ shop: Figures; projects: Scope[]; villages: Scope[] }>('/api/v1/impact');
    const html = (await get('/impact')).body;
    const xiaoji = impact.projects.find((p) => p.slug === 'xiaoji-kuaipao')!;
    expect(xiaoji.households).toEqual({ named: ['陈阿婆', '杨大叔', '周大哥'], unnamed: 1 });
    for (const n of xiaoji.households!.named) expect(html).toContain(`<li>${n}</li>`);
    // One household credited in 煤窑沟: no figure and no name; 王阿姨 agreed to be named, but alone she would be singled out.
    const meiyaogou = impact.projects.find((p) => p.slug === 'meiyaogou-chanye')!;
    expect(meiyaogou.figures).toEqual({ money: null, households: 1 });
    expect(meiyaogou.households).toBeNull();
    // Whatever /impact withholds, the API withholds.
    for (const scope of [...impact.projects, ...impact.villages]) {
      const section = html.slice(html.indexOf(`<h3><a href="${scope.url}">`));
      expect(shownFigures(section.slice(0, section.indexOf('</section>')))).toMatchObject(asShown(scope.figures));
    }
    expect(JSON.stringify(impact)).not.toContain('王阿姨');
    for (const scope of [...impact.projects, ...impact.villages]) if (scope.figures.households < 3) expect(scope.households).toBeNull();
    expect(shownFigures(html.slice(0, html.indexOf('<h2 id="impact-projects">')))).toMatchObject(asShown(impact.shop));
  });
});

describe('receipts', () => {
  it('say where the money of a purchase went, as the receipt page does, and nothing about the buyer', async () => {
    const order = await placePaidOrder(ctx, [{ slug: 'xiaoji-eggs-dozen', quantity: 3 }]);
    const code = one<string>('SELECT receipt_code FROM orders WHERE id = ?', order.orderId);
    const res = await get(`/api/v1/receipts/${code}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('private, no-cache');
    const receipt = res.json<{
      paid: boolean;
      benefit: { households: { village: { slug: string }; amountFen: number; count: number; names: string[] | null }[] };
      posting: { hash: string };
      payouts: { state: string }[];
    }>();
    expect(receipt.paid).toBe(true);
    const credited = -one<number>(
      `SELECT sum(e.amount_fen) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'household_payable' JOIN ledger_transactions t ON t.id = e.transaction_id WHERE t.order_id = ?`,
      order.orderId,
    );
    expect(receipt.benefit.households).toEqual([
      {
        village: { slug: 'shibantan', name: '石板滩村' },
        project: { slug: 'xiaoji-kuaipao', name: '小鸡快跑' },
        amountFen: credited,
        amount: formatFen(credited),
        count: 4,
        names: ['周大哥', '陈阿婆', '杨大叔'],
      },
    ]);
    expect(receipt.payouts.map((p) => p.state)).toEqual(['not_yet']);
    expect(receipt.posting.hash).toBe(one<string>(`SELECT hash FROM ledger_transactions WHERE idempotency_key = ?`, `order-paid:${order.orderId}`));
    for (const value of ['林晓', '13800138000', '深南大道', order.number]) expect(res.body).not.toContain(value);
  });

  it('are not found for an unknown or malformed code', async () => {
    for (const code of ['ABCDEFGHJK', 'abc', '0000000000']) expect((await get(`/api/v1/receipts/${code}`)).statusCode).toBe(404);
  });
});

describe('wishes', () => {
  it('list the open wishes and the recently claimed ones, as the wish board does', async () => {
    const open = await json<Page<{ id: number; status: string; childName: string }>>('/api/v1/wishes?pageSize=100');
    expect(open.items.length).toBeGreaterThan(0);
    expect(open.items.every((w) => w.status === 'open')).toBe(true);
    const board = (await get('/wishes')).body;
    for (const w of open.items) expect(board).toContain(`href="/wishes/${w.id}"`);
    const fulfilled = await json<Page<{ status: string }>>('/api/v1/wishes?status=fulfilled');
    expect(fulfilled.items.every((w) => w.status !== 'open')).toBe(true);
    expect((await get('/api/v1/wishes?status=cancelled')).statusCode).toBe(400);
  });

  it('do not show a cancelled wish', async () => {
    const id = one<number>(`SELECT id FROM wishes WHERE status = 'open' LIMIT 1`);
    expect((await get(`/api/v1/wishes/${id}`)).statusCode).toBe(200);
    ctx.db.sqlite.prepare(`UPDATE wishes SET status = 'cancelled' WHERE id = ?`).run(id);
    expect((await get(`/api/v1/wishes/${id}`)).statusCode).toBe(404);
  });
});

describe('ETags', () => {
  it('answer a repeated request with 304 and no body while nothing changed, and in full once it did', async () => {
    for (const url of ['/api/v1/products?pageSize=3', '/api/v1/villages/gulou', '/api/v1/impact', '/api/v1/wishes', '/api/v1/openapi.json']) {
      const first = await get(url);
      const etag = String(first.headers.etag);
      expect(etag, url).toMatch(/^W\/".+"$/);
      const again = await get(url, { 'if-none-match': etag });
      expect(again.statusCode, url).toBe(304);
      expect(again.body).toBe('');
    }
    const first = await get('/api/v1/products/meiyaogou-honey');
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    const changed = await get('/api/v1/products/meiyaogou-honey', { 'if-none-match': String(first.headers.etag) });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(first.headers.etag);
  });

  it('are given to a signed-in caller (no page cache) and on receipts too', async () => {
    const buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
    const first = await buyer.get('/api/v1/projects');
    expect(first.headers.etag).toBeDefined();
    const order = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    const url = `/api/v1/receipts/${one<string>('SELECT receipt_code FROM orders WHERE id = ?', order.orderId)}`;
    const receipt = await get(url);
    expect((await get(url, { 'if-none-match': String(receipt.headers.etag) })).statusCode).toBe(304);
    expect((await get(url, { 'if-none-match': 'W/"something-else"' })).statusCode).toBe(200);
  });
});

describe('CORS', () => {
  const origin = { origin: 'https://partner.example' };

  it('lets any site read the public API from a browser, cached answers included', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await get('/api/v1/villages', origin);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(String(res.headers['access-control-expose-headers'])).toMatch(/ETag/i);
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    }
    const preflight = await ctx.app.inject({ method: 'OPTIONS', url: '/api/v1/products', headers: { ...origin, 'access-control-request-method': 'GET' } });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
  });

  it('is not granted on the pages or the forms', async () => {
    expect((await get('/products', origin)).headers['access-control-allow-origin']).toBeUndefined();
    expect((await get('/api/docs', origin)).headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await ctx.app.inject({ method: 'OPTIONS', url: '/checkout', headers: { ...origin, 'access-control-request-method': 'POST' } });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const anonymousBuyer = anonymous(ctx.app);
    expect((await anonymousBuyer.get('/cart')).headers['access-control-allow-origin']).toBeUndefined();
  });
});
