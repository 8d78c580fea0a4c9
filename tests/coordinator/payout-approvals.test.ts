import { asc, desc, eq, inArray, like, type SQL, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { users } from '../../src/accounts/schema.js';
import { auditLog } from '../../src/audit/schema.js';
import { ledgerTransactions, payoutRequests, payouts } from '../../src/ledger/schema.js';
import { createLedgerReports } from '../../src/ledger/ledger-reports.js';
import { checkLedger } from '../../src/ledger/ledger-service.js';
import { formatDate } from '../../src/time.js';
import { signIn, type TestBrowser } from '../helpers/auth.js';
import { countOf, rowOf, rowsOf } from '../helpers/db-query.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createCoordinatorOfAllProjects, createScopedCoordinator, householdIdOf, STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Two-person payouts: with the approval threshold at ¥100, a payout above it and every reversal
 * become requests that a second coordinator approves (posting them) or rejects (posting nothing).
 * 王秀兰 alone produces 煤窑沟土蜂蜜 (¥68.00, project 煤窑沟产业扶贫, 95% to households).
 */

let ctx: TestContext;
let first: TestBrowser;
let second: TestBrowser;
let wang: number;

beforeEach(async () => {
  ctx = await createTestApp({ env: { PAYOUT_APPROVAL_THRESHOLD_YUAN: '100' } });
  first = await signIn(ctx.app, 'coordinator@xiangyi.test');
  await createCoordinatorOfAllProjects(ctx.db, 'second@xiangyi.test');
  second = await signIn(ctx.app, 'second@xiangyi.test', STAFF_PASSWORD);
  wang = await householdIdOf(ctx.db, '王秀兰');
  // Four honeys: ¥272.00 of sales, 95% = ¥258.40 owed to 王秀兰.
  await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 4 }]);
  expect(await owed()).toBe(25840);
});

afterEach(async () => {
  expect((await checkLedger(ctx.db)).problems).toEqual([]);
  await ctx.close();
});

const count = (table: Parameters<typeof countOf>[1], where?: SQL) => countOf(ctx.db, table, where);
const payoutRows = () => count(payouts);
const postings = () => count(ledgerTransactions, inArray(ledgerTransactions.kind, ['payout', 'payout_reversal']));
const owed = async () => (await createLedgerReports(ctx.db).householdBalance(wang)).owedFen;
/** The newest payout request's row, by its column names. */
const lastRequest = async () => (await rowOf<Record<string, unknown> & { id: number }>(ctx.db, sql`SELECT * FROM payout_requests ORDER BY id DESC LIMIT 1`))!;
const fieldError = (html: string, field: string) => new RegExp(`<p class="field-error" id="e-${field}">([^<]*)</p>`).exec(html)?.[1] ?? null;
/** The payout audit entries, oldest first, each with its summary's `after` as JSON. */
const auditActions = async () =>
  (
    await rowsOf(ctx.db, (tx) =>
      tx
        .select({ action: auditLog.action, userId: auditLog.userId, summary: auditLog.summary })
        .from(auditLog)
        .where(like(auditLog.action, 'payout%'))
        .orderBy(asc(auditLog.id)),
    )
  ).map(({ summary, ...entry }) => ({ ...entry, after: JSON.stringify((JSON.parse(summary) as { after: unknown }).after) }));
const userId = async (email: string) => (await rowOf(ctx.db, (tx) => tx.select({ id: users.id }).from(users).where(eq(users.email, email))))!.id;
const onlyPayoutId = async () => (await rowOf(ctx.db, (tx) => tx.select({ id: payouts.id }).from(payouts)))!.id;

function payout(amount: string, browser = first) {
  return browser.post(
    '/coordinator/payouts',
    { householdId: String(wang), amount, method: 'bank_transfer', reference: 'ABC-1', paidOn: formatDate(ctx.clock.now) },
    { csrfFrom: '/coordinator' },
  );
}
const approve = (id: number, browser = second) =>
  browser.post(`/coordinator/payout-requests/${id}/approve`, {}, { csrfFrom: `/coordinator/payout-requests/${id}` });
const reject = (id: number, reason: string, browser = second) =>
  browser.post(`/coordinator/payout-requests/${id}/reject`, { reason }, { csrfFrom: `/coordinator/payout-requests/${id}` });

