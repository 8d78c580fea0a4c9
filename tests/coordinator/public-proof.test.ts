import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatFen } from '../../src/money.js';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { placePaidOrder } from '../helpers/orders.js';
import { householdIdOf } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';
import { namePublicSql } from '../helpers/consent.js';

/**
 * Public proof of benefit: the impact page, the project and village pages and each order's benefit
 * receipt show what the ledger says — sales, amounts credited and paid out to households, households
 * reached — naming households only with their consent and only in groups of three or more. The
 * secretaries' packing slips carry the receipt's QR code to the buyer.
 */

let ctx: TestContext;

beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

const get = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).get(...params) as T;
const all = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).all(...params) as T[];
const idOf = (table: string, slug: string) => get<{ id: number }>(`SELECT id FROM ${table} WHERE slug = ?`, slug).id;

/**
 * What the ledger says about a scope, summed straight from the entries (fen): sales and credits by
 * their order lines' project and village, payouts by the project and village each part was
 * attributed to, households reached with money credited (net) in the scope.
 */
function ledgerFigures(scope: { projectId?: number; villageId?: number }) {
  const filter = (project: string, village: string) =>
    scope.projectId !== undefined ? `${project} = ${scope.projectId}` : scope.villageId !== undefined ? `${village} = ${scope.villageId}` : '1 = 1';
  const lineFilter = filter('ol.project_id', 'ol.village_id');
  const credited = get<{ fen: number }>(
    `SELECT coalesce(-sum(e.amount_fen), 0) AS fen FROM ledger_entries e
     JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'household_payable' JOIN order_lines ol ON ol.id = e.order_line_id WHERE ${lineFilter}`,
  );
  const households = get<{ n: number }>(
    `SELECT count(DISTINCT householdId) AS n FROM (SELECT a.household_id AS householdId FROM ledger_entries e
       JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'household_payable' JOIN order_lines ol ON ol.id = e.order_line_id
       WHERE ${lineFilter} GROUP BY a.household_id, ol.project_id, ol.village_id HAVING -sum(e.amount_fen) > 0)`,
  );
  const sales = get<{ fen: number }>(
    `SELECT coalesce(-sum(e.amount_fen), 0) AS fen FROM ledger_entries e JOIN order_lines ol ON ol.id = e.order_line_id WHERE ${lineFilter}`,
  );
  const paidOut = get<{ fen: number }>(
    `SELECT coalesce(sum(e.amount_fen), 0) AS fen FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'household_payable'
     WHERE e.order_line_id IS NULL AND ${filter('e.project_id', 'e.village_id')}`,
  );
  return { sales: sales.fen, credited: credited.fen, paidOut: paidOut.fen, households: households.n };
}

/** The figures a page shows, by their data-figure names. */
function shownFigures(html: string): Record<string, string> {
  return Object.fromEntries([...html.matchAll(/<dd data-figure="([a-z-]+)">([^<]*)<\/dd>/g)].map((m) => [m[1]!, m[2]!]));
}

/** One project's or village's block of /impact. */
function impactSection(html: string, url: string): string {
  const start = html.indexOf(`<h3><a href="${url}">`);
  expect(start, `no section for ${url}`).toBeGreaterThan(-1);
  return html.slice(start, html.indexOf('</section>', start));
}

/** Every household's private details (real name, phone, ID-card digits, 建档立卡 number). */
function privateValues(): { field: string; value: string }[] {
  const rows = all<{
    realName: string;
    displayName: string | null;
    consent: number;
    phone: string | null;
    idCardLast4: string | null;
    povertyRegNo: string | null;
  }>(
    `SELECT real_name AS realName, display_name AS displayName, ${namePublicSql('households')} AS consent, phone, id_card_last4 AS idCardLast4, poverty_reg_no AS povertyRegNo FROM households`,
  );
  return rows.flatMap((h) => [
    ...(h.consent && h.displayName === h.realName ? [] : [{ field: 'real_name', value: h.realName }]),
    ...(h.phone ? [{ field: 'phone', value: h.phone }] : []),
    ...(h.idCardLast4 ? [{ field: 'id_card_last4', value: h.idCardLast4 }] : []),
    ...(h.povertyRegNo ? [{ field: 'poverty_reg_no', value: h.povertyRegNo }] : []),
  ]);
}

