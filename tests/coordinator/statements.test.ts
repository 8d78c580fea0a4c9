import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCjkFont } from '../../src/coordinator/statement-export.js';
import { AppError } from '../../src/errors.js';
import { createLedgerReports } from '../../src/ledger/ledger-reports.js';
import { checkLedger } from '../../src/ledger/ledger-service.js';
import { fenToYuanInput } from '../../src/money.js';
import { formatDate, startOfDay } from '../../src/time.js';
import { signIn, type TestBrowser } from '../helpers/auth.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createScopedCoordinator, householdIdOf, STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Household statements: opening balance (owed before the period), every earning, refund and
 * payout in it, closing balance — as a page, a CSV for Excel and a PDF to print. The arithmetic
 * is checked on random histories of sales, refunds, payouts and reversals spread over weeks.
 */

const DAY = 86_400_000;
let ctx: TestContext;
let wang: number;

beforeEach(async () => {
  ctx = await createTestApp();
  wang = householdIdOf(ctx.db, '王秀兰');
});

afterEach(async () => {
  expect(checkLedger(ctx.db).problems).toEqual([]);
  await ctx.close();
});

let signedIn: TestBrowser | null = null;
beforeEach(() => {
  signedIn = null;
});
async function coordinator(): Promise<TestBrowser> {
  signedIn ??= await signIn(ctx.app, 'coordinator@xiangyi.test');
  return signedIn;
}

/**
 * Moves the test clock on by days while the coordinator stays at the desk: sessions are kept
 * fresh (staff sessions idle out after 2 hours), so nobody signs in dozens of times.
 */
function advance(ms: number) {
  ctx.clock.advance(ms);
  ctx.db.sqlite.prepare(`UPDATE sessions SET last_seen_at = ?, expires_at = max(expires_at, ?)`).run(ctx.clock.now, ctx.clock.now + 3_600_000);
}

/** "¥1,234.50" / "-¥12.00" → fen. */
function fenOf(money: string): number {
  const m = /^(-?)¥([\d,]+)\.(\d{2})$/.exec(money.trim());
  if (!m) throw new Error(`not money: ${money}`);
  const fen = Number(m[2]!.replace(/,/g, '')) * 100 + Number(m[3]);
  return m[1] ? -fen : fen;
}

function summaryOf(html: string) {
  const figure = (name: string) => {
    const m = new RegExp(`<td class="num" data-${name}>(?:<strong>)?([^<]*)`).exec(html);
    if (!m) throw new Error(`no ${name} on the statement`);
    return fenOf(m[1]!);
  };
  return { opening: figure('opening'), earnings: figure('earnings'), refunds: figure('refunds'), payouts: figure('payouts'), closing: figure('closing') };
}

/** A small seeded PRNG, so a failing history can be replayed. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

const owed = () => createLedgerReports(ctx.db).householdBalance(wang).owedFen;

/**
 * A history for 王秀兰 over several weeks: honey (hers alone) and eggs (her cooperative's) sold,
 * parts of orders refunded, payouts of random amounts up to what is owed, some reversed.
 */
