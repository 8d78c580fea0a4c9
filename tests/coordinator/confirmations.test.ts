import { and, eq, max, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payoutRequests, payouts, periodLocks } from '../../src/ledger/schema.js';
import { refunds } from '../../src/payments/schema.js';
import { csrfTokenIn, signIn, type TestBrowser } from '../helpers/auth.js';
import { countOf, rowOf } from '../helpers/db-query.js';
import { placePaidOrder } from '../helpers/orders.js';
import { approveNewestPayoutRequest } from '../helpers/payout-approvals.js';
import { householdIdOf } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * A refund, a payout reversal and closing a month cannot be undone: the console's forms first show
 * what will happen, without JavaScript, and only the confirmation's own POST (with its CSRF token) acts.
 */

let ctx: TestContext;
let coordinator: TestBrowser;

const count = (table: Parameters<typeof countOf>[1], where?: SQL) => countOf(ctx.db, table, where);
/** The confirmation page's form: where it posts and its hidden fields. */
function confirmForm(html: string) {
  const form = /<form method="post" action="([^"]+)" class="console-form">([\s\S]*?)<\/form>/.exec(html);
  if (!form) return null;
  const fields = Object.fromEntries([...form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]));
  return { action: form[1]!, fields };
}

beforeAll(async () => {
  ctx = await createTestApp();
  coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
});
afterAll(async () => {
  await ctx.close();
});

describe('confirming irreversible money actions', () => {
  it('asks before a refund: the order page posts to the confirmation, which refunds nothing and says what will happen', async () => {
    const { number, orderId } = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    const page = (await coordinator.get(`/coordinator/orders/${number}`)).body;
    expect(page).toContain(`action="/coordinator/orders/${number}/refund/confirm"`);

    const asked = await coordinator.post(
      `/coordinator/orders/${number}/refund/confirm`,
      { lineId: '', amount: '12.50', reason: '包装破损' },
      { csrfFrom: `/coordinator/orders/${number}` },
    );
    expect(asked.statusCode).toBe(200);
    expect(await count(refunds, eq(refunds.orderId, orderId))).toBe(0);
    expect(asked.body).toContain('data-confirm="refund"');
    expect(asked.body).toContain('将退给买家 ¥12.50');
    expect(asked.body).toContain('确认退款 ¥12.50');
    const form = confirmForm(asked.body)!;
    expect(form.action).toBe(`/coordinator/orders/${number}/refund`);
    expect(form.fields).toMatchObject({ lineId: '', amount: '12.50', reason: '包装破损' });
    expect(form.fields._csrf).toBe(csrfTokenIn(asked.body));

    const done = await coordinator.post(form.action, form.fields);
    expect(done.statusCode).toBe(303);
    expect(await count(refunds, and(eq(refunds.orderId, orderId), eq(refunds.amountFen, 1250)))).toBe(1);
  });

  it('shows the field messages on the order page when the refund form is wrong, and asks nothing', async () => {
    const { number } = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    const asked = await coordinator.post(
      `/coordinator/orders/${number}/refund/confirm`,
      { lineId: '', amount: 'abc', reason: '' },
      { csrfFrom: `/coordinator/orders/${number}` },
    );
    expect(asked.statusCode).toBe(422);
    expect(asked.body).not.toContain('data-confirm=');
  });

  it('asks before reversing a payout, in English too, and only the confirmation reverses it', async () => {
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    const wang = await householdIdOf(ctx.db, '王秀兰');
    expect(
      (await coordinator.post('/coordinator/payouts', { householdId: String(wang), amount: '20', method: 'cash', reference: '' }, { csrfFrom: '/coordinator' }))
        .statusCode,
    ).toBe(303);
    const id = (await rowOf(ctx.db, (tx) => tx.select({ id: max(payouts.id) }).from(payouts)))!.id!;
    const household = (await coordinator.get(`/coordinator/households/${wang}`)).body;
    expect(household).toContain(`action="/coordinator/payouts/${id}/reverse/confirm"`);

    const asked = await coordinator.post(
      `/coordinator/payouts/${id}/reverse/confirm?lang=en`,
      { note: 'wrong amount' },
      { csrfFrom: `/coordinator/households/${wang}` },
    );
    expect(asked.statusCode).toBe(200);
    expect(await count(payouts, eq(payouts.reversesPayoutId, id))).toBe(0);
    expect(asked.body).toContain('what 王秀兰 is owed goes up by ¥20.00');
    const form = confirmForm(asked.body)!;
    expect(form.action).toBe(`/coordinator/payouts/${id}/reverse`);
    expect((await coordinator.post(form.action, form.fields)).statusCode).toBe(303);
    // The confirmation asks for the reversal; a second coordinator's approval posts it.
    expect(await count(payoutRequests, and(eq(payoutRequests.reversesPayoutId, id), eq(payoutRequests.status, 'pending')))).toBe(1);
    expect((await approveNewestPayoutRequest(ctx)).statusCode).toBe(303);
    expect(await count(payouts, eq(payouts.reversesPayoutId, id))).toBe(1);
  });

  it('asks before closing a month: the button is a link to a page that closes nothing, whose form closes it', async () => {
    const period = (await coordinator.get('/coordinator/reconciliation')).body.match(/href="\/coordinator\/periods\/(\d{4}-\d{2})\/close"/)?.[1];
    expect(period).toBeDefined();
    const asked = await coordinator.get(`/coordinator/periods/${period}/close`);
    expect(asked.statusCode).toBe(200);
    expect(asked.body).toContain('data-confirm="period-close"');
    expect(await count(periodLocks)).toBe(0);
    const form = confirmForm(asked.body)!;
    expect(form.action).toBe(`/coordinator/periods/${period}/close`);
    expect(form.fields._csrf).toBeTruthy();
  });
});
