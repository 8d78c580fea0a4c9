import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/accounts/password.js';
import { signIn } from '../helpers/auth.js';
import { rowOf, writeOf } from '../helpers/db-query.js';
import { STAFF_PASSWORD } from '../helpers/staff.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * The coordinator's CSV exports on PostgreSQL: the auditors' exports, the donation receipts' list
 * and the invoice requests run their queries on the second engine, for a coordinator of every
 * project and for one of a single project.
 */
describe('coordinator exports on PostgreSQL', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestApp();
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const KINDS = ['orders', 'order-lines', 'households', 'payouts', 'ledger'];
  const firstLine = (body: string) => body.replace(/^\uFEFF/, '').split('\r\n')[0]!;

  it('downloads every export, the donation receipts and the invoice requests', async () => {
    const coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
    for (const kind of KINDS) {
      const res = await coordinator.get(`/coordinator/exports/download?kind=${kind}&from=2000-01-01&to=2030-12-31&private=1`);
      expect(res.statusCode, `${kind}: ${res.body.slice(0, 300)}`).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    }
    const households = await coordinator.get('/coordinator/exports/download?kind=households&from=2000-01-01&to=2030-12-31&private=1');
    const someone = (await rowOf<{ realName: string }>(ctx.db, sql`SELECT real_name AS "realName" FROM households ORDER BY id LIMIT 1`))!;
    expect(households.body).toContain(someone.realName);
    expect(firstLine((await coordinator.get('/coordinator/donation-receipts.csv')).body)).toBe('票据编号,捐赠日期,捐赠人,金额（元）,受赠项目,订单号,订单状态');
    expect((await coordinator.get('/coordinator/invoices')).statusCode).toBe(200);
  });

  it('runs the scoped queries for a coordinator of one project', async () => {
    const hash = await hashPassword(STAFF_PASSWORD);
    const now = Date.now();
    await writeOf(
      ctx.db,
      sql`INSERT INTO users (email, password_hash, display_name, role, all_projects, created_at, updated_at, password_changed_at)
          VALUES ('pg.scoped@xiangyi.test', ${hash}, '项目协调员', 'coordinator', ${false}, ${now}, ${now}, ${now})`,
    );
    await writeOf(
      ctx.db,
      sql`INSERT INTO user_projects (user_id, project_id)
          SELECT u.id, p.id FROM users u, projects p WHERE u.email = 'pg.scoped@xiangyi.test' AND p.slug = 'meiyaogou-chanye'`,
    );
    const scoped = await signIn(ctx.app, 'pg.scoped@xiangyi.test', STAFF_PASSWORD);
    for (const kind of KINDS) {
      const res = await scoped.get(`/coordinator/exports/download?kind=${kind}&from=2000-01-01&to=2030-12-31`);
      expect(res.statusCode, `${kind}: ${res.body.slice(0, 300)}`).toBe(200);
    }
    expect((await scoped.get('/coordinator/donation-receipts.csv')).statusCode).toBe(200);
    expect((await scoped.get('/coordinator/invoices.csv')).statusCode).toBe(200);
    expect((await scoped.get('/coordinator/invoices/XY-20000101-0001')).statusCode).toBe(404);
  });
});