async function randomHistory(seed: number, steps: number) {
  const rng = random(seed);
  const orders: { number: string; orderId: number }[] = [];
  for (let i = 0; i < steps; i++) {
    advance(rng.int(0, 6) * DAY + rng.int(0, 23) * 3_600_000);
    const action = i < 2 ? 'sale' : rng.pick(['sale', 'sale', 'refund', 'payout', 'payout', 'reverse'] as const);
    if (action === 'sale') {
      const items = rng.next() < 0.7 ? [{ slug: 'meiyaogou-honey', quantity: rng.int(1, 3) }] : [{ slug: 'meiyaogou-honey', quantity: 1 }, { slug: 'meiyaogou-eggs', quantity: rng.int(1, 2) }];
      orders.push(await placePaidOrder(ctx, items));
    } else if (action === 'refund') {
      const order = rng.pick(orders);
      const row = ctx.db.sqlite.prepare(`SELECT total_fen AS total, refunded_fen AS refunded FROM orders WHERE id = ?`).get(order.orderId) as { total: number; refunded: number };
      const left = row.total - row.refunded;
      if (left < 100) continue;
      const amount = rng.int(100, Math.min(left, 4000));
      const response = await (await coordinator()).post(`/coordinator/orders/${order.number}/refund`, { amount: fenToYuanInput(amount), reason: '包装破损，部分退款' }, { csrfFrom: '/coordinator' });
      expect(response.statusCode).toBe(303);
    } else if (action === 'payout') {
      const max = owed();
      if (max < 1) continue;
      const amount = rng.int(1, max);
      const response = await (await coordinator()).post(
        '/coordinator/payouts',
        { householdId: String(wang), amount: fenToYuanInput(amount), method: rng.pick(['bank_transfer', 'wechat', 'cash']), reference: `R-${i}`, paidOn: formatDate(ctx.clock.now) },
        { csrfFrom: '/coordinator' },
      );
      expect(response.statusCode).toBe(303);
    } else {
      const open = ctx.db.sqlite
        .prepare(`SELECT p.id FROM payouts p WHERE p.reverses_payout_id IS NULL AND NOT EXISTS (SELECT 1 FROM payouts r WHERE r.reverses_payout_id = p.id)`)
        .all() as { id: number }[];
      if (open.length === 0) continue;
      const response = await (await coordinator()).post(`/coordinator/payouts/${rng.pick(open).id}/reverse`, { note: '付错了，冲销' }, { csrfFrom: '/coordinator' });
      expect(response.statusCode).toBe(303);
    }
  }
  return rng;
}

describe('statement arithmetic', () => {
  it.each([11, 2024, 77_777])('holds opening + earnings − refunds − payouts = closing on a random history (seed %i)', async (seed) => {
    const first = formatDate(ctx.clock.now);
    const rng = await randomHistory(seed, 22);
    const last = formatDate(ctx.clock.now);
    const kinds = (ctx.db.sqlite.prepare(`SELECT DISTINCT kind FROM ledger_transactions`).all() as { kind: string }[]).map((k) => k.kind);
    expect(kinds).toEqual(expect.arrayContaining(['order_payment', 'refund', 'payout', 'payout_reversal']));
    const reports = createLedgerReports(ctx.db);
    const browser = await coordinator();

    // Consecutive weekly periods from before the first sale to after the last event: each closes where the next opens.
    let from = startOfDay(first)! - 3 * DAY;
    let previousClosing = 0;
    let totals = { earnings: 0, refunds: 0, payouts: 0 };
    while (from <= startOfDay(last)! + DAY) {
      const to = from + rng.int(3, 12) * DAY;
      const response = await browser.get(`/coordinator/households/${wang}/statement?from=${formatDate(from)}&to=${formatDate(to - DAY)}`);
      expect(response.statusCode).toBe(200);
      const s = summaryOf(response.body);
      expect(s.opening + s.earnings - s.refunds - s.payouts).toBe(s.closing);
      expect(s.opening).toBe(previousClosing);
      expect(s.opening).toBe(reports.householdBalance(wang, from).owedFen);
      expect(s.closing).toBe(reports.householdBalance(wang, to).owedFen);
      totals = { earnings: totals.earnings + s.earnings, refunds: totals.refunds + s.refunds, payouts: totals.payouts + s.payouts };
      previousClosing = s.closing;
      from = to;
    }
    // Over all periods: the household's lifetime figures.
    const balance = reports.householdBalance(wang);
    expect(previousClosing).toBe(balance.owedFen);
    expect(totals).toEqual({ earnings: balance.earnedFen, refunds: balance.refundedFen, payouts: balance.paidOutFen });

    // Random, overlapping periods agree with the ledger too, and the CSV's lines add up the same way.
    for (let i = 0; i < 4; i++) {
      const a = startOfDay(first)! + rng.int(-2, 20) * DAY;
      const b = a + rng.int(0, 30) * DAY;
      const query = `from=${formatDate(a)}&to=${formatDate(b)}`;
      const s = summaryOf((await browser.get(`/coordinator/households/${wang}/statement?${query}`)).body);
      expect(s.opening + s.earnings - s.refunds - s.payouts).toBe(s.closing);
      expect(s.closing).toBe(reports.householdBalance(wang, b + DAY).owedFen);
      const csv = (await browser.get(`/coordinator/households/${wang}/statement.csv?${query}`)).body.replace(/^\uFEFF/, '').trim().split('\r\n');
      const rows = csv.slice(1).map((line) => line.split(','));
      const cents = (text: string) => Math.round(Number(text) * 100);
      expect(cents(rows[0]!.at(-1)!)).toBe(s.opening);
      expect(cents(rows.at(-1)!.at(-1)!)).toBe(s.closing);
      const lineSum = rows.slice(1, -1).reduce((sum, r) => sum + cents(r.at(-2)!), 0);
      expect(s.opening + lineSum).toBe(s.closing);
    }
  });
});

