import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFen } from '../../src/money.js';
import { signIn, type TestBrowser } from '../helpers/auth.js';
import { placePaidOrder, type PaidOrder } from '../helpers/orders.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';
import { namePublicSql } from '../helpers/consent.js';

/**
 * The coordinator's order page tells where the money went in words: households by name, the
 * project by name, bank clearing, the payment method and status, each party's change with its sign.
 */

let ctx: TestContext;
let coordinator: TestBrowser;
let order: PaidOrder;

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

beforeAll(async () => {
  ctx = await createTestApp();
  coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
  order = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }], { reference: 'ICBC-7731' });
});
afterAll(async () => {
  await ctx.close();
});

/** The payment's entries with what they name, from the database. */
function paymentEntries() {
  return ctx.db.sqlite
    .prepare(
      `SELECT a.code, e.amount_fen AS amountFen, h.real_name AS realName, h.display_name AS displayName, ${namePublicSql('h')} AS consent, p.name_zh AS projectZh, p.name_en AS projectEn
         FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id JOIN ledger_accounts a ON a.id = e.account_id
         LEFT JOIN households h ON h.id = a.household_id
         LEFT JOIN projects p ON p.id = a.project_id
        WHERE t.order_id = ? AND t.kind = 'order_payment'`,
    )
    .all(order.orderId) as {
    code: string;
    amountFen: number;
    realName: string | null;
    displayName: string | null;
    consent: number | null;
    projectZh: string | null;
    projectEn: string | null;
  }[];
}

describe("the coordinator's order page", () => {
  it('names each household, the project fund and bank clearing, with what each gained as +', async () => {
    const page = text((await coordinator.get(`/coordinator/orders/${order.number}`)).body);
    const entries = paymentEntries();
    expect(entries.some((e) => e.realName)).toBe(true);
    for (const e of entries) {
      if (e.realName) {
        const name = e.consent && e.displayName ? `农户 ${e.realName}（${e.displayName}）` : `农户 ${e.realName}`;
        expect(page).toContain(`${name} +${formatFen(-e.amountFen)}`);
      } else if (e.projectZh) {
        expect(page).toContain(`项目基金：${e.projectZh} +${formatFen(-e.amountFen)}`);
      } else if (e.code === 'clearing:bank') {
        expect(page).toContain(`银行转账清算 +${formatFen(e.amountFen)}`);
      }
    }
    expect(page).toContain('订单收款');
    expect(page).toMatch(/银行转账 · 已到账 · ¥[\d,.]+ · 参考号 ICBC-7731/);
    for (const raw of ['household:', 'project:', 'clearing:bank', 'order_payment', 'succeeded']) expect(page).not.toContain(raw);
  });

  it('says the same in English, and a refund takes money back with a minus sign', async () => {
    const refunded = await coordinator.post(
      `/coordinator/orders/${order.number}/refund`,
      { lineId: '', amount: '10.00', reason: '破损' },
      { csrfFrom: `/coordinator/orders/${order.number}` },
    );
    expect(refunded.statusCode).toBe(303);
    const page = text((await coordinator.get(`/coordinator/orders/${order.number}?lang=en`)).body);
    expect(page).toContain('Payment received');
    expect(page).toContain('Refund');
    expect(page).toContain('Bank clearing −¥10.00');
    expect(page).toMatch(/Bank transfer · received · ¥[\d,.]+ · reference ICBC-7731/);
    expect(page).toContain('¥10.00 · refunded · reason: 破损');
    const household = paymentEntries().find((e) => e.realName)!;
    expect(page).toMatch(new RegExp(`Household ${household.realName}[^−+]*−¥`));
    for (const raw of ['household:', 'clearing:bank', 'order_payment', 'succeeded']) expect(page).not.toContain(raw);
  });
});