describe('the approval threshold', () => {
  it('posts a payout of exactly the threshold at once, and turns one fen more into a request that posts nothing', async () => {
    expect((await payout('100.00')).statusCode).toBe(303);
    expect({ payouts: await payoutRows(), postings: await postings(), requests: await count(payoutRequests) }).toEqual({
      payouts: 1,
      postings: 1,
      requests: 0,
    });

    const asked = await payout('100.01');
    expect(asked.statusCode).toBe(303);
    expect(asked.headers.location).toBe(`/coordinator/households/${wang}#payout-requests`);
    expect({ payouts: await payoutRows(), postings: await postings() }).toEqual({ payouts: 1, postings: 1 });
    expect(await lastRequest()).toMatchObject({
      kind: 'payout',
      status: 'pending',
      amount_fen: 10001,
      household_id: wang,
      requested_by_user_id: await userId('coordinator@xiangyi.test'),
    });
    expect(await owed()).toBe(15840);
    const page = await first.get(`/coordinator/households/${wang}`);
    expect(page.body).toContain('付款 ¥100.01 超过了需要审批的金额，已提交申请');
    expect(page.body).toMatch(/<li data-payout-request="\d+">[^<]*¥100.01[^<]*您提交的/);
    expect(/<p class="hint" data-pending>([^<]*)<\/p>/.exec(page.body)?.[1]).toBe('其中 ¥100.01 已被等待审批的付款申请占用，现在最多可付 ¥58.39。');
  });
});

