import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatDate } from '../../src/time.js';
import { signIn, type TestBrowser } from '../helpers/auth.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createCoordinatorOfAllProjects, createScopedCoordinator, householdIdOf, STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * The audit log of a coordinator scoped to some projects shows payout requests and bank batches of
 * their projects' money, and not those of other projects. 王秀兰 earns in 煤窑沟产业扶贫 (honey),
 * 覃美玲 in 深贺协作 (shiitake); the approval threshold is ¥10.
 */

let ctx: TestContext;
let first: TestBrowser;
let second: TestBrowser;
let shenhe: TestBrowser;
let today: string;

beforeEach(async () => {
  ctx = await createTestApp({ env: { PAYOUT_APPROVAL_THRESHOLD_YUAN: '10' } });
  first = await signIn(ctx.app, 'coordinator@xiangyi.test');
  await createCoordinatorOfAllProjects(ctx.db, 'second@xiangyi.test');
  second = await signIn(ctx.app, 'second@xiangyi.test', STAFF_PASSWORD);
  await createScopedCoordinator(ctx.db, 'shenhe@xiangyi.test', ['shen-he-xiezuo']);
  shenhe = await signIn(ctx.app, 'shenhe@xiangyi.test', STAFF_PASSWORD);
  today = formatDate(ctx.clock.now);
  await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
  await placePaidOrder(ctx, [{ slug: 'gulou-shiitake', quantity: 2 }]);
});

afterEach(async () => {
  await ctx.close();
});

const lastId = (table: string) => ctx.db.sqlite.prepare(`SELECT max(id) FROM ${table}`).pluck().get() as number;

/** A bank-transfer payout above the threshold, asked for by `by` and approved by `approver`: the request's and the payout's ids. */
async function approvedPayout(realName: string, amount: string, by: TestBrowser, approver: TestBrowser) {
  const householdId = await householdIdOf(ctx.db, realName);
  const asked = await by.post(
    '/coordinator/payouts',
    { householdId: String(householdId), amount, method: 'bank_transfer', reference: '', paidOn: today },
    { csrfFrom: '/coordinator' },
  );
  expect(asked.statusCode).toBe(303);
  const request = lastId('payout_requests');
  const approved = await approver.post(`/coordinator/payout-requests/${request}/approve`, {}, { csrfFrom: `/coordinator/payout-requests/${request}` });
  expect(approved.statusCode).toBe(303);
  return { request, payout: lastId('payouts') };
}

const download = (browser: TestBrowser, payoutId: number) =>
  browser.post('/coordinator/bank-batches/file', { day: today, payout: String(payoutId) }, { csrfFrom: '/coordinator/bank-batches' });

describe('payout requests and bank batches in a scoped coordinator’s audit log', () => {
  it('shows their own projects’ requests and batches, and not another project’s', async () => {
    const own = await approvedPayout('覃美玲', '20.00', shenhe, first);
    const other = await approvedPayout('王秀兰', '30.00', first, second);
    expect((await download(shenhe, own.payout)).statusCode).toBe(200);
    expect((await download(first, other.payout)).statusCode).toBe(200);

    const log = await shenhe.get('/admin/audit?what=payout');
    expect(log.statusCode).toBe(200);
    expect(log.body).toContain('data-scoped');
    expect(log.body).toContain(`付款申请 #${own.request}`);
    expect(log.body).toContain(`批量代发 ${today} #${own.payout}`);
    expect(log.body).not.toContain(`付款申请 #${other.request}`);
    expect(log.body).not.toContain(`#${other.payout}`);
    // Their request (create, approve), the payout it posted, and their batch file.
    expect(log.body).toContain('共 4 条记录');

    const all = await first.get('/admin/audit?what=payout');
    expect(all.body).toContain(`付款申请 #${other.request}`);
    expect(all.body).toContain(`批量代发 ${today} #${other.payout}`);
    expect(all.body).toContain(`批量代发 ${today} #${own.payout}`);
  });
});
