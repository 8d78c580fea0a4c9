import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymous, signIn } from '../helpers/auth.js';
import { placePaidOrder } from '../helpers/orders.js';
import { createScopedCoordinator, STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * The auditors' exports: a coordinator downloads a period's orders, order lines, households,
 * payouts and ledger entries (with each transaction's hash) as CSV; a coordinator of some projects
 * gets only theirs; households' private fields only when asked for; every export is audited.
 */

const COORDINATOR = 'coordinator@xiangyi.test';
const HONEY = 'meiyaogou-chanye';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestApp();
});
afterEach(async () => {
  await ctx.close();
});

const get = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).get(...params) as T;
const all = <T>(sql: string, ...params: unknown[]) => ctx.db.sqlite.prepare(sql).all(...params) as T[];
const today = () => new Date(ctx.clock.now + 8 * 3_600_000).toISOString().slice(0, 10);
const linesOf = (csv: string) =>
  csv
    .replace(/^\uFEFF/, '')
    .trimEnd()
    .split('\r\n');
const download = (kind: string, extra = '', from = today()) => `/coordinator/exports/download?kind=${kind}&from=${from}&to=${today()}${extra}`;

describe('audit exports', () => {
  it('exports the period’s orders, lines and ledger entries with their transaction hashes, and audits each export', async () => {
    const tea = await placePaidOrder(ctx, [{ slug: 'tuyao-tea', quantity: 1 }]);
    const honey = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    const coordinator = await signIn(ctx.app, COORDINATOR);

    const page = await coordinator.get('/coordinator/exports');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('action="/coordinator/exports/download"');

    const orders = await coordinator.get(download('orders'));
    expect(orders.statusCode).toBe(200);
    expect(orders.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(orders.headers['content-disposition']).toBe(`attachment; filename="orders-${today()}-${today()}.csv"`);
    const orderLines = linesOf(orders.body);
    expect(orderLines[0]).toBe('订单号,下单时间,类型,订单状态,付款方式,收货方式,付款时间,商品金额（元）,运费（元）,合计（元）,已退款（元）');
    expect(orderLines.some((l) => l.startsWith(`${tea.number},`))).toBe(true);
    expect(orderLines.some((l) => l.startsWith(`${honey.number},`) && l.includes(',已付款,'))).toBe(true);

    const lines = linesOf((await coordinator.get(download('order-lines'))).body);
    expect(lines.filter((l) => l.startsWith(`${honey.number},`))).toHaveLength(1);

    const ledger = linesOf((await coordinator.get(download('ledger'))).body);
    expect(ledger[0]).toContain('交易哈希');
    const posted = get<{ id: number; hash: string; prevHash: string; n: number }>(
      `SELECT t.id, t.hash, t.prev_hash AS prevHash, (SELECT count(*) FROM ledger_entries e WHERE e.transaction_id = t.id) AS n
       FROM ledger_transactions t WHERE t.order_id = ?`,
      honey.orderId,
    );
    const rowsOfTx = ledger.filter((l) => l.startsWith(`${posted.id},`));
    expect(rowsOfTx).toHaveLength(posted.n);
    for (const row of rowsOfTx) expect(row).toContain(`,${posted.prevHash},${posted.hash},`);

    const audited = all<{ action: string; entityId: string }>(`SELECT action, entity_id AS entityId FROM audit_log WHERE action LIKE 'export.%' ORDER BY id`);
    expect(audited).toEqual([
      { action: 'export.orders', entityId: `${today()}..${today()}` },
      { action: 'export.order-lines', entityId: `${today()}..${today()}` },
      { action: 'export.ledger', entityId: `${today()}..${today()}` },
    ]);
    expect((await coordinator.get('/coordinator/exports?lang=en')).body).toContain('Ledger entries (with transaction hashes)');
  });

  it('gives a coordinator of some projects only their projects’ orders, lines, ledger entries and households', async () => {
    const tea = await placePaidOrder(ctx, [{ slug: 'tuyao-tea', quantity: 1 }]);
    const honey = await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 1 }]);
    await createScopedCoordinator(ctx.db, 'honey.coordinator@xiangyi.test', [HONEY]);
    const scoped = await signIn(ctx.app, 'honey.coordinator@xiangyi.test', STAFF_PASSWORD);

    const orders = (await scoped.get(download('orders'))).body;
    expect(orders).toContain(honey.number);
    expect(orders).not.toContain(tea.number);
    const lines = (await scoped.get(download('order-lines'))).body;
    expect(lines).toContain(honey.number);
    expect(lines).not.toContain(tea.number);
    const ledger = linesOf((await scoped.get(download('ledger'))).body).slice(1);
    expect(ledger.length).toBeGreaterThan(0);
    expect(ledger.some((l) => l.includes(tea.number))).toBe(false);
    // Only entries attributed to the project: no clearing account, no other project's fund.
    expect(ledger.some((l) => l.includes('clearing:'))).toBe(false);

    const visible = all<{ id: number }>(
      `SELECT DISTINCT pm.household_id AS id FROM producer_members pm JOIN products p ON p.producer_id = pm.producer_id
       JOIN projects pr ON pr.id = p.project_id WHERE pr.slug = ? AND p.slug = 'meiyaogou-honey'`,
      HONEY,
    ).map((h) => h.id);
    expect(visible.length).toBeGreaterThan(0);
    const households = linesOf((await scoped.get(download('households'))).body).slice(1);
    const ids = households.map((l) => Number(l.split(',')[0]));
    for (const id of visible) expect(ids).toContain(id);
    const teaHouseholds = all<{ id: number }>(
      `SELECT DISTINCT pm.household_id AS id FROM producer_members pm JOIN products p ON p.producer_id = pm.producer_id WHERE p.slug = 'tuyao-tea'`,
    ).map((h) => h.id);
    for (const id of teaHouseholds.filter((h) => !visible.includes(h))) expect(ids).not.toContain(id);
    expect(teaHouseholds.length).toBeGreaterThan(0);

    // Payouts: the honey household's payout (paid from the honey project) is theirs; the tea household's is not.
    const coordinator = await signIn(ctx.app, COORDINATOR);
    const teaOnly = teaHouseholds.find((h) => !visible.includes(h))!;
    for (const [householdId, reference] of [
      [visible[0]!, 'HONEY-PAYOUT'],
      [teaOnly, 'TEA-PAYOUT'],
    ] as const) {
      const paid = await coordinator.post(
        '/coordinator/payouts',
        { householdId: String(householdId), amount: '1.00', method: 'cash', reference, paidOn: today() },
        { csrfFrom: '/coordinator' },
      );
      expect(paid.statusCode, paid.body.slice(0, 300)).toBe(303);
    }
    const everyPayout = (await coordinator.get(download('payouts'))).body;
    expect(everyPayout).toContain('HONEY-PAYOUT');
    expect(everyPayout).toContain('TEA-PAYOUT');
    const theirPayouts = linesOf((await scoped.get(download('payouts'))).body);
    expect(theirPayouts).toHaveLength(2);
    expect(theirPayouts[1]).toContain('HONEY-PAYOUT');
    expect(theirPayouts[1]).toContain(',1.00,');
  });

  it('leaves households’ private fields out unless asked for, and audits whether they were', async () => {
    const coordinator = await signIn(ctx.app, COORDINATOR);
    const someone = get<{ realName: string; phone: string; povertyRegNo: string }>(
      `SELECT real_name AS realName, phone, poverty_reg_no AS povertyRegNo FROM households WHERE phone IS NOT NULL AND poverty_reg_no IS NOT NULL ORDER BY id LIMIT 1`,
    );

    const plain = (await coordinator.get(download('households', '', '2000-01-01'))).body;
    expect(linesOf(plain)[0]).toBe('农户编号,村,公开称呼,同意公开,人口,登记时间');
    expect(plain).not.toContain(someone.realName);
    expect(plain).not.toContain(someone.phone);

    const withPrivate = (await coordinator.get(download('households', '&private=1', '2000-01-01'))).body;
    expect(linesOf(withPrivate)[0]).toContain('真实姓名,电话,身份证后四位,建档立卡号');
    expect(withPrivate).toContain(someone.realName);
    expect(withPrivate).toContain(someone.povertyRegNo);

    const audits = all<{ summary: string }>(`SELECT summary FROM audit_log WHERE action = 'export.households' ORDER BY id`);
    expect(audits.map((a) => JSON.parse(a.summary).after.privateFields)).toEqual([false, true]);
  });

  it('refuses an unknown export, a wrong period and anyone but a coordinator', async () => {
    const coordinator = await signIn(ctx.app, COORDINATOR);
    expect((await coordinator.get('/coordinator/exports/download?kind=passwords')).statusCode).toBe(400);
    const backwards = await coordinator.get('/coordinator/exports/download?kind=orders&from=2026-05-02&to=2026-05-01');
    expect(backwards.statusCode).toBe(400);
    expect(backwards.body).toContain('期间有误');
    expect((await coordinator.get('/coordinator/exports/download?kind=orders&from=2026-02-30')).statusCode).toBe(400);
    expect((await anonymous(ctx.app).get('/coordinator/exports/download?kind=orders')).statusCode).toBe(303);
    expect((await (await signIn(ctx.app, 'buyer@xiangyi.test')).get('/coordinator/exports/download?kind=orders')).statusCode).toBe(403);
    expect(get<{ n: number }>(`SELECT count(*) AS n FROM audit_log WHERE action LIKE 'export.%'`).n).toBe(0);
  });
});