describe('a second coordinator deciding', () => {
  it('approves a request: it posts once, the request names both people, and the audit log has the request, the approval and both people', async () => {
    await payout('150');
    const id = (await lastRequest()).id;
    const list = await second.get('/coordinator/payout-requests');
    expect(list.statusCode).toBe(200);
    expect(list.body).toMatch(new RegExp(`<section[^>]*data-requests="waiting">[\\s\\S]*?<tr data-payout-request="${id}">[\\s\\S]*?王秀兰[\\s\\S]*?¥150.00`));
    const review = await second.get(`/coordinator/payout-requests/${id}`);
    expect(review.body).toContain('批准后立即记账：王秀兰 的待付金额减少 ¥150.00');
    expect(review.body).toContain(`action="/coordinator/payout-requests/${id}/approve"`);
    expect(await postings()).toBe(1 - 1);

    const approved = await approve(id);
    expect(approved.statusCode).toBe(303);
    expect(approved.headers.location).toBe('/coordinator/payout-requests');
    expect(await owed()).toBe(25840 - 15000);
    expect({ payouts: await payoutRows(), postings: await postings() }).toEqual({ payouts: 1, postings: 1 });
    const request = await lastRequest();
    const payoutId = await onlyPayoutId();
    expect(request).toMatchObject({ status: 'approved', decided_by_user_id: await userId('second@xiangyi.test'), payout_id: payoutId });
    expect(await rowOf(ctx.db, (tx) => tx.select({ by: payouts.createdByUserId }).from(payouts))).toEqual({ by: await userId('coordinator@xiangyi.test') });

    const audit = await auditActions();
    expect(audit.map((a) => [a.action, a.userId])).toEqual([
      ['payout_request.create', await userId('coordinator@xiangyi.test')],
      ['payout.create', await userId('second@xiangyi.test')],
      ['payout_request.approve', await userId('second@xiangyi.test')],
    ]);
    expect(JSON.parse(audit[2]!.after)).toMatchObject({
      requestedByUserId: await userId('coordinator@xiangyi.test'),
      approvedByUserId: await userId('second@xiangyi.test'),
      payoutId,
    });
    expect((await second.get('/coordinator/payout-requests')).body).toContain('已批准申请');
  });

  it('refuses approving or rejecting one’s own request with 403, and posts nothing', async () => {
    await payout('150');
    const id = (await lastRequest()).id;
    const review = await first.get(`/coordinator/payout-requests/${id}`);
    expect(review.body).toContain('这是您自己提交的申请，需要另一位协调员审批。');
    expect(review.body).not.toContain(`action="/coordinator/payout-requests/${id}/approve"`);
    expect((await first.get('/coordinator/payout-requests')).body).toMatch(new RegExp(`data-requests="mine">[\\s\\S]*?data-payout-request="${id}"`));

    const own = await approve(id, first);
    expect(own.statusCode).toBe(403);
    expect(own.body).toContain('不能审批自己提交的申请');
    expect((await reject(id, '不想付了', first)).statusCode).toBe(403);
    expect(await lastRequest()).toMatchObject({ status: 'pending', decided_by_user_id: null });
    expect({ payouts: await payoutRows(), postings: await postings() }).toEqual({ payouts: 0, postings: 0 });
  });

  it('rejects a request with a reason: nothing posts, and what it held back can be paid again', async () => {
    await payout('200');
    const id = (await lastRequest()).id;
    expect((await payout('100.00')).statusCode).toBe(422);

    const noReason = await reject(id, '  ');
    expect(noReason.statusCode).toBe(422);
    expect(fieldError(noReason.body, 'reason')).toBe('请填写驳回原因。');
    expect((await lastRequest()).status).toBe('pending');

    const rejected = await reject(id, '账号不对');
    expect(rejected.statusCode).toBe(303);
    expect(await lastRequest()).toMatchObject({
      status: 'rejected',
      decision_note: '账号不对',
      decided_by_user_id: await userId('second@xiangyi.test'),
      payout_id: null,
    });
    expect({ payouts: await payoutRows(), postings: await postings() }).toEqual({ payouts: 0, postings: 0 });
    expect(await owed()).toBe(25840);
    expect((await auditActions()).map((a) => a.action)).toEqual(['payout_request.create', 'payout_request.reject']);
    expect(JSON.parse((await auditActions())[1]!.after)).toMatchObject({
      reason: '账号不对',
      requestedByUserId: await userId('coordinator@xiangyi.test'),
      rejectedByUserId: await userId('second@xiangyi.test'),
    });
    // Decided once: approving it now is refused, and still posts nothing.
    const late = await approve(id);
    expect(late.statusCode).toBe(409);
    expect(late.body).toContain('这份申请已经处理过了。');
    expect(await postings()).toBe(0);
    expect((await payout('100.00')).statusCode).toBe(303);
  });

  it('posts once when two coordinators approve the same request at the same moment', async () => {
    await payout('150');
    const id = (await lastRequest()).id;
    await createCoordinatorOfAllProjects(ctx.db, 'third@xiangyi.test');
    const third = await signIn(ctx.app, 'third@xiangyi.test', STAFF_PASSWORD);
    const [a, b] = await Promise.all([approve(id, second), approve(id, third)]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([303, 409]);
    expect({ payouts: await payoutRows(), postings: await postings() }).toEqual({ payouts: 1, postings: 1 });
    expect(await owed()).toBe(25840 - 15000);
    expect((await auditActions()).filter((x) => x.action === 'payout_request.approve')).toHaveLength(1);
  });

  it('hides a request from a coordinator of other projects (404) and refuses one who sees the household but not all of the money (403)', async () => {
    await payout('150');
    const id = (await lastRequest()).id;
    await createScopedCoordinator(ctx.db, 'chicks@xiangyi.test', ['xiaoji-kuaipao']);
    const chicks = await signIn(ctx.app, 'chicks@xiangyi.test', STAFF_PASSWORD);
    expect((await chicks.get(`/coordinator/payout-requests/${id}`)).statusCode).toBe(404);
    expect((await chicks.get('/coordinator/payout-requests')).body).not.toContain(`data-payout-request="${id}"`);
    expect((await approve(id, chicks)).statusCode).toBe(404);

    // 王秀兰 earns from 扶贫先扶志 too (eggs): a coordinator of 扶贫先扶志 sees her, but the request pays 煤窑沟产业扶贫’s money.
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-eggs', quantity: 2 }]);
    await createScopedCoordinator(ctx.db, 'fupin@xiangyi.test', ['fupin-xianfuzhi']);
    const fupin = await signIn(ctx.app, 'fupin@xiangyi.test', STAFF_PASSWORD);
    expect((await fupin.get(`/coordinator/households/${wang}`)).statusCode).toBe(200);
    const refused = await approve(id, fupin);
    expect([403, 404]).toContain(refused.statusCode);
    expect((await lastRequest()).status).toBe('pending');
    expect(await postings()).toBe(0);
  });
});

describe('what pending requests hold back', () => {
  it('does not let two requests together ask for more than is owed, nor a payout beside them', async () => {
    expect((await payout('150')).statusCode).toBe(303);
    const second150 = await payout('150');
    expect(second150.statusCode).toBe(422);
    expect(fieldError(second150.body, 'amount')).toBe('有付款申请正在等待审批，占用了 ¥150.00：现在最多可付 ¥108.40。');
    expect(await count(payoutRequests)).toBe(1);
    expect((await payout('108.41')).statusCode).toBe(422);
    expect((await payout('108.40')).statusCode).toBe(303);
    expect(await count(payoutRequests)).toBe(2);
    expect((await payout('0.01')).statusCode).toBe(422);
    // Both approved: exactly what was owed is paid, never more.
    const ids = (await rowsOf(ctx.db, (tx) => tx.select({ id: payoutRequests.id }).from(payoutRequests).orderBy(asc(payoutRequests.id)))).map((r) => r.id);
    for (const id of ids) expect((await approve(id)).statusCode).toBe(303);
    expect(await owed()).toBe(0);
  });
});

describe('reversals', () => {
  it('always need a second coordinator, even of a small payout; the request posts nothing until approved', async () => {
    expect((await payout('20')).statusCode).toBe(303);
    const payoutId = await onlyPayoutId();
    const asked = await first.post(`/coordinator/payouts/${payoutId}/reverse`, { note: '金额填错' }, { csrfFrom: '/coordinator' });
    expect(asked.statusCode).toBe(303);
    expect(await lastRequest()).toMatchObject({ kind: 'reversal', status: 'pending', reverses_payout_id: payoutId, amount_fen: 2000, note: '金额填错' });
    expect({ payouts: await payoutRows(), postings: await postings() }).toEqual({ payouts: 1, postings: 1 });
    expect(await owed()).toBe(25840 - 2000);
    const page = await first.get(`/coordinator/households/${wang}`);
    expect(page.body).toContain('data-reversal-asked');
    expect(page.body).not.toContain(`action="/coordinator/payouts/${payoutId}/reverse/confirm"`);
    // A second request for the same reversal is refused while one waits.
    expect((await first.post(`/coordinator/payouts/${payoutId}/reverse`, { note: '再来一次' }, { csrfFrom: '/coordinator' })).statusCode).toBe(409);

    const id = (await lastRequest()).id;
    expect((await approve(id, first)).statusCode).toBe(403);
    const review = await second.get(`/coordinator/payout-requests/${id}?lang=en`);
    expect(review.body).toContain('what 王秀兰 is owed goes up by ¥20.00, and payout #');
    expect((await approve(id)).statusCode).toBe(303);
    expect(await owed()).toBe(25840);
    expect({ payouts: await payoutRows(), postings: await postings() }).toEqual({ payouts: 2, postings: 2 });
    expect(
      await rowOf(ctx.db, (tx) =>
        tx
          .select({ amountFen: payouts.amountFen, reverses: payouts.reversesPayoutId, by: payouts.createdByUserId })
          .from(payouts)
          .orderBy(desc(payouts.id))
          .limit(1),
      ),
    ).toEqual({
      amountFen: -2000,
      reverses: payoutId,
      by: await userId('coordinator@xiangyi.test'),
    });
    expect((await auditActions()).map((a) => a.action)).toEqual(['payout.create', 'payout_request.create', 'payout.reverse', 'payout_request.approve']);
  });

  it('a rejected reversal posts nothing and the payout can be asked to be reversed again', async () => {
    expect((await payout('20')).statusCode).toBe(303);
    const payoutId = await onlyPayoutId();
    await first.post(`/coordinator/payouts/${payoutId}/reverse`, { note: '金额填错' }, { csrfFrom: '/coordinator' });
    expect((await reject((await lastRequest()).id, '金额没错')).statusCode).toBe(303);
    expect({ payouts: await payoutRows(), postings: await postings() }).toEqual({ payouts: 1, postings: 1 });
    expect(await owed()).toBe(25840 - 2000);
    expect((await first.post(`/coordinator/payouts/${payoutId}/reverse`, { note: '确实错了' }, { csrfFrom: '/coordinator' })).statusCode).toBe(303);
  });
});

describe('the requests console', () => {
  it('speaks English, works as plain forms with a CSRF token, and refuses a decision without the token', async () => {
    await payout('150');
    const id = (await lastRequest()).id;
    const list = await second.get('/coordinator/payout-requests?lang=en');
    expect(list.body).toContain('Payouts and reversals waiting for approval');
    expect(list.body).toContain('A payout above ¥100.00 and every reversal post to the ledger only once another coordinator');
    const review = await second.get(`/coordinator/payout-requests/${id}`);
    expect(review.body).toContain('Approve request #');
    expect(review.body).toMatch(
      /<form method="post" action="\/coordinator\/payout-requests\/\d+\/approve"[^>]*>\s*<input type="hidden" name="_csrf" value="[^"]+">/,
    );
    const noToken = await ctx.app.inject({
      method: 'POST',
      url: `/coordinator/payout-requests/${id}/approve`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
      cookies: { ...second.cookies },
    });
    expect(noToken.statusCode).toBe(403);
    expect((await lastRequest()).status).toBe('pending');
  });
});
