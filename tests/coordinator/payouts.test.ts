import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse as Response } from 'fastify';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLedgerReports } from '../../src/ledger/ledger-reports.js';
import { checkLedger } from '../../src/ledger/ledger-service.js';
import { formatDate } from '../../src/time.js';
import { anonymous, signIn, type TestBrowser } from '../helpers/auth.js';
import { placePaidOrder } from '../helpers/orders.js';
import { approveNewestPayoutRequest } from '../helpers/payout-approvals.js';
import { createScopedCoordinator, householdIdOf, STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Payouts to households: at most what is owed (also when two race), posted to the ledger in the
 * same transaction, reversed once by a correcting entry (asked by one coordinator, approved by a
 * second: tests/coordinator/payout-approvals.test.ts), with private evidence photos.
 * 王秀兰 (Auntie Wang) alone produces 煤窑沟土蜂蜜 (¥68.00, project 煤窑沟产业扶贫, 95% to households).
 */

let ctx: TestContext;
let coordinator: TestBrowser;
let wang: number;

beforeEach(async () => {
  ctx = await createTestApp();
  coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
  wang = await householdIdOf(ctx.db, '王秀兰');
});

afterEach(async () => {
  expect((await checkLedger(ctx.db)).problems).toEqual([]);
  await ctx.close();
});

const count = (table: string) => (ctx.db.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const owed = async (householdId = wang) => (await createLedgerReports(ctx.db).householdBalance(householdId)).owedFen;
const today = () => formatDate(ctx.clock.now);
const flashIn = (html: string) => /<div class="wrap flash flash-(success|error)" role="status">([^<]*)<\/div>/.exec(html)?.slice(1, 3) ?? null;
const fieldError = (html: string, field: string) => new RegExp(`<p class="field-error" id="e-${field}">([^<]*)</p>`).exec(html)?.[1] ?? null;

/** Two honeys: ¥136.00 of sales, 95% = ¥129.20 owed to 王秀兰. */
async function wangEarns129_20() {
  await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
  expect(await owed()).toBe(12920);
}

function payout(fields: Record<string, string>, browser = coordinator): Promise<Response> {
  return browser.post(
    '/coordinator/payouts',
    { householdId: String(wang), method: 'bank_transfer', reference: 'ICBC-2041', paidOn: today(), ...fields },
    { csrfFrom: '/coordinator' },
  );
}

/** The payout form as the page sends it: multipart, the CSRF token its first field. */
async function payoutWithFile(
  fields: Record<string, string>,
  file: { filename: string; contentType: string; data: Buffer } | null,
  token?: string,
): Promise<Response> {
  const csrf = token ?? (await coordinator.csrfToken(`/coordinator/households/${wang}`));
  const boundary = `----xiangyi${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries({ _csrf: csrf, householdId: String(wang), method: 'wechat', reference: '', paidOn: today(), ...fields })) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  if (file) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="evidence"; filename="${file.filename}"\r\nContent-Type: ${file.contentType}\r\n\r\n`),
      file.data,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return ctx.app.inject({
    method: 'POST',
    url: '/coordinator/payouts',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Buffer.concat(parts),
    cookies: { ...coordinator.cookies },
  });
}

const receiptPhoto = () =>
  sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 240, g: 236, b: 220 } } })
    .jpeg({ quality: 85 })
    .toBuffer();

