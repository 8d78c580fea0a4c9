import { execFileSync } from 'node:child_process';
import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sessions } from '../../src/accounts/schema.js';
import { ledgerTransactions } from '../../src/ledger/schema.js';
import { orders as orderTable } from '../../src/orders/schema.js';
import { loadCjkFont } from '../../src/coordinator/statement-export.js';
import { AppError } from '../../src/errors.js';
import { createLedgerReports } from '../../src/ledger/ledger-reports.js';
import { STATEMENT_PAGE_LINES } from '../../src/ledger/household-statements.js';
import { checkLedger, createLedgerService } from '../../src/ledger/ledger-service.js';
import { fenToYuanInput } from '../../src/money.js';
import { formatDate, startOfDay } from '../../src/time.js';
import { signIn, type TestBrowser } from '../helpers/auth.js';
import { rowOf, rowsOf, writeOf } from '../helpers/db-query.js';
import { placePaidOrder } from '../helpers/orders.js';
import { approveNewestPayoutRequest } from '../helpers/payout-approvals.js';
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
  wang = await householdIdOf(ctx.db, '王秀兰');
});

afterEach(async () => {
  expect((await checkLedger(ctx.db)).problems).toEqual([]);
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
async function advance(ms: number) {
  ctx.clock.advance(ms);
  const until = ctx.clock.now + 3_600_000;
  await writeOf(ctx.db, (tx) =>
    tx.update(sessions).set({
      lastSeenAt: ctx.clock.now,
      expiresAt: sql`CASE WHEN ${sessions.expiresAt} > ${until} THEN ${sessions.expiresAt} ELSE ${until} END`,
    }),
  );
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

const owed = async () => (await createLedgerReports(ctx.db).householdBalance(wang)).owedFen;

/**
 * A history for 王秀兰 over several weeks: honey (hers alone) and eggs (her cooperative's) sold,
 * parts of orders refunded, payouts of random amounts up to what is owed, some reversed.
 */
async function randomHistory(seed: number, steps: number) {
  const rng = random(seed);
  const orders: { number: string; orderId: number }[] = [];
  for (let i = 0; i < steps; i++) {
    await advance(rng.int(0, 6) * DAY + rng.int(0, 23) * 3_600_000);
    const action = i < 2 ? 'sale' : rng.pick(['sale', 'sale', 'refund', 'payout', 'payout', 'reverse'] as const);
    if (action === 'sale') {
      const items =
        rng.next() < 0.7
          ? [{ slug: 'meiyaogou-honey', quantity: rng.int(1, 3) }]
          : [
              { slug: 'meiyaogou-honey', quantity: 1 },
              { slug: 'meiyaogou-eggs', quantity: rng.int(1, 2) },
            ];
      orders.push(await placePaidOrder(ctx, items));
    } else if (action === 'refund') {
      const order = rng.pick(orders);
      const row = (await rowOf(ctx.db, (tx) =>
        tx.select({ total: orderTable.totalFen, refunded: orderTable.refundedFen }).from(orderTable).where(eq(orderTable.id, order.orderId)),
      ))!;
      const left = row.total - row.refunded;
      if (left < 100) continue;
      const amount = rng.int(100, Math.min(left, 4000));
      const response = await (await coordinator()).post(
        `/coordinator/orders/${order.number}/refund`,
        { amount: fenToYuanInput(amount), reason: '包装破损，部分退款' },
        { csrfFrom: '/coordinator' },
      );
      expect(response.statusCode).toBe(303);
    } else if (action === 'payout') {
      const max = await owed();
      if (max < 1) continue;
      const amount = rng.int(1, max);
      const response = await (await coordinator()).post(
        '/coordinator/payouts',
        {
          householdId: String(wang),
          amount: fenToYuanInput(amount),
          method: rng.pick(['bank_transfer', 'wechat', 'cash']),
          reference: `R-${i}`,
          paidOn: formatDate(ctx.clock.now),
        },
        { csrfFrom: '/coordinator' },
      );
      expect(response.statusCode).toBe(303);
      // A payout above the approval threshold posts once a second coordinator approves it.
      if (response.headers.location?.toString().endsWith('#payout-requests')) expect((await approveNewestPayoutRequest(ctx)).statusCode).toBe(303);
    } else {
      const open = await rowsOf<{ id: number }>(
        ctx.db,
        sql`SELECT p.id FROM payouts p WHERE p.reverses_payout_id IS NULL AND NOT EXISTS (SELECT 1 FROM payouts r WHERE r.reverses_payout_id = p.id)`,
      );
      if (open.length === 0) continue;
      const response = await (await coordinator()).post(
        `/coordinator/payouts/${rng.pick(open).id}/reverse`,
        { note: '付错了，冲销' },
        { csrfFrom: '/coordinator' },
      );
      expect(response.statusCode).toBe(303);
      // Every reversal posts once a second coordinator approves it.
      expect((await approveNewestPayoutRequest(ctx)).statusCode).toBe(303);
    }
  }
  return rng;
}

describe('statement arithmetic', () => {
  it.each([11, 2024, 77_777])('holds opening + earnings − refunds − payouts = closing on a random history (seed %i)', async (seed) => {
    const first = formatDate(ctx.clock.now);
    const rng = await randomHistory(seed, 22);
    const last = formatDate(ctx.clock.now);
    const kinds = (await rowsOf(ctx.db, (tx) => tx.selectDistinct({ kind: ledgerTransactions.kind }).from(ledgerTransactions))).map((k) => k.kind);
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
      expect(s.opening).toBe((await reports.householdBalance(wang, from)).owedFen);
      expect(s.closing).toBe((await reports.householdBalance(wang, to)).owedFen);
      totals = { earnings: totals.earnings + s.earnings, refunds: totals.refunds + s.refunds, payouts: totals.payouts + s.payouts };
      previousClosing = s.closing;
      from = to;
    }
    // Over all periods: the household's lifetime figures.
    const balance = await reports.householdBalance(wang);
    expect(previousClosing).toBe(balance.owedFen);
    expect(totals).toEqual({ earnings: balance.earnedFen, refunds: balance.refundedFen, payouts: balance.paidOutFen });

    // Random, overlapping periods agree with the ledger too, and the CSV's lines add up the same way.
    for (let i = 0; i < 4; i++) {
      const a = startOfDay(first)! + rng.int(-2, 20) * DAY;
      const b = a + rng.int(0, 30) * DAY;
      const query = `from=${formatDate(a)}&to=${formatDate(b)}`;
      const s = summaryOf((await browser.get(`/coordinator/households/${wang}/statement?${query}`)).body);
      expect(s.opening + s.earnings - s.refunds - s.payouts).toBe(s.closing);
      expect(s.closing).toBe((await reports.householdBalance(wang, b + DAY)).owedFen);
      const csv = (await browser.get(`/coordinator/households/${wang}/statement.csv?${query}`)).body
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\r\n');
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
    expect(response.body).toMatch(
      /<tr data-line="earning"><th scope="row">[\d-]+<\/th><td>收入<\/td><td>XY-\d{8}-\d{4}<\/td><td>煤窑沟土蜂蜜<\/td><td>订单收益分成<\/td><td class="num">¥129.20<\/td><td class="num">¥129.20<\/td><\/tr>/,
    );
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
    await advance(3_600_000);
    const browser = await coordinator();
    await browser.post(
      '/coordinator/payouts',
      { householdId: String(wang), amount: '100', method: 'cash', reference: '收据=007, 王秀兰签字', paidOn: formatDate(ctx.clock.now) },
      { csrfFrom: '/coordinator' },
    );
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
      const response = await browser.post('/coordinator/payouts', {
        _csrf: token,
        householdId: String(wang),
        amount: '1',
        method: 'cash',
        reference: `分批-${i}`,
        paidOn: formatDate(ctx.clock.now),
      });
      expect(response.statusCode).toBe(303);
    }
    const response = await browser.get(`/coordinator/households/${wang}/statement.pdf`);
    expect(response.statusCode).toBe(200);
    if (!hasPdftotext) throw new Error('pdftotext (poppler-utils) is needed to read the PDF back: apt-get install -y poppler-utils');
    const pages = execFileSync('pdftotext', ['-layout', '-', '-'], { input: response.rawPayload })
      .toString('utf8')
      .split('\f')
      .filter((p) => p.trim());
    expect(pages.length).toBeGreaterThanOrEqual(2);
    pages.forEach((text, i) => {
      expect(text).toMatch(new RegExp(`王秀兰 · [\\d-]+–[\\d-]+ · 第 ${i + 1} 页`));
    });
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

describe('a long statement, page by page', () => {
  /** Posts `n` earnings (and every seventh a refund) to 王秀兰's account, a minute apart. */
  async function postLines(n: number): Promise<{ amounts: number[]; from: string; to: string }> {
    const ledger = createLedgerService(ctx.db, { clock: () => ctx.clock.now });
    const from = formatDate(ctx.clock.now);
    const amounts: number[] = [];
    for (let i = 0; i < n; i++) {
      const refund = i % 7 === 6;
      const fen = 100 + ((i * 37) % 900);
      await ledger.post({
        idempotencyKey: `test:long-statement:${i}`,
        kind: refund ? 'refund' : 'order_payment',
        entries: [
          { account: { kind: 'clearing', channel: 'bank' }, amountFen: refund ? -fen : fen },
          { account: { kind: 'household_payable', householdId: wang }, amountFen: refund ? fen : -fen },
        ],
      });
      amounts.push(refund ? -fen : fen);
      await advance(60_000);
    }
    return { amounts, from, to: formatDate(ctx.clock.now) };
  }

  /** The lines of one statement page: their type, amount and balance (fen), and the rows around them. */
  function pageOf(html: string) {
    const rows = [...html.matchAll(/<tr data-line="([a-z_-]+)">(.*?)<\/tr>/g)].map((m) => {
      const nums = [...m[2]!.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((n) => n[1]!);
      return { type: m[1]!, amount: nums.length === 2 && nums[0] ? fenOf(nums[0]) : null, balance: fenOf(nums.at(-1)!) };
    });
    return {
      lines: rows.filter((r) => r.type !== 'brought-forward' && r.type !== 'carried-forward'),
      broughtForward: rows.find((r) => r.type === 'brought-forward')?.balance ?? null,
      carriedForward: rows.find((r) => r.type === 'carried-forward')?.balance ?? null,
      pageOf: /第 (\d+) 页，共 (\d+) 页/.exec(html)?.slice(1).map(Number) ?? null,
      next:
        /<a rel="next" href="([^"]+)"/
          .exec(html)?.[1]
          ?.replace(/&amp;/g, '&')
          .replace(/&#x3D;/g, '=') ?? null,
    };
  }

  it('shows 200 lines a page, each page carrying its balance forward to the next, and the closing balance on the last', async () => {
    const { amounts, from, to } = await postLines(2 * STATEMENT_PAGE_LINES + 37);
    const browser = await coordinator();
    const base = `/coordinator/households/${wang}/statement?from=${from}&to=${to}`;
    const first = (await browser.get(base)).body;
    const summary = summaryOf(first);
    expect(summary.opening + summary.earnings - summary.refunds).toBe(summary.closing);
    expect(first).toContain(`第 1–${STATEMENT_PAGE_LINES} 笔，共 ${amounts.length} 笔`);

    const seen: number[] = [];
    let url: string | null = base;
    let carried = summary.opening;
    const pages: ReturnType<typeof pageOf>[] = [];
    while (url) {
      const response = await browser.get(url);
      expect(response.statusCode).toBe(200);
      const page = pageOf(response.body);
      pages.push(page);
      // Each page starts from where the one before it ended.
      if (pages.length > 1) expect(page.broughtForward).toBe(carried);
      let balance = carried;
      for (const line of page.lines) {
        balance += line.amount!;
        expect(line.balance).toBe(balance);
        seen.push(line.amount!);
      }
      if (page.carriedForward !== null) expect(page.carriedForward).toBe(balance);
      carried = balance;
      url = page.next;
    }
    expect(pages.map((p) => p.lines.length)).toEqual([STATEMENT_PAGE_LINES, STATEMENT_PAGE_LINES, 37]);
    expect(pages.map((p) => p.pageOf)).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    expect(pages.at(-1)!.carriedForward).toBeNull();
    expect(seen).toEqual(amounts);
    expect(carried).toBe(summary.closing);
    // The last page ends on the closing balance; every page shows the period's whole summary.
    const last = (await browser.get(`${base}&page=3`)).body;
    expect(last).toMatch(new RegExp(`<td>期末结余</td><td></td><td></td><td></td><td></td><td class="num">${fenToMoney(summary.closing)}</td>`));
    expect(summaryOf(last)).toEqual(summary);
  });

  it('shows the last page for a page past the end, and answers 400 to a page that is not a whole number from 1', async () => {
    const { from, to } = await postLines(STATEMENT_PAGE_LINES + 1);
    const browser = await coordinator();
    const base = `/coordinator/households/${wang}/statement?from=${from}&to=${to}`;
    const past = pageOf((await browser.get(`${base}&page=99`)).body);
    expect(past.pageOf).toEqual([2, 2]);
    expect(past.lines).toHaveLength(1);
    for (const page of ['0', '-1', '1.5', 'two', '9999999']) expect((await browser.get(`${base}&page=${page}`)).statusCode, `page=${page}`).toBe(400);
  });

  it('lists only the latest 50 earnings and refunds on the household page, newest first, pointing to the statement for the rest', async () => {
    const { amounts } = await postLines(120);
    const html = (await (await coordinator()).get(`/coordinator/households/${wang}`)).body;
    const earned = [...html.matchAll(/<tr data-earning>.*?<td class="num">([^<]*)<\/td>/g)].map((m) => fenOf(m[1]!));
    const refunded = [...html.matchAll(/<tr data-refund>.*?<td class="num">([^<]*)<\/td>/g)].map((m) => fenOf(m[1]!));
    expect(earned).toEqual(
      amounts
        .filter((a) => a > 0)
        .reverse()
        .slice(0, 50),
    );
    expect(refunded).toEqual(
      amounts
        .filter((a) => a < 0)
        .map((a) => -a)
        .reverse()
        .slice(0, 50),
    );
    expect(html).toContain('这里按时间倒序列出最近 50 笔收入和退款。');
    expect(html).toContain(`<a href="/coordinator/households/${wang}/statement">全部明细见结算单</a>`);
  });

  it('keeps every line in the CSV', async () => {
    const { amounts, from, to } = await postLines(STATEMENT_PAGE_LINES + 5);
    const csv = (await (await coordinator()).get(`/coordinator/households/${wang}/statement.csv?from=${from}&to=${to}&page=1`)).body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    // Header, opening, every line, closing.
    expect(csv).toHaveLength(amounts.length + 3);
  });
});

/** fen → "¥1,234.50" as the page shows it. */
function fenToMoney(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}¥${Math.floor(abs / 100).toLocaleString('en-US')}.${String(abs % 100).padStart(2, '0')}`;
}