/** Digits-only values must stand alone to count (not inside a hash, token or longer number). */
function expectNoPrivateData(url: string, body: string) {
  const content = body.replace(/name="_csrf" value="[^"]*"/g, '');
  for (const { field, value } of privateValues()) {
    const found = /^[0-9Xx]{1,6}$/.test(value) ? new RegExp(`(?<![0-9A-Za-z])${value}(?![0-9A-Za-z])`).test(content) : content.includes(value);
    expect(found, `${url} shows a household's ${field}`).toBe(false);
  }
}

async function payout(coordinator: TestBrowser, realName: string, yuan: string) {
  const res = await coordinator.post(
    '/coordinator/payouts',
    { householdId: String(await householdIdOf(ctx.db, realName)), amount: yuan, method: 'bank_transfer', reference: `ICBC-${realName}` },
    { csrfFrom: '/coordinator' },
  );
  expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
}

const receiptCodeOf = (orderId: number) => get<{ code: string }>(`SELECT receipt_code AS code FROM orders WHERE id = ?`, orderId).code;
const BUYER = { name: '林晓', phone: '13800138000', address: '深南大道 1 号' };

describe('the impact page', () => {
  it('shows ledger figures per project and village that move with a paid order and a payout, naming consenting households without amounts', async () => {
    const xiaoji = idOf('projects', 'xiaoji-kuaipao');
    const shibantan = idOf('villages', 'shibantan');
    const before = await anonymous(ctx.app).get('/impact');
    expect(before.statusCode).toBe(200);
    expect(before.body).toContain('<link rel="stylesheet" href="/static/css/site.css">');
    expect(shownFigures(impactSection(before.body, '/projects/xiaoji-kuaipao'))).toEqual({
      sales: '¥0.00',
      credited: '¥0.00',
      'paid-out': '¥0.00',
      households: '0',
    });

    await placePaidOrder(ctx, [{ slug: 'xiaoji-eggs-dozen', quantity: 3 }]);
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    await payout(coordinator, '周建华', '10');

    const after = (await anonymous(ctx.app).get('/impact')).body;
    for (const [url, scope] of [
      ['/projects/xiaoji-kuaipao', { projectId: xiaoji }],
      ['/villages/shibantan', { villageId: shibantan }],
    ] as const) {
      const ledger = ledgerFigures(scope);
      expect(ledger.households).toBe(4);
      const section = impactSection(after, url);
      expect(shownFigures(section)).toEqual({ sales: formatFen(ledger.sales), credited: formatFen(ledger.credited), 'paid-out': '¥10.00', households: '4' });
      // Four households: the three who agreed are named, never with an amount (a named amount
      // subtracted from the total would give away the fourth); the fourth is counted, not named.
      expect(section).toContain('<ul data-named class="named-households"><li>陈阿婆</li><li>杨大叔</li><li>周大哥</li></ul>');
      expect(section).toContain('另有 1 户未公开称呼。');
    }
    // The shop's headline is the ledger's too.
    const shop = ledgerFigures({});
    expect(shownFigures(after.slice(0, after.indexOf('<h2 id="impact-projects">')))).toEqual({
      sales: formatFen(shop.sales),
      credited: formatFen(shop.credited),
      'paid-out': '¥10.00',
      households: String(shop.households),
    });
    expectNoPrivateData('/impact', after);
  });

  it('never shows what a household earned, even one that agreed to be named, so no remainder can be worked out by subtraction', async () => {
    // 煤窑沟村's cooperative: 王阿姨 and 张大姐 agreed to be named, 赵建民 did not.
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-eggs', quantity: 3 }]);
    const html = (await anonymous(ctx.app).get('/impact')).body;
    const village = impactSection(html, '/villages/meiyaogou');
    expect(shownFigures(village)).toMatchObject({ credited: formatFen(ledgerFigures({ villageId: idOf('villages', 'meiyaogou') }).credited), households: '3' });
    expect(village).toContain('<li>王阿姨</li><li>张大姐</li>');
    expect(village).toContain('另有 1 户未公开称呼。');
    const perHousehold = all<{ fen: number }>(
      `SELECT -sum(e.amount_fen) AS fen FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'household_payable' GROUP BY a.household_id`,
    );
    expect(perHousehold).toHaveLength(3);
    for (const { fen } of perHousehold) expect(html).not.toContain(formatFen(fen));
  });

  it('withholds the money figures of a group of fewer than three households, and of any total that would give it away by subtraction', async () => {
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    let html = (await anonymous(ctx.app).get('/impact')).body;
    expect(ledgerFigures({ projectId: idOf('projects', 'meiyaogou-chanye') }).households).toBe(1);
    // One household so far: no money figure anywhere, the platform's included.
    for (const section of [
      impactSection(html, '/projects/meiyaogou-chanye'),
      impactSection(html, '/villages/meiyaogou'),
      html.slice(0, html.indexOf('<h2 id="impact-projects">')),
    ]) {
      expect(shownFigures(section)).toEqual({ withheld: '为保护农户隐私，这里的金额不单独公布，只计入更大的合计。', households: '1' });
    }
    expect(impactSection(html, '/projects/meiyaogou-chanye')).toContain('受益农户少于 3 户，不列出称呼。');
    // 王阿姨 agreed to be named, but alone she would be singled out.
    expect(html).not.toContain('王阿姨');
    expect(html).not.toContain('data-named');

    // Four more households in 石板滩村: the platform is shown, but then 小鸡快跑 and 石板滩村 are not,
    // for the platform less either of them would be 王阿姨's honey money.
    await placePaidOrder(ctx, [{ slug: 'xiaoji-eggs-dozen', quantity: 2 }]);
    html = (await anonymous(ctx.app).get('/impact')).body;
    const shop = ledgerFigures({});
    expect(shownFigures(html.slice(0, html.indexOf('<h2 id="impact-projects">')))).toEqual({
      sales: formatFen(shop.sales),
      credited: formatFen(shop.credited),
      'paid-out': '¥0.00',
      households: '5',
    });
    for (const url of ['/projects/xiaoji-kuaipao', '/villages/shibantan', '/projects/meiyaogou-chanye', '/villages/meiyaogou']) {
      expect(shownFigures(impactSection(html, url)).withheld, url).toBeDefined();
    }
    for (const url of ['/villages/shibantan', '/projects/xiaoji-kuaipao', '/villages/meiyaogou']) {
      const page = (await anonymous(ctx.app).get(url)).body;
      expect(shownFigures(page).withheld, url).toBeDefined();
      expect(shownFigures(page).credited, url).toBeUndefined();
    }
  });

  it('lists the villages as they are now after a write: a renamed village, and one added with its own section', async () => {
    const visitor = anonymous(ctx.app);
    expect((await visitor.get('/impact')).body).toContain('<h3><a href="/villages/shibantan">');
    // Written on another connection, as another server would: the page follows.
    ctx.db.sqlite.prepare(`UPDATE villages SET name_zh = '石板滩新村' WHERE slug = 'shibantan'`).run();
    ctx.db.sqlite
      .prepare(
        `INSERT INTO villages (region_id, slug, name_zh, name_en, story_zh, created_at) SELECT region_id, 'xincun', '新村', 'Xincun', '', created_at FROM villages WHERE slug = 'shibantan'`,
      )
      .run();
    const after = (await visitor.get('/impact')).body;
    expect(impactSection(after, '/villages/shibantan')).toContain('石板滩新村');
    expect(impactSection(after, '/villages/xincun')).toContain('新村');
    // A village no money reached yet shows no households, named or not.
    expect(shownFigures(impactSection(after, '/villages/xincun')).households).toBe('0');
    // And once an order pays there, its households appear on the next page.
    await placePaidOrder(ctx, [{ slug: 'xiaoji-eggs-dozen', quantity: 3 }]);
    const paid = (await visitor.get('/impact')).body;
    expect(shownFigures(impactSection(paid, '/villages/shibantan')).households).toBe('4');
  });

  it('is in the public header', async () => {
    const home = await anonymous(ctx.app).get('/');
    expect(home.body).toContain('<li><a href="/impact">公益成效</a></li>');
  });
});

