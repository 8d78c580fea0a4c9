import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/accounts/password.js';
import { openPgDatabase } from '../../src/db/pg-client.js';
import { formatDate } from '../../src/time.js';
import { signIn, type TestBrowser } from '../helpers/auth.js';
import { postMultipart } from '../helpers/multipart.js';
import { placePaidOrder } from '../helpers/orders.js';
import { STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Bank batches on PostgreSQL: the batch of a day, its audited download, the returned statement's
 * rule (paid, failed and sent again, mismatches refusing all), the append-only triggers, and the
 * audit log's scope rule for batches (its SQL concatenates a bigint into a LIKE pattern).
 */
describe('bank batches on PostgreSQL', () => {
  let ctx: TestContext;
  let pool: ReturnType<typeof openPgDatabase>['pool'];
  let handle: ReturnType<typeof openPgDatabase>;
  let coordinator: TestBrowser;
  let today: string;

  beforeAll(async () => {
    ctx = await createTestApp();
    handle = openPgDatabase(ctx.dbPath, { maxConnections: 1 });
    pool = handle.pool;
    coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    today = formatDate(ctx.clock.now);
    await placePaidOrder(ctx, [{ slug: 'meiyaogou-honey', quantity: 2 }]);
    await placePaidOrder(ctx, [{ slug: 'gulou-shiitake', quantity: 2 }]);
  });
  afterAll(async () => {
    await handle?.end();
    await ctx?.close();
  });

  const value = async (text: string, params: unknown[] = []) => Object.values((await pool.query(text, params)).rows[0] ?? {})[0];
  const householdId = async (realName: string) => Number(await value('SELECT id FROM households WHERE real_name = $1', [realName]));
  const reference = (id: number) => `XYP${String(id).padStart(8, '0')}`;

  async function bankPayout(realName: string, amount: string): Promise<number> {
    const response = await coordinator.post(
      '/coordinator/payouts',
      { householdId: String(await householdId(realName)), amount, method: 'bank_transfer', reference: '', paidOn: today },
      { csrfFrom: '/coordinator' },
    );
    expect(response.statusCode).toBe(303);
    return Number(await value('SELECT max(id) FROM payouts'));
  }
  const statement = (csv: string, filename: string) =>
    postMultipart(
      ctx.app,
      coordinator,
      '/coordinator/bank-batches/statement',
      { day: today },
      { name: 'statement', filename, contentType: 'text/csv', data: Buffer.from(csv) },
      '/coordinator/bank-batches',
    );

  it('downloads the batch (audited), applies a statement with a failed line, and refuses one with a mismatch', async () => {
    const wang = await bankPayout('王秀兰', '50.00');
    const qin = await bankPayout('覃美玲', '12.30');
    const page = await coordinator.get('/coordinator/bank-batches');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`data-batch-payout="${wang}"`);
    const file = await coordinator.post(
      '/coordinator/bank-batches/file',
      { day: today, payout: [String(wang), String(qin)] },
      { csrfFrom: '/coordinator/bank-batches' },
    );
    expect(file.statusCode).toBe(200);
    expect(file.body).toContain(`,50.00,乡益农户收益 ${reference(wang)},${reference(wang)}`);
    expect(await value(`SELECT entity_id FROM audit_log WHERE action = 'payout.bank_batch_export'`)).toBe(`${today} #${wang} #${qin}`);

    const refused = await statement(`${reference(wang)},成功,49.00\r\n`, 'bad.csv');
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('data-mismatch="amount_differs"');
    expect(Number(await value('SELECT count(*) FROM payout_bank_confirmations'))).toBe(0);

    const applied = await statement(`${reference(wang)},成功,50.00\r\n${reference(qin)},失败,12.30\r\n`, 'huidan.csv');
    expect(applied.statusCode).toBe(200);
    expect(
      (await pool.query('SELECT payout_id, outcome FROM payout_bank_confirmations ORDER BY id')).rows.map((r) => [Number(r.payout_id), r.outcome]),
    ).toEqual([
      [wang, 'paid'],
      [qin, 'failed'],
    ]);
    const tomorrow = formatDate(ctx.clock.now + 24 * 3600_000);
    const later = await coordinator.get(`/coordinator/bank-batches?day=${tomorrow}`);
    expect(later.body).toContain(`data-batch-payout="${qin}"`);
    expect(later.body).not.toContain(`data-batch-payout="${wang}"`);
  });

  it('keeps what the bank said append-only: UPDATE, DELETE and TRUNCATE are refused', async () => {
    await expect(pool.query(`UPDATE payout_bank_confirmations SET outcome = 'paid'`)).rejects.toThrow(/append-only/);
    await expect(pool.query('DELETE FROM payout_bank_confirmations')).rejects.toThrow(/append-only/);
    await expect(pool.query('TRUNCATE payout_bank_confirmations')).rejects.toThrow(/append-only/);
  });

  it('shows a coordinator of 深贺协作 the batches with their payouts, and not the others', async () => {
    const honeyOnly = await bankPayout('王秀兰', '3.00');
    const response = await coordinator.post(
      '/coordinator/bank-batches/file',
      { day: today, payout: String(honeyOnly) },
      { csrfFrom: '/coordinator/bank-batches' },
    );
    expect(response.statusCode).toBe(200);
    const hash = await hashPassword(STAFF_PASSWORD);
    const user = await pool.query(
      `INSERT INTO users (email, password_hash, display_name, role, all_projects, created_at, updated_at, password_changed_at)
       VALUES ('shenhe@xiangyi.test', $1, '项目协调员', 'coordinator', false, $2, $2, $2) RETURNING id`,
      [hash, ctx.clock.now],
    );
    await pool.query(`INSERT INTO user_projects (user_id, project_id) SELECT $1, id FROM projects WHERE slug = 'shen-he-xiezuo'`, [user.rows[0].id]);
    const shenhe = await signIn(ctx.app, 'shenhe@xiangyi.test', STAFF_PASSWORD);
    const log = await shenhe.get('/admin/audit?what=payout');
    expect(log.statusCode).toBe(200);
    // The first batch carried 覃美玲's payout; the second only 王秀兰's.
    expect(log.body).toMatch(new RegExp(`批量代发 ${today} #\\d+ #\\d+`));
    expect(log.body).not.toContain(`批量代发 ${today} #${honeyOnly}<`);
  });
});