describe('recording a payout', () => {
  it('posts a balanced payout transaction in the same step, shows it on the household page and reduces what is owed', async () => {
    await wangEarns129_20();
    const response = await payout({ amount: '50' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/coordinator/households/${wang}#payouts`);

    expect(await owed()).toBe(7920);
    const row = ctx.db.sqlite
      .prepare(`SELECT id, amount_fen AS amountFen, method, reference, paid_on AS paidOn, reverses_payout_id AS reverses FROM payouts`)
      .get() as Record<string, unknown>;
    expect(row).toMatchObject({ amountFen: 5000, method: 'bank_transfer', reference: 'ICBC-2041', paidOn: today(), reverses: null });
    const tx = ctx.db.sqlite.prepare(`SELECT id, kind, payout_id AS payoutId FROM ledger_transactions WHERE idempotency_key = ?`).get(`payout:${row.id}`) as {
      id: number;
      kind: string;
      payoutId: number;
    };
    expect(tx).toMatchObject({ kind: 'payout', payoutId: row.id });
    const entries = ctx.db.sqlite
      .prepare(
        `SELECT a.code, e.amount_fen AS amountFen FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE e.transaction_id = ? ORDER BY e.id`,
      )
      .all(tx.id);
    expect(entries).toEqual([
      { code: `household:${wang}`, amountFen: 5000 },
      { code: 'cash', amountFen: -5000 },
    ]);
    const audit = ctx.db.sqlite.prepare(`SELECT action, entity_id AS entityId FROM audit_log WHERE action LIKE 'payout.%'`).all();
    expect(audit).toEqual([{ action: 'payout.create', entityId: String(row.id) }]);

    const page = await coordinator.get(`/coordinator/households/${wang}`);
    expect(flashIn(page.body)).toEqual(['success', '已登记付款 ¥50.00，账本已记账。']);
    expect(page.body).toContain('<dd data-owed>¥79.20</dd>');
    expect(page.body).toContain('<dd data-paid-out>¥50.00</dd>');
    expect(page.body).toMatch(/<tr data-payout-id="\d+">[\s\S]*?¥50.00[\s\S]*?银行转账[\s\S]*?ICBC-2041/);
    const list = await coordinator.get('/coordinator/households');
    expect(list.body).toMatch(
      new RegExp(`<tr data-household-id="${wang}">[\\s\\S]*?<td class="num" data-label="[^"]+" data-owed><strong>¥79.20</strong></td>`),
    );
  });

  it('refuses more than is owed with 422 and a message by the amount, keeps what was typed, and writes nothing', async () => {
    await wangEarns129_20();
    const before = { payouts: count('payouts'), tx: count('ledger_transactions'), audit: count('audit_log') };
    const response = await payout({ amount: '129.21', reference: '转账-0932' });
    expect(response.statusCode).toBe(422);
    expect(fieldError(response.body, 'amount')).toBe('付款金额超过了待付金额（¥129.20）。');
    expect(response.body).toContain('value="129.21"');
    expect(response.body).toContain('value="转账-0932"');
    expect({ payouts: count('payouts'), tx: count('ledger_transactions'), audit: count('audit_log') }).toEqual(before);
    expect(await owed()).toBe(12920);

    // Paying exactly what is owed is allowed; without a date, it was paid today.
    const withoutDate = await coordinator.post(
      '/coordinator/payouts',
      { householdId: String(wang), amount: '0.20', method: 'cash', reference: '' },
      { csrfFrom: '/coordinator' },
    );
    expect(withoutDate.statusCode).toBe(303);
    expect(ctx.db.sqlite.prepare(`SELECT paid_on AS paidOn FROM payouts ORDER BY id DESC LIMIT 1`).get()).toEqual({ paidOn: today() });
    expect((await payout({ amount: '129.00' })).statusCode).toBe(303);
    expect(await owed()).toBe(0);
    expect((await payout({ amount: '0.01' })).statusCode).toBe(422);
  });

  it('holds back what refunds still pending at Stripe may take, so a refund settling later cannot leave the household overpaid', async () => {
    await wangEarns129_20();
    const { orderId } = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    expect(await owed()).toBe(12920 + 6460);
    // A refund of that second order asked of Stripe, not yet settled (as a pending Stripe answer leaves it).
    const pending = ctx.db.sqlite
      .prepare(`INSERT INTO refunds (order_id, amount_fen, reason, status, created_at) VALUES (?, 6800, '买家退货', 'pending', ?) RETURNING id`)
      .pluck()
      .get(orderId, ctx.clock.now) as number;
    // Held: the pending ¥68.00, up to what that order credits 王秀兰 (¥64.60).
    expect(await createLedgerReports(ctx.db).heldForRefundsFen(wang)).toBe(6460);
    const page = await coordinator.get(`/coordinator/households/${wang}`);
    expect(page.body).toContain('其中 ¥64.60 暂不能付出，退款办结前最多可付 ¥129.20');

    const before = { payouts: count('payouts'), tx: count('ledger_transactions') };
    const refused = await payout({ amount: '193.80' });
    expect(refused.statusCode).toBe(422);
    expect(fieldError(refused.body, 'amount')).toBe('有退款尚在处理中，其中 ¥64.60 暂不能付给该农户：现在最多可付 ¥129.20（待付 ¥193.80）。');
    expect(refused.body).toContain('value="193.80"');
    expect({ payouts: count('payouts'), tx: count('ledger_transactions') }).toEqual(before);
    expect((await payout({ amount: '129.21' })).statusCode).toBe(422);
    expect((await payout({ amount: '129.20' })).statusCode).toBe(303);
    expect(await owed()).toBe(6460);
    expect((await payout({ amount: '0.01' })).statusCode).toBe(422);

    // The refund fails at Stripe: nothing is held any more, and the rest can be paid.
    ctx.db.sqlite.prepare(`UPDATE refunds SET status = 'failed' WHERE id = ?`).run(pending);
    expect(await createLedgerReports(ctx.db).heldForRefundsFen(wang)).toBe(0);
    expect((await coordinator.get(`/coordinator/households/${wang}`)).body).not.toContain('data-held');
    expect((await payout({ amount: '64.60' })).statusCode).toBe(303);
    expect(await owed()).toBe(0);
  });

  it('holds nothing back for a refund pending on an order that no longer credits the household (refunded already)', async () => {
    const { orderId } = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    const order = ctx.db.sqlite.prepare('SELECT number, total_fen AS totalFen FROM orders WHERE id = ?').get(orderId) as { number: string; totalFen: number };
    const refunded = await coordinator.post(
      `/coordinator/orders/${order.number}/refund`,
      { amount: (order.totalFen / 100).toFixed(2), reason: '买家退货' },
      { csrfFrom: '/coordinator' },
    );
    expect(refunded.statusCode).toBe(303);
    await wangEarns129_20();
    ctx.db.sqlite
      .prepare(`INSERT INTO refunds (order_id, amount_fen, reason, status, created_at) VALUES (?, 100, '重复申请', 'pending', ?)`)
      .run(orderId, ctx.clock.now);
    expect(await createLedgerReports(ctx.db).heldForRefundsFen(wang)).toBe(0);
    expect((await payout({ amount: '129.20' })).statusCode).toBe(303);
  });

  it('shows field messages in English for an English-speaking coordinator', async () => {
    await wangEarns129_20();
    await coordinator.get('/coordinator?lang=en');
    const response = await payout({ amount: 'lots', method: 'gold', paidOn: '2025-02-30' });
    expect(response.statusCode).toBe(422);
    expect(fieldError(response.body, 'amount')).toBe('Enter the amount paid in yuan, above 0, with at most two decimals.');
    expect(fieldError(response.body, 'method')).toBe('Choose how it was paid.');
    expect(fieldError(response.body, 'paidOn')).toBe('Enter the date paid in the form 2025-01-31.');
    const future = await payout({ amount: '10', paidOn: formatDate(ctx.clock.now + 2 * 86_400_000) });
    expect(future.statusCode).toBe(422);
    expect(fieldError(future.body, 'paidOn')).toBe('The date paid cannot be after today.');
    expect(count('payouts')).toBe(0);
  });

  it('keeps the CSRF token out of the address bar: the form posts to /coordinator/payouts with the token as a field, and a token in the URL is refused', async () => {
    await wangEarns129_20();
    const page = (await coordinator.get(`/coordinator/households/${wang}`)).body;
    expect(page).toMatch(
      /<form method="post" action="\/coordinator\/payouts" enctype="multipart\/form-data"[^>]*>\s*<input type="hidden" name="_csrf" value="[^"]+">/,
    );
    expect(page).not.toContain('?_csrf=');
    // A refused payout re-renders the household page for the form's own address, which holds no token.
    const refused = await payoutWithFile({ amount: '999' }, null);
    expect(refused.statusCode).toBe(422);
    expect(refused.body).not.toContain('?_csrf=');

    const token = await coordinator.csrfToken(`/coordinator/households/${wang}`);
    const boundary = `----xiangyi${randomBytes(8).toString('hex')}`;
    const inUrl = await ctx.app.inject({
      method: 'POST',
      url: `/coordinator/payouts?_csrf=${encodeURIComponent(token)}`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="householdId"\r\n\r\n${wang}\r\n--${boundary}\r\nContent-Disposition: form-data; name="amount"\r\n\r\n10\r\n--${boundary}--\r\n`,
      cookies: { ...coordinator.cookies },
    });
    expect(inUrl.statusCode).toBe(403);
    expect(count('payouts')).toBe(0);
  });

  it('lets only one of two racing payouts through when together they exceed what is owed', async () => {
    await wangEarns129_20();
    const token = await coordinator.csrfToken(`/coordinator/households/${wang}`);
    const [photo1, photo2] = [
      await receiptPhoto(),
      await sharp(await receiptPhoto())
        .rotate(90)
        .jpeg()
        .toBuffer(),
    ];
    // Both carry a photo, so both are past validation and re-encoding before either transaction runs.
    const responses = await Promise.all([
      payoutWithFile({ amount: '100' }, { filename: 'a.jpg', contentType: 'image/jpeg', data: photo1 }, token),
      payoutWithFile({ amount: '100' }, { filename: 'b.jpg', contentType: 'image/jpeg', data: photo2 }, token),
    ]);
    expect(responses.map((r) => r.statusCode).sort()).toEqual([303, 422]);
    expect(count('payouts')).toBe(1);
    expect(await owed()).toBe(2920);
    // The refused one left no evidence behind either.
    expect(
      ctx.db.sqlite
        .prepare(`SELECT count(*) AS n FROM media m WHERE NOT EXISTS (SELECT 1 FROM product_photos p WHERE p.list_media_id = m.id OR p.detail_media_id = m.id)`)
        .get(),
    ).toEqual({ n: 1 });
  });

  it('answers 404 for a household outside a scoped coordinator’s projects and writes nothing', async () => {
    await wangEarns129_20();
    await createScopedCoordinator(ctx.db, 'chicks@xiangyi.test', ['xiaoji-kuaipao']);
    const chicks = await signIn(ctx.app, 'chicks@xiangyi.test', STAFF_PASSWORD);
    const response = await payout({ amount: '10' }, chicks);
    expect(response.statusCode).toBe(404);
    expect((await chicks.get(`/coordinator/households/${wang}`)).statusCode).toBe(404);
    expect(count('payouts')).toBe(0);
  });
});

/**
 * 王秀兰 is enrolled in 煤窑沟产业扶贫 (her honey) and 扶贫先扶志 (the cooperative's eggs, her weight 2 of 10).
 * A coordinator scoped to one of the two sees and pays only that project's money.
 */
describe('a household paid by several projects, seen by a coordinator of one of them', () => {
  /** Two honeys (煤窑沟产业扶贫: ¥129.20 to 王秀兰) and two boxes of eggs (扶贫先扶志: ¥16.20 to her). */
  async function wangEarnsFromTwoProjects() {
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-eggs', quantity: 2 }]);
    expect(await owed()).toBe(14540);
  }
  async function scoped(slug: string, email: string): Promise<TestBrowser> {
    await createScopedCoordinator(ctx.db, email, [slug]);
    return signIn(ctx.app, email, STAFF_PASSWORD);
  }
  const allocations = (payoutId: number) =>
    ctx.db.sqlite
      .prepare(
        `SELECT p.slug, sum(e.amount_fen) AS amountFen FROM payouts po
         JOIN ledger_transactions t ON t.idempotency_key = CASE WHEN po.reverses_payout_id IS NULL THEN 'payout:' || po.id ELSE 'payout-reversal:' || po.reverses_payout_id END
         JOIN ledger_entries e ON e.transaction_id = t.id JOIN projects p ON p.id = e.project_id
         WHERE po.id = ? GROUP BY p.slug ORDER BY p.slug`,
      )
      .all(payoutId);
  const lastPayout = () => (ctx.db.sqlite.prepare(`SELECT max(id) AS id FROM payouts`).get() as { id: number }).id;

  it('shows the coordinator of 扶贫先扶志 only what 扶贫先扶志 credited, on the household page and the statement', async () => {
    await wangEarnsFromTwoProjects();
    const fupin = await scoped('fupin-xianfuzhi', 'fupin@xiangyi.test');
    const page = await fupin.get(`/coordinator/households/${wang}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<dd data-earned>¥16.20</dd>');
    expect(page.body).toContain('<dd data-owed>¥16.20</dd>');
    expect(page.body).toContain('土鸡蛋');
    expect(page.body).not.toContain('土蜂蜜');
    expect(page.body).not.toContain('¥129.20');
    expect(page.body).toContain('金额只计您负责的项目');

    const statement = await fupin.get(`/coordinator/households/${wang}/statement`);
    expect(statement.body).not.toContain('土蜂蜜');
    expect(statement.body).not.toContain('¥145.40');
    const csv = (await fupin.get(`/coordinator/households/${wang}/statement.csv`)).body;
    expect(csv).toContain('16.20');
    expect(csv).not.toContain('129.20');
    expect(csv).not.toContain('蜂蜜');
    const list = await fupin.get('/coordinator/households');
    expect(list.body).toMatch(
      new RegExp(`<tr data-household-id="${wang}">[\\s\\S]*?<td class="num" data-label="[^"]+" data-owed><strong>¥16.20</strong></td>`),
    );

    // The coordinator of all projects still sees everything.
    expect((await coordinator.get(`/coordinator/households/${wang}`)).body).toContain('<dd data-owed>¥145.40</dd>');
  });

  it('lets the coordinator of 扶贫先扶志 pay out only 扶贫先扶志’s money, and attributes the payout to it alone', async () => {
    await wangEarnsFromTwoProjects();
    const fupin = await scoped('fupin-xianfuzhi', 'fupin@xiangyi.test');
    const before = { payouts: count('payouts'), tx: count('ledger_transactions') };
    const tooMuch = await payout({ amount: '16.21' }, fupin);
    expect(tooMuch.statusCode).toBe(422);
    expect(fieldError(tooMuch.body, 'amount')).toBe('付款金额超过了待付金额（¥16.20）。');
    expect({ payouts: count('payouts'), tx: count('ledger_transactions') }).toEqual(before);

    expect((await payout({ amount: '16.20' }, fupin)).statusCode).toBe(303);
    expect(allocations(lastPayout())).toEqual([{ slug: 'fupin-xianfuzhi', amountFen: 1620 }]);
    expect(await owed()).toBe(12920);
    expect((await fupin.get(`/coordinator/households/${wang}`)).body).toContain('<dd data-owed>¥0.00</dd>');
    expect((await payout({ amount: '0.01' }, fupin)).statusCode).toBe(422);

    // 煤窑沟产业扶贫’s money is untouched: its coordinator can still pay all of it.
    const meiyaogou = await scoped('meiyaogou-chanye', 'meiyaogou@xiangyi.test');
    expect((await meiyaogou.get(`/coordinator/households/${wang}`)).body).toContain('<dd data-owed>¥129.20</dd>');
    expect((await payout({ amount: '129.20' }, meiyaogou)).statusCode).toBe(303);
    expect(allocations(lastPayout())).toEqual([{ slug: 'meiyaogou-chanye', amountFen: 12920 }]);
    expect(await owed()).toBe(0);
  });

  it('attributes a payout of the coordinator of all projects in proportion to what each project owes; a scoped coordinator sees their part and cannot reverse it', async () => {
    await wangEarnsFromTwoProjects();
    expect((await payout({ amount: '100' })).statusCode).toBe(303);
    const id = lastPayout();
    // 100 × 129.20 / 145.40 = 88.858… and 100 × 16.20 / 145.40 = 11.141…: the remainders decide the last fen.
    expect(allocations(id)).toEqual([
      { slug: 'fupin-xianfuzhi', amountFen: 1114 },
      { slug: 'meiyaogou-chanye', amountFen: 8886 },
    ]);

    const fupin = await scoped('fupin-xianfuzhi', 'fupin@xiangyi.test');
    const page = await fupin.get(`/coordinator/households/${wang}`);
    expect(page.body).toContain('<dd data-paid-out>¥11.14</dd>');
    expect(page.body).toContain('<dd data-owed>¥5.06</dd>');
    expect(page.body).toMatch(
      new RegExp(`<tr data-payout-id="${id}">[\\s\\S]*?¥11.14<br><span class="hint" data-part-of>共 ¥100.00，其余由您不负责的项目付出</span>`),
    );
    expect(page.body).not.toContain(`action="/coordinator/payouts/${id}/reverse"`);
    const refused = await fupin.post(`/coordinator/payouts/${id}/reverse`, { note: '金额填错' }, { csrfFrom: '/coordinator' });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('这笔付款有一部分属于您不负责的项目，只能由负责全部项目的协调员冲销。');
    expect(count('payouts')).toBe(1);

    // Reversed by the coordinator of all projects (and approved by a second), each project is owed its part again.
    expect((await coordinator.post(`/coordinator/payouts/${id}/reverse`, { note: '金额填错' }, { csrfFrom: '/coordinator' })).statusCode).toBe(303);
    expect((await approveNewestPayoutRequest(ctx)).statusCode).toBe(303);
    expect(allocations(lastPayout())).toEqual([
      { slug: 'fupin-xianfuzhi', amountFen: -1114 },
      { slug: 'meiyaogou-chanye', amountFen: -8886 },
    ]);
    expect((await fupin.get(`/coordinator/households/${wang}`)).body).toContain('<dd data-owed>¥16.20</dd>');
  });

  it('lets a scoped coordinator reverse a payout paid wholly by their projects', async () => {
    await wangEarnsFromTwoProjects();
    const fupin = await scoped('fupin-xianfuzhi', 'fupin@xiangyi.test');
    expect((await payout({ amount: '10' }, fupin)).statusCode).toBe(303);
    const id = lastPayout();
    expect((await fupin.post(`/coordinator/payouts/${id}/reverse`, { note: '付错人了' }, { csrfFrom: '/coordinator' })).statusCode).toBe(303);
    expect((await approveNewestPayoutRequest(ctx)).statusCode).toBe(303);
    expect(allocations(lastPayout())).toEqual([{ slug: 'fupin-xianfuzhi', amountFen: -1000 }]);
    expect(await owed()).toBe(14540);
  });
});

describe('reversing a payout', () => {
  it('restores what is owed with a correcting entry, and refuses a second reversal', async () => {
    await wangEarns129_20();
    await payout({ amount: '50' });
    const id = (ctx.db.sqlite.prepare(`SELECT id FROM payouts`).get() as { id: number }).id;

    const reversed = await coordinator.post(`/coordinator/payouts/${id}/reverse`, { note: '金额填错' }, { csrfFrom: '/coordinator' });
    expect(reversed.statusCode).toBe(303);
    // Asked for: nothing posts until a second coordinator approves.
    expect(await owed()).toBe(7920);
    expect(flashIn((await coordinator.get(`/coordinator/households/${wang}`)).body)?.[1]).toMatch(
      new RegExp(`^已提交冲销付款 #${id} 的申请 #\\d+，另一位协调员批准后才记账。$`),
    );
    expect((await approveNewestPayoutRequest(ctx)).statusCode).toBe(303);
    expect(await owed()).toBe(12920);
    const rows = ctx.db.sqlite.prepare(`SELECT id, amount_fen AS amountFen, reverses_payout_id AS reverses, note FROM payouts ORDER BY id`).all() as {
      id: number;
    }[];
    expect(rows).toEqual([
      { id, amountFen: 5000, reverses: null, note: null },
      { id: rows[1]!.id, amountFen: -5000, reverses: id, note: '金额填错' },
    ]);
    const tx = ctx.db.sqlite
      .prepare(`SELECT id, kind, payout_id AS payoutId FROM ledger_transactions WHERE idempotency_key = ?`)
      .get(`payout-reversal:${id}`) as { id: number; kind: string; payoutId: number };
    expect(tx).toMatchObject({ kind: 'payout_reversal', payoutId: rows[1]!.id });
    expect(
      ctx.db.sqlite
        .prepare(
          `SELECT a.code, e.amount_fen AS amountFen FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE e.transaction_id = ? ORDER BY e.id`,
        )
        .all(tx.id),
    ).toEqual([
      { code: `household:${wang}`, amountFen: -5000 },
      { code: 'cash', amountFen: 5000 },
    ]);
    const page = await coordinator.get(`/coordinator/households/${wang}`);
    expect(page.body).toContain('<dd data-paid-out>¥0.00</dd>');

    const again = await coordinator.post(`/coordinator/payouts/${id}/reverse`, { note: '再冲一次' }, { csrfFrom: '/coordinator' });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('这笔付款已经冲销过了，不能重复冲销。');
    const ofReversal = await coordinator.post(`/coordinator/payouts/${rows[1]!.id}/reverse`, { note: '冲销冲销' }, { csrfFrom: '/coordinator' });
    expect(ofReversal.statusCode).toBe(409);
    expect(count('payouts')).toBe(2);
    expect(await owed()).toBe(12920);
    expect(ctx.db.sqlite.prepare(`SELECT action FROM audit_log WHERE action LIKE 'payout.%' ORDER BY id`).all()).toEqual([
      { action: 'payout.create' },
      { action: 'payout.reverse' },
    ]);
  });

  it('asks for the reason of a reversal and changes nothing without one', async () => {
    await wangEarns129_20();
    await payout({ amount: '20' });
    const id = (ctx.db.sqlite.prepare(`SELECT id FROM payouts`).get() as { id: number }).id;
    const response = await coordinator.post(`/coordinator/payouts/${id}/reverse`, { note: '  ' }, { csrfFrom: '/coordinator' });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(`<p class="field-error" id="e-note-${id}" role="alert">请填写冲销原因。</p>`);
    expect(count('payouts')).toBe(1);
  });
});

describe('payout evidence', () => {
  it('refuses a text file renamed .jpg and writes nothing', async () => {
    await wangEarns129_20();
    const media = count('media');
    const response = await payoutWithFile(
      { amount: '30' },
      { filename: 'receipt.jpg', contentType: 'image/jpeg', data: Buffer.from('this is not a photo of a receipt\n'.repeat(20)) },
    );
    expect(response.statusCode).toBe(422);
    expect(fieldError(response.body, 'evidence')).toBe('只能上传 JPEG、PNG 或 WebP 格式的图片。');
    expect(response.body).toContain('value="30"');
    expect(count('media')).toBe(media);
    expect(count('payouts')).toBe(0);
    expect(await owed()).toBe(12920);
  });

  it('re-encodes a receipt photo and serves it only to coordinators who may see the household', async () => {
    await wangEarns129_20();
    const response = await payoutWithFile(
      { amount: '30', reference: '收据 007' },
      { filename: 'IMG_1024.JPG', contentType: 'image/jpeg', data: await receiptPhoto() },
    );
    expect(response.statusCode).toBe(303);
    const row = ctx.db.sqlite.prepare(`SELECT id, evidence_media_id AS mediaId FROM payouts`).get() as { id: number; mediaId: number };
    expect(row.mediaId).toBeGreaterThan(0);

    const page = await coordinator.get(`/coordinator/households/${wang}`);
    expect(page.body).toContain(`<a href="/coordinator/payouts/${row.id}/evidence" aria-label="付款 #${row.id} 的凭证">凭证</a>`);
    const image = await coordinator.get(`/coordinator/payouts/${row.id}/evidence`);
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/webp');
    expect(image.headers['cache-control']).toBe('private, no-store');
    expect(image.rawPayload.toString('latin1', 8, 12)).toBe('WEBP');
    expect((await sharp(image.rawPayload).metadata()).width).toBe(640);

    // Not through the public media route, not to visitors, buyers, secretaries or other projects' coordinators.
    expect((await anonymous(ctx.app).get(`/media/${row.mediaId}`)).statusCode).toBe(404);
    const visitor = await anonymous(ctx.app).get(`/coordinator/payouts/${row.id}/evidence`);
    expect(visitor.statusCode).toBe(303);
    expect(visitor.headers.location).toMatch(/^\/login\?next=/);
    expect((await (await signIn(ctx.app, 'buyer@xiangyi.test')).get(`/coordinator/payouts/${row.id}/evidence`)).statusCode).toBe(403);
    expect((await (await signIn(ctx.app, 'secretary.meiyaogou@xiangyi.test')).get(`/coordinator/payouts/${row.id}/evidence`)).statusCode).toBe(403);
    await createScopedCoordinator(ctx.db, 'chicks@xiangyi.test', ['xiaoji-kuaipao']);
    const chicks = await signIn(ctx.app, 'chicks@xiangyi.test', STAFF_PASSWORD);
    expect((await chicks.get(`/coordinator/payouts/${row.id}/evidence`)).statusCode).toBe(404);
    await createScopedCoordinator(ctx.db, 'meiyaogou@xiangyi.test', ['meiyaogou-chanye']);
    const own = await signIn(ctx.app, 'meiyaogou@xiangyi.test', STAFF_PASSWORD);
    expect((await own.get(`/coordinator/payouts/${row.id}/evidence`)).statusCode).toBe(200);
  });
});