describe('the figures', () => {
  it('attribute a payout to the project that credited the household, not to every project it is enrolled in, so projects add up to the platform', async () => {
    // 刘大姐 is enrolled in 巧手绣娘 and 扶贫先扶志, and earns only through 巧手绣娘's insoles (a cooperative of three).
    await placePaidOrder(ctx, [{ slug: 'embroidered-insoles', quantity: 10 }]);
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    await payout(coordinator, '刘春梅', '3');
    const html = (await anonymous(ctx.app).get('/impact')).body;
    expect(shownFigures(impactSection(html, '/projects/qiaoshou-xiuniang'))['paid-out']).toBe('¥3.00');
    expect(shownFigures(impactSection(html, '/projects/fupin-xianfuzhi'))).toEqual({ sales: '¥0.00', credited: '¥0.00', 'paid-out': '¥0.00', households: '0' });
    expect(shownFigures(html.slice(0, html.indexOf('<h2 id="impact-projects">')))['paid-out']).toBe('¥3.00');
    // The payout's posting says where the money came from.
    const parts = all<{ project: string; fen: number }>(
      `SELECT p.slug AS project, e.amount_fen AS fen FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
       JOIN projects p ON p.id = e.project_id WHERE t.kind = 'payout'`,
    );
    expect(parts).toEqual([{ project: 'qiaoshou-xiuniang', fen: 300 }]);
  });

  it('are the ledger’s wherever they are shown, through sales, refunds and payouts, and projects and villages each add up to the platform', async () => {
    const projects = all<{ id: number; slug: string }>(`SELECT id, slug FROM projects`);
    const villages = all<{ id: number; slug: string }>(`SELECT id, slug FROM villages`);
    const expectSame = async () => {
      const html = (await anonymous(ctx.app).get('/impact')).body;
      const shown = (url: string | null) => shownFigures(url === null ? html.slice(0, html.indexOf('<h2 id="impact-projects">')) : impactSection(html, url));
      const expectScope = (url: string | null, f: ReturnType<typeof ledgerFigures>) => {
        const figures = shown(url);
        expect(figures.households, url ?? 'platform').toBe(String(f.households));
        if (figures.withheld === undefined) {
          expect(figures, url ?? 'platform').toEqual({
            sales: formatFen(f.sales),
            credited: formatFen(f.credited),
            'paid-out': formatFen(f.paidOut),
            households: String(f.households),
          });
        }
        expect(f.paidOut, url ?? 'platform').toBeLessThanOrEqual(f.credited);
      };
      const shop = ledgerFigures({});
      expectScope(null, shop);
      const sum = (scopes: ReturnType<typeof ledgerFigures>[]) =>
        scopes.reduce((a, f) => ({ sales: a.sales + f.sales, credited: a.credited + f.credited, paidOut: a.paidOut + f.paidOut }), {
          sales: 0,
          credited: 0,
          paidOut: 0,
        });
      const perProject = projects.map((p) => ledgerFigures({ projectId: p.id }));
      const perVillage = villages.map((v) => ledgerFigures({ villageId: v.id }));
      projects.forEach((p, i) => {
        expectScope(`/projects/${p.slug}`, perProject[i]!);
      });
      villages.forEach((v, i) => {
        expectScope(`/villages/${v.slug}`, perVillage[i]!);
      });
      expect(sum(perProject)).toEqual({ sales: shop.sales, credited: shop.credited, paidOut: shop.paidOut });
      expect(sum(perVillage)).toEqual({ sales: shop.sales, credited: shop.credited, paidOut: shop.paidOut });
    };
    await expectSame();
    const a = await placePaidOrder(ctx, [
      { slug: 'xiaoji-eggs-dozen', quantity: 2 },
      { slug: 'meiyaogou-honey', quantity: 1 },
    ]);
    await expectSame();
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    await placePaidOrder(ctx, [
      { slug: 'tuyao-tea', quantity: 1 },
      { slug: 'dengfeng-millet', quantity: 3 },
    ]);
    expect(
      (await coordinator.post(`/coordinator/orders/${a.number}/refund`, { amount: '12.34', reason: '破损' }, { csrfFrom: '/coordinator' })).statusCode,
    ).toBe(303);
    await payout(coordinator, '盘桂英', '100');
    await expectSame();
  });
});

