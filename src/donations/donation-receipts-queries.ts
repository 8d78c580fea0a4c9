import { and, asc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { all, one, type Query, type Tx } from '../db/unit-of-work.js';
import { orders } from '../orders/schema.js';
import { projects } from '../projects/schema.js';
import { donationReceiptCounters, donationReceipts } from './schema.js';

/**
 * The year's next receipt sequence: one upsert on the year's counter row. On PostgreSQL two
 * donations paid at once (on two servers) queue on the row's lock, so each gets its own number and
 * the numbers run without gaps; on SQLite the writer is alone anyway.
 */
export function* nextReceiptSequence(tx: Tx, year: number): Query<number> {
  const row = yield* one(
    tx
      .insert(donationReceiptCounters)
      .values({ year, lastNumber: 1 })
      .onConflictDoUpdate({ target: donationReceiptCounters.year, set: { lastNumber: sql`${donationReceiptCounters.lastNumber} + 1` } })
      .returning({ lastNumber: donationReceiptCounters.lastNumber }),
  );
  return row!.lastNumber;
}

export function* insertReceipt(tx: Tx, row: Omit<typeof donationReceipts.$inferInsert, 'id' | 'createdAt'>): Query<void> {
  yield* one(tx.insert(donationReceipts).values(row).returning({ id: donationReceipts.id }));
}

function selectReceipts(tx: Tx) {
  return tx
    .select({
      id: donationReceipts.id,
      number: donationReceipts.number,
      year: donationReceipts.year,
      sequence: donationReceipts.sequence,
      orderId: donationReceipts.orderId,
      orderNumber: orders.number,
      orderStatus: orders.status,
      projectId: donationReceipts.projectId,
      projectNameZh: projects.nameZh,
      projectNameEn: projects.nameEn,
      donorName: donationReceipts.donorName,
      amountFen: donationReceipts.amountFen,
      issuedAt: donationReceipts.issuedAt,
    })
    .from(donationReceipts)
    .innerJoin(orders, eq(orders.id, donationReceipts.orderId))
    .innerJoin(projects, eq(projects.id, donationReceipts.projectId));
}

/** A receipt with its order's number and its project's name. */
export type DonationReceipt = NonNullable<ReturnType<ReturnType<typeof selectReceipts>['get']>>;

export function* receiptOfOrder(tx: Tx, orderId: number): Query<DonationReceipt | undefined> {
  return yield* one(selectReceipts(tx).where(eq(donationReceipts.orderId, orderId)));
}

export function* receiptByNumber(tx: Tx, number: string): Query<DonationReceipt | undefined> {
  return yield* one(selectReceipts(tx).where(eq(donationReceipts.number, number)));
}

/** Receipts issued in [from, to), in number order; all of them, or those of the given projects. */
export function* receiptsBetween(tx: Tx, from: number, to: number, projectIds: readonly number[] | 'all'): Query<DonationReceipt[]> {
  return yield* all(
    selectReceipts(tx)
      .where(
        and(
          gte(donationReceipts.issuedAt, from),
          lt(donationReceipts.issuedAt, to),
          projectIds === 'all' ? undefined : inArray(donationReceipts.projectId, [...projectIds]),
        ),
      )
      .orderBy(asc(donationReceipts.year), asc(donationReceipts.sequence)),
  );
}
