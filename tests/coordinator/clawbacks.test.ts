import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLedgerReports } from '../../src/ledger/ledger-reports.js';
import { checkLedger } from '../../src/ledger/ledger-service.js';
import { formatDate } from '../../src/time.js';
import { signIn, type TestBrowser } from '../helpers/auth.js';
import { placePaidOrder } from '../helpers/orders.js';
import { householdIdOf } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * A refund after a payout: the household was paid more than it is due. The rule: no cash is asked
 * back from a poor household; the amount is a clawback, netted from its next earnings (nothing more
 * is paid out until it is), shown wherever coordinators look at the household and on the
 * reconciliation page, and never counted as paid out in public figures.
 * 王秀兰 alone produces 煤窑沟土蜂蜜 (¥68.00, 95% to households: ¥64.60 a jar).
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

const owed = async () => (await createLedgerReports(ctx.db).householdBalance(wang)).owedFen;
const payout = (amount: string) =>
  coordinator.post(
    '/coordinator/payouts',
    { householdId: String(wang), amount, method: 'bank_transfer', reference: 'ICBC-2041', paidOn: formatDate(ctx.clock.now) },
    { csrfFrom: '/coordinator' },
  );

describe('a refund after the household was paid', () => {
  it('leaves a clawback shown on the household’s page, statement, the households list and reconciliation, netted from its next earnings', async () => {
    const first = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    expect((await payout('129.20')).statusCode).toBe(303);
    const refund = await coordinator.post(`/coordinator/orders/${first.number}/refund`, { amount: '68.00', reason: '破损' }, { csrfFrom: '/coordinator' });
    expect(refund.statusCode).toBe(303);
    expect(await owed()).toBe(-6460);

    const page = (await coordinator.get(`/coordinator/households/${wang}`)).body;
    expect(page).toContain('data-clawback');
    expect(page).toContain('这户领到的钱比退款后应得的多 ¥64.60');
    // Paid out as the public counts it: never more than the project credited.
    expect(page).toMatch(
      /<tr data-bucket><th scope="row">煤窑沟产业扶贫<\/th><td>煤窑沟村<\/td><td class="num">¥64.60<\/td><td class="num">¥64.60<\/td><td class="num">¥0.00<\/td><\/tr>/,
    );
    const statement = (await coordinator.get(`/coordinator/households/${wang}/statement`)).body;
    expect(statement).toContain('<td class="num" data-clawback><strong>¥64.60</strong></td>');
    const csv = (await coordinator.get(`/coordinator/households/${wang}/statement.csv`)).body;
    expect(csv).toContain('待扣回');
    expect((await coordinator.get('/coordinator/households')).body).toContain('<span class="badge badge-warn" data-clawback>待扣回 ¥64.60</span>');
    const recon = (await coordinator.get('/coordinator/reconciliation')).body;
    expect(recon).toContain(
      `<li data-clawback-household="${wang}"><a href="/coordinator/households/${wang}">王秀兰</a>（煤窑沟村）：<strong>¥64.60</strong></li>`,
    );

    // Nothing more is paid out until new earnings cover it.
    expect((await payout('0.01')).statusCode).toBe(422);
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    expect(await owed()).toBe(6460);
    expect((await coordinator.get(`/coordinator/households/${wang}`)).body).not.toContain('data-clawback');
    expect((await coordinator.get('/coordinator/reconciliation')).body).toContain('没有待扣回的农户。');
    expect((await payout('64.61')).statusCode).toBe(422);
    expect((await payout('64.60')).statusCode).toBe(303);
    expect(await owed()).toBe(0);
  });
});