describe('project, village and home pages', () => {
  it('show sales, amounts credited and paid out, and households reached from the ledger', async () => {
    const pages = ['/projects/xiaoji-kuaipao', '/villages/shibantan'];
    for (const url of pages) {
      expect(shownFigures((await anonymous(ctx.app).get(url)).body)).toMatchObject({ sales: '¥0.00', credited: '¥0.00', 'paid-out': '¥0.00', households: '0' });
    }
    await placePaidOrder(ctx, [{ slug: 'xiaoji-eggs-dozen', quantity: 2 }]);
    await payout(await signIn(ctx.app, 'coordinator@xiangyi.test'), '陈满秀', '1.50');
    const scopes = [{ projectId: idOf('projects', 'xiaoji-kuaipao') }, { villageId: idOf('villages', 'shibantan') }];
    for (const [i, url] of pages.entries()) {
      const page = await anonymous(ctx.app).get(url);
      const ledger = ledgerFigures(scopes[i]!);
      expect(shownFigures(page.body)).toMatchObject({
        sales: formatFen(ledger.sales),
        credited: formatFen(ledger.credited),
        'paid-out': '¥1.50',
        households: '4',
      });
      expectNoPrivateData(url, page.body);
    }
    const shop = ledgerFigures({});
    expect(shownFigures((await anonymous(ctx.app).get('/')).body)).toMatchObject({ sales: formatFen(shop.sales), households: String(shop.households) });
  });
});

