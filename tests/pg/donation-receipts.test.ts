import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgDatabase, type PgDatabase } from '../../src/db/pg-client.js';
import { issueDonationReceipt } from '../../src/donations/index.js';
import { rowsOf, writeOf } from '../helpers/db-query.js';
import { createTestApp, type TestContext } from '../helpers/test-app.js';

/**
 * Donation receipt numbers on PostgreSQL: two app servers (two pools on one database) issuing
 * receipts at once get each number of the year once, in sequence, without gaps; a payment that
 * rolls back gives its number back.
 */
describe('donation receipt numbering on PostgreSQL', () => {
  let ctx: TestContext;
  let second: PgDatabase;
  beforeAll(async () => {
    ctx = await createTestApp();
    second = openPgDatabase(ctx.dbPath, { maxConnections: 6 });
  });
  afterAll(async () => {
    await second?.end();
    await ctx?.close();
  });

  /** Donation orders (no lines) as a wish claim would place them. */
  async function donationOrders(count: number): Promise<{ id: number }[]> {
    for (let i = 0; i < count; i++) {
      await writeOf(
        ctx.db,
        sql`INSERT INTO orders (number, access_token_hash, receipt_code, contact_name, phone, province, city, district, address, payment_method, subtotal_fen, shipping_fen, total_fen, expires_at)
            VALUES (${`XY-20270301-${String(i + 1).padStart(4, '0')}`}, ${`hash${i}`}, ${`CODE${i}`}, '林晓', '13800138000', '', '', '', '', 'offline', 100, 0, 100, 0)`,
      );
    }
    return rowsOf<{ id: number }>(ctx.db, sql`SELECT id FROM orders WHERE number LIKE 'XY-20270301-%' ORDER BY id`);
  }

  it('numbers 20 donations paid at once through two servers 1 to 20, each once', async () => {
    const all = await donationOrders(22);
    const orders = all.slice(0, 20);
    const project = (await rowsOf<{ id: number }>(ctx.db, sql`SELECT id FROM projects ORDER BY id LIMIT 1`))[0]!;
    expect(orders).toHaveLength(20);
    const paidAt = Date.UTC(2027, 2, 1);
    const servers = [ctx.db, second];
    await Promise.all(
      orders.map((o, i) =>
        servers[i % 2]!.uow.write((tx) =>
          issueDonationReceipt(tx, { orderId: o.id, projectId: project.id, donorName: `捐赠人${i}`, amountFen: 100 + i, paidAt }),
        ),
      ),
    );
    const receipts = await rowsOf<{ number: string; sequence: number }>(
      ctx.db,
      sql`SELECT number, sequence FROM donation_receipts WHERE year = 2027 ORDER BY sequence`,
    );
    expect(receipts.map((r) => r.sequence)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(receipts.map((r) => r.number)).size).toBe(20);
    expect(receipts[0]!.number).toBe('JZ-2027-000001');

    // A payment whose transaction rolls back takes its number with it: the next one gets 21.
    const [late, later] = all.slice(20);
    await expect(
      second.uow.write(function* (tx) {
        yield* issueDonationReceipt(tx, { orderId: late!.id, projectId: project.id, donorName: '回滚', amountFen: 100, paidAt });
        throw new Error('payment failed after the receipt');
      }),
    ).rejects.toThrow('payment failed');
    const next = await ctx.db.uow.write((tx) =>
      issueDonationReceipt(tx, { orderId: later!.id, projectId: project.id, donorName: '下一位', amountFen: 100, paidAt }),
    );
    expect(next.number).toBe('JZ-2027-000021');
  });
});
