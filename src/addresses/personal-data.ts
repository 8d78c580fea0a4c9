import { desc, eq } from 'drizzle-orm';
import { all, run, type Query, type Tx } from '../db/unit-of-work.js';
import { buyerAddresses, type BuyerAddress } from './schema.js';

/** The address book's part of personal-data requests (src/privacy). */

/** A buyer's saved addresses, newest first. */
export function* addressesOf(tx: Tx, userId: number): Query<BuyerAddress[]> {
  return yield* all(tx.select().from(buyerAddresses).where(eq(buyerAddresses.userId, userId)).orderBy(desc(buyerAddresses.id)));
}

/** Deletes every saved address of a buyer. */
export function* deleteAddressesOf(tx: Tx, userId: number): Query<void> {
  yield* run(tx.delete(buyerAddresses).where(eq(buyerAddresses.userId, userId)));
}