describe('benefit receipts', () => {
  it('show what the purchase credited, whether it was paid out, and the posting’s place in the hash chain — and nothing about the buyer', async () => {
    const order = await placePaidOrder(ctx, [{ slug: 'xiaoji-eggs-dozen', quantity: 3 }]);
    const url = `/receipts/${receiptCodeOf(order.orderId)}`;
    const res = await anonymous(ctx.app).get(url);
    expect(res.statusCode).toBe(200);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    const tx = get<{ hash: string; prevHash: string }>(
      `SELECT hash, prev_hash AS prevHash FROM ledger_transactions WHERE idempotency_key = ?`,
      `order-paid:${order.orderId}`,
    );
    expect(res.body).toContain(`<code class="hash" data-hash>${tx.hash}</code>`);
    expect(res.body).toContain(`<code class="hash" data-prev-hash>${tx.prevHash}</code>`);
    expect(res.body).toContain('持有这张收据的任何人都可以请协调员或第三方核验这条哈希链');
    const credited = -get<{ fen: number }>(
      `SELECT sum(e.amount_fen) AS fen FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'household_payable' JOIN ledger_transactions t ON t.id = e.transaction_id WHERE t.order_id = ?`,
      order.orderId,
    ).fen;
    expect(res.body).toContain(`<li>${formatFen(credited)} 归 石板滩村 的 4 户农户，通过“小鸡快跑”项目</li>`);
    expect(res.body).toContain('<li>其中：周大哥、陈阿婆、杨大叔</li>');
    expect(res.body).toContain('石板滩村（“小鸡快跑”项目，4 户）：尚未发放');
    for (const value of Object.values(BUYER)) expect(res.body).not.toContain(value);
    expect(res.body).not.toContain(order.number);
    expectNoPrivateData(url, res.body);

    // Paying one household part of what this order credited it makes the group "partly" paid out;
    // paying everyone what they are owed, "in full".
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    await payout(coordinator, '周建华', '1');
    expect((await anonymous(ctx.app).get(url)).body).toContain('石板滩村（“小鸡快跑”项目，4 户）：部分已发放');
    for (const realName of ['周建华', '陈满秀', '杨志勇', '胡春生']) {
      const owed = -get<{ fen: number }>(
        `SELECT sum(e.amount_fen) AS fen FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE a.household_id = ?`,
        await householdIdOf(ctx.db, realName),
      ).fen;
      await payout(coordinator, realName, (owed / 100).toFixed(2));
    }
    expect((await anonymous(ctx.app).get(url)).body).toContain('石板滩村（“小鸡快跑”项目，4 户）：已全部发放');
  });

  it('of an unpaid order say it is not paid yet; unknown or malformed codes are 404', async () => {
    const buyer = anonymous(ctx.app);
    const productId = idOf('products', 'meiyaogou-yuba');
    expect((await buyer.post('/cart/items', { productId: String(productId), quantity: '2' })).statusCode).toBe(303);
    const placed = await buyer.post('/checkout', { ...BUYER, province: '广东省', city: '深圳市', district: '福田区', paymentMethod: 'offline' });
    expect(placed.statusCode).toBe(303);
    const orderId = get<{ id: number }>(`SELECT max(id) AS id FROM orders`).id;
    const receipt = await anonymous(ctx.app).get(`/receipts/${receiptCodeOf(orderId)}`);
    expect(receipt.statusCode).toBe(200);
    expect(receipt.body).toContain('<p data-unpaid>这笔订单还没有付款。');
    expect(receipt.body).not.toContain('data-hash');

    for (const code of ['ABCDEFGHJK', 'abcdefghjk', 'ABCDEFGHJ', 'ABCDEFGHJKL', 'ABCDEFGHI1', 'ABCDE%2FGHJ']) {
      expect((await anonymous(ctx.app).get(`/receipts/${code}`)).statusCode, code).toBe(404);
    }
  });

  it('are linked from the buyer’s order page with an inline SVG QR code of the receipt’s address', async () => {
    const buyer = anonymous(ctx.app);
    await buyer.post('/cart/items', { productId: String(idOf('products', 'meiyaogou-honey')), quantity: '1' });
    const placed = await buyer.post('/checkout', { ...BUYER, province: '广东省', city: '深圳市', district: '福田区', paymentMethod: 'offline' });
    const page = await buyer.get(String(placed.headers.location));
    expect(page.statusCode).toBe(200);
    const orderId = get<{ id: number }>(`SELECT max(id) AS id FROM orders`).id;
    const receiptUrl = `${ctx.config.publicUrl}/receipts/${receiptCodeOf(orderId)}`;
    expect(page.body).toContain(`<a href="${receiptUrl}" data-receipt>`);
    const svg = /<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="qr" role="img" aria-label="公益收据二维码"[^>]*>[\s\S]*?<\/svg>/.exec(page.body)?.[0];
    expect(svg).toBeDefined();
    expect(svg).toMatch(/<path fill="#000" d="(M\d+ \d+h\d+v1h-\d+z)+"\/>/);
    expect(page.body).not.toMatch(/<script(?! src=)/);
  });
});