describe('the statement page', () => {
  it('shows the current month (CST) by default, with the household’s real name, each line and a print link', async () => {
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    const browser = await coordinator();
    const response = await browser.get(`/coordinator/households/${wang}/statement`);
    expect(response.statusCode).toBe(200);
    const month = formatDate(ctx.clock.now).slice(0, 7);
    expect(response.body).toMatch(new RegExp(`结算期间：${month}-01 至 ${month}-(28|29|30|31)`));
    expect(response.body).toContain('户主：王秀兰');
    expect(response.body).toContain('<link rel="stylesheet" href="/static/css/print.css" media="print">');
    expect(response.body).toMatch(/<tr data-line="earning"><th scope="row">[\d-]+<\/th><td>收入<\/td><td>XY-\d{8}-\d{4}<\/td><td>煤窑沟土蜂蜜<\/td><td>订单收益分成<\/td><td class="num">¥129.20<\/td><td class="num">¥129.20<\/td><\/tr>/);
    expect(response.body).toContain(`href="/coordinator/households/${wang}/statement.pdf?from&#x3D;${month}-01&amp;to&#x3D;`);
    expect(summaryOf(response.body)).toEqual({ opening: 0, earnings: 12920, refunds: 0, payouts: 0, closing: 12920 });
  });

  it('answers 400 to dates that are not real or a period that ends before it starts', async () => {
    const browser = await coordinator();
    for (const query of ['from=2026-02-30&to=2026-03-10', 'from=2026-03-10&to=2026-03-01', 'from=yesterday', 'to=2026-13-01']) {
      for (const suffix of ['', '.csv', '.pdf']) {
        const response = await browser.get(`/coordinator/households/${wang}/statement${suffix}?${query}`);
        expect(response.statusCode, `${suffix} ${query}`).toBe(400);
      }
    }
    expect((await browser.get(`/coordinator/households/${wang}/statement?from=2026-02-30`)).body).toContain('结算期间有误');
  });

  it('is not found for a coordinator of other projects, in every format', async () => {
    await createScopedCoordinator(ctx.db, 'chicks@xiangyi.test', ['xiaoji-kuaipao']);
    const chicks = await signIn(ctx.app, 'chicks@xiangyi.test', STAFF_PASSWORD);
    for (const suffix of ['', '.csv', '.pdf']) expect((await chicks.get(`/coordinator/households/${wang}/statement${suffix}`)).statusCode).toBe(404);
    expect((await chicks.get('/coordinator/households/999999/statement')).statusCode).toBe(404);
  });
});

