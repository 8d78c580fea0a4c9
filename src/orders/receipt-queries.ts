import { eq } from 'drizzle-orm';
import { one, type Query, type Tx } from '../db/unit-of-work.js';
import { orders } from './schema.js';

/** Finds an order by its public receipt code. */
export function* orderIdByReceiptCode(tx: Tx, code: string): Query<number | undefined> {
  return (yield* one(tx.select({ id: orders.id }).from(orders).where(eq(orders.receiptCode, code))))?.id;
}