describe('packing slips', () => {
  it('give the village’s secretary a printable slip of their parcel with the recipient and the receipt’s QR code', async () => {
    const order = await placePaidOrder(ctx, [
      { slug: 'meiyaogou-honey', quantity: 2 },
      { slug: 'tiger-head-shoes', quantity: 1 },
    ]);
    const meiyaogou = idOf('villages', 'meiyaogou');
    const secretary = await signIn(ctx.app, 'secretary.meiyaogou@xiangyi.test');
    const list = await secretary.get('/secretary/orders');
    expect(list.body).toContain(`href="/secretary/orders/${order.number}/packing-slip?village=${meiyaogou}"`);

    const slip = await secretary.get(`/secretary/orders/${order.number}/packing-slip?village=${meiyaogou}`);
    expect(slip.statusCode).toBe(200);
    expect(slip.body).toContain('<link rel="stylesheet" href="/static/css/print.css" media="print">');
    for (const value of Object.values(BUYER)) expect(slip.body).toContain(value);
    expect(slip.body).toContain('煤窑沟土蜂蜜');
    expect(slip.body).not.toContain('手工虎头鞋'); // another village's line
    expect(slip.body).toContain(`${ctx.config.publicUrl}/receipts/${receiptCodeOf(order.orderId)}`);
    expect(slip.body).toMatch(/<svg [^>]*class="qr"[^>]*>/);
    // A secretary of one village need not say which.
    expect((await secretary.get(`/secretary/orders/${order.number}/packing-slip`)).statusCode).toBe(200);
  });

  it('are not found for anyone else’s parcel, a guessed number, or an unpaid order', async () => {
    const order = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    const meiyaogou = idOf('villages', 'meiyaogou');
    const gulou = idOf('villages', 'gulou');
    const foreign = await signIn(ctx.app, 'secretary.gulou@xiangyi.test');
    expect((await foreign.get(`/secretary/orders/${order.number}/packing-slip?village=${meiyaogou}`)).statusCode).toBe(404);
    expect((await foreign.get(`/secretary/orders/${order.number}/packing-slip?village=${gulou}`)).statusCode).toBe(404);
    const own = await signIn(ctx.app, 'secretary.meiyaogou@xiangyi.test');
    expect((await own.get(`/secretary/orders/XY-20990101-0001/packing-slip?village=${meiyaogou}`)).statusCode).toBe(404);
    expect((await own.get(`/secretary/orders/not-a-number/packing-slip?village=${meiyaogou}`)).statusCode).toBe(404);

    const buyer = anonymous(ctx.app);
    expect((await buyer.post('/cart/items', { productId: String(idOf('products', 'meiyaogou-yuba')), quantity: '2' })).statusCode).toBe(303);
    await buyer.post('/checkout', { ...BUYER, province: '广东省', city: '深圳市', district: '福田区', paymentMethod: 'offline' });
    const unpaid = get<{ number: string }>(`SELECT number FROM orders ORDER BY id DESC LIMIT 1`).number;
    expect((await own.get(`/secretary/orders/${unpaid}/packing-slip?village=${meiyaogou}`)).statusCode).toBe(404);
  });
});
