import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerCheck } from '../../src/ledger/ledger-service.js';
import { signIn, type TestBrowser } from '../helpers/auth.js';
import { rowOf, rowsOf } from '../helpers/db-query.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/** Personal-data requests on PostgreSQL: the same erasure, the figures kept, the ledger's chain still checking. */
describe('personal-data requests on PostgreSQL', () => {
  let ctx: TestContext;
  let buyer: TestBrowser;
  let coordinator: TestBrowser;
  const ME = { name: '韩梅梅', phone: '13912345678', province: '广东省', city: '深圳市', district: '南山区', address: '科技园莲花路 8 号' };
  beforeAll(async () => {
    ctx = await createTestApp();
    buyer = await signIn(ctx.app, 'buyer@xiangyi.test');
    coordinator = await signIn(ctx.app, 'coordinator@xiangyi.test');
  });
  afterAll(async () => {
    await ctx?.close();
  });

  async function placeAsBuyer(slug: string): Promise<string> {
    const page = await buyer.get(`/products/${slug}`);
    const productId = /name="productId" value="(\d+)"/.exec(page.body)![1]!;
    await buyer.post('/cart/items', { productId, quantity: '1' }, { csrfFrom: `/products/${slug}` });
    const placed = await buyer.post('/checkout', { ...ME, paymentMethod: 'offline' }, { csrfFrom: '/cart' });
    return /^\/orders\/(XY-[0-9]{8}-[0-9]{4,6})\?/.exec(String(placed.headers.location ?? ''))![1]!;
  }

  const ledgerProblems = async () => (await ctx.db.uow.read((tx) => ledgerCheck(tx))).problems;

  it('erases a buyer after a refund that named them, keeps the order’s figures, and the ledger still checks', async () => {
    const number = await placeAsBuyer('tiger-head-shoes');
    expect((await coordinator.post(`/coordinator/orders/${number}/mark-paid`, { reference: `BANK-${number}` }, { csrfFrom: '/coordinator' })).statusCode).toBe(
      303,
    );
    const before = await rowOf<{ total_fen: number; refunded_fen: number }>(ctx.db, sql`SELECT total_fen, refunded_fen FROM orders WHERE number = ${number}`);
    const refund = await coordinator.post(
      `/coordinator/orders/${number}/refund`,
      { amount: (Number(before!.total_fen) / 100).toFixed(2), reason: `${ME.name} 来电取消`, lineId: '' },
      { csrfFrom: '/coordinator' },
    );
    expect(refund.statusCode).toBe(303);

    const done = await buyer.post('/account/delete', { password: 'xiangyi-demo' }, { csrfFrom: '/account/delete' });
    expect(done.statusCode).toBe(303);

    const order = await rowOf<{ contact_name: string; phone: string; total_fen: number; status: string }>(
      ctx.db,
      sql`SELECT contact_name, phone, total_fen, status FROM orders WHERE number = ${number}`,
    );
    expect(order).toMatchObject({ contact_name: '', phone: '', status: 'refunded' });
    expect(Number(order!.total_fen)).toBe(Number(before!.total_fen));
    const memos = await rowsOf<{ text: string }>(
      ctx.db,
      sql`SELECT m.text FROM ledger_memo_texts m JOIN ledger_transactions t ON t.id = m.transaction_id JOIN orders o ON o.id = t.order_id WHERE o.number = ${number}`,
    );
    expect(memos.length).toBeGreaterThan(0);
    expect(memos.every((m) => m.text === '')).toBe(true);
    expect(await rowOf(ctx.db, sql`SELECT count(*) AS n FROM users WHERE email = 'buyer@xiangyi.test'`)).toMatchObject({ n: 0 });
    expect(await ledgerProblems()).toEqual([]);
  });

  it('refuses a household’s erasure to another village’s secretary and lets its own make it', async () => {
    const wang = (await rowOf<{ id: number }>(ctx.db, sql`SELECT id FROM households WHERE real_name = '王秀兰'`))!.id;
    const other = await signIn(ctx.app, 'secretary.gulou@xiangyi.test');
    expect((await other.post(`/secretary/households/${wang}/erase`, { password: 'xiangyi-demo' }, { csrfFrom: '/secretary/households' })).statusCode).toBe(403);
    const own = await signIn(ctx.app, 'secretary.meiyaogou@xiangyi.test');
    const erased = await own.post(`/secretary/households/${wang}/erase`, { password: 'xiangyi-demo' }, { csrfFrom: `/secretary/households/${wang}/erase` });
    expect(erased.statusCode).toBe(303);
    expect(await rowOf(ctx.db, sql`SELECT real_name, phone FROM households WHERE id = ${wang}`)).toEqual({ real_name: '', phone: null });
    expect(await ledgerProblems()).toEqual([]);
  });
});