describe('the statement CSV', () => {
  it('starts with the UTF-8 byte-order mark and has the columns, amounts in yuan and the Chinese intact', async () => {
    const order = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    advance(3_600_000);
    const browser = await coordinator();
    await browser.post('/coordinator/payouts', { householdId: String(wang), amount: '100', method: 'cash', reference: '收据=007, 王秀兰签字', paidOn: formatDate(ctx.clock.now) }, { csrfFrom: '/coordinator' });
    const response = await browser.get(`/coordinator/households/${wang}/statement.csv`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="statement-household-\d+-[\d-]+-[\d-]+\.csv"$/);
    expect([...response.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = response.rawPayload.subarray(3).toString('utf8').split('\r\n');
    expect(lines[0]).toBe('日期,类型,订单号,商品,说明,金额（元）,结余（元）');
    expect(lines[1]).toMatch(/^\d{4}-\d{2}-01,期初结余,,,结算期间：[\d-]+ 至 [\d-]+,,0\.00$/);
    expect(lines[2]).toMatch(new RegExp(`^\\d{4}-\\d{2}-\\d{2},收入,${order.number},煤窑沟土蜂蜜,订单收益分成,129\\.20,129\\.20$`));
    // Text with a comma is quoted, so the columns stay put in Excel.
    expect(lines[3]).toMatch(/^\d{4}-\d{2}-\d{2},付款,,,"现金付款，付款日 [\d-]+，流水号 收据=007, 王秀兰签字",-100\.00,29\.20$/);
    expect(lines[4]).toMatch(/^\d{4}-\d{2}-\d{2},期末结余,,,,,29\.20$/);
    expect(lines[5]).toBe('');
  });
});

const hasPdftotext = (() => {
  try {
    execFileSync('pdftotext', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('the statement PDF', () => {
  it('is a PDF with the household’s name and figures in Chinese (text read back with pdftotext)', async () => {
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    const browser = await coordinator();
    const response = await browser.get(`/coordinator/households/${wang}/statement.pdf`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(response.rawPayload.toString('latin1')).toContain('NotoSansCJK');
    if (!hasPdftotext) throw new Error('pdftotext (poppler-utils) is needed to read the PDF back: apt-get install -y poppler-utils');
    const text = execFileSync('pdftotext', ['-layout', '-', '-'], { input: response.rawPayload }).toString('utf8');
    expect(text).toContain('户主：王秀兰');
    expect(text).toContain('农户收益结算单');
    expect(text).toMatch(/期末结余\s+¥64\.60/);
    expect(text).toContain('煤窑沟土蜂蜜');
  });

  it('runs over several pages, each with the household’s name and its page number', async () => {
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 3 }]);
    const browser = await coordinator();
    const token = await browser.csrfToken('/coordinator');
    for (let i = 0; i < 70; i++) {
      const response = await browser.post('/coordinator/payouts', { _csrf: token, householdId: String(wang), amount: '1', method: 'cash', reference: `分批-${i}`, paidOn: formatDate(ctx.clock.now) });
      expect(response.statusCode).toBe(303);
    }
    const response = await browser.get(`/coordinator/households/${wang}/statement.pdf`);
    expect(response.statusCode).toBe(200);
    if (!hasPdftotext) throw new Error('pdftotext (poppler-utils) is needed to read the PDF back: apt-get install -y poppler-utils');
    const pages = execFileSync('pdftotext', ['-layout', '-', '-'], { input: response.rawPayload }).toString('utf8').split('\f').filter((p) => p.trim());
    expect(pages.length).toBeGreaterThanOrEqual(2);
    pages.forEach((text, i) => expect(text).toMatch(new RegExp(`王秀兰 · [\\d-]+–[\\d-]+ · 第 ${i + 1} 页`)));
    expect(pages.at(-1)).toMatch(/期末结余\s+123\.80/);
  });

  it('is in English for an English-speaking coordinator', async () => {
    const browser = await coordinator();
    await browser.get('/coordinator?lang=en');
    const response = await browser.get(`/coordinator/households/${wang}/statement.pdf`);
    expect(response.statusCode).toBe(200);
    if (!hasPdftotext) return;
    const text = execFileSync('pdftotext', ['-', '-'], { input: response.rawPayload }).toString('utf8');
    expect(text).toContain('Head of household: 王秀兰');
    expect(text).toContain('Closing balance');
  });

  it('refuses with a clear 503 rather than a broken PDF when no CJK font is installed', () => {
    let error: unknown;
    try {
      loadCjkFont([{ path: '/nonexistent/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' }]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(503);
    expect((error as AppError).code).toBe('statement_font_missing');
  });
});
