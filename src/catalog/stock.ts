import { and, eq, gte, sql } from 'drizzle-orm';
import { one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { products } from './schema.js';

/**
 * Stock reservation and release, the catalogue's door for whoever sells its products (orders). Each
 * is a step of the caller's unit of work (src/db/unit-of-work.ts), so the reservation commits or
 * rolls back with the order that takes it. The invariant is a conditional write, not a single
 * writer: a reservation changes the row only while enough is left, so stock never goes below zero
 * however many run at once.
 */

/** Reserves `quantity` units of a published product; false when fewer are left (nothing changed). */
export function* reserveStock(tx: Tx, productId: number, quantity: number, now: number): Query<boolean> {
  const changed = yield* run(
    tx
      .update(products)
      .set({ stock: sql`${products.stock} - ${quantity}`, updatedAt: now })
      .where(and(eq(products.id, productId), eq(products.published, true), gte(products.stock, quantity))),
  );
  return changed === 1;
}

/** Puts reserved units back on the shelf (an unpaid order cancelled or expired). */
export function* releaseStock(tx: Tx, productId: number, quantity: number, now: number): Query<void> {
  yield* run(
    tx
      .update(products)
      .set({ stock: sql`${products.stock} + ${quantity}`, updatedAt: now })
      .where(eq(products.id, productId)),
  );
}

/**
 * Takes units off a product's sellable stock whether or not it is published (a replacement for
 * recalled units the buyer already holds an order for); false when fewer are left (nothing changed).
 */
export function* takeStock(tx: Tx, productId: number, quantity: number, now: number): Query<boolean> {
  const changed = yield* run(
    tx
      .update(products)
      .set({ stock: sql`${products.stock} - ${quantity}`, updatedAt: now })
      .where(and(eq(products.id, productId), gte(products.stock, quantity))),
  );
  return changed === 1;
}

/**
 * Takes units out of sellable stock that must not be sold (units of a recalled lot that came back
 * from a released order), as many as there are: never below zero.
 */
export function* withdrawStock(tx: Tx, productId: number, quantity: number, now: number): Query<void> {
  yield* run(
    tx
      .update(products)
      .set({ stock: sql`CASE WHEN ${products.stock} > ${quantity} THEN ${products.stock} - ${quantity} ELSE 0 END`, updatedAt: now })
      .where(eq(products.id, productId)),
  );
}

/** Counts units as sold (paid), or takes them back with a negative `quantity` (refunded); never below zero. */
export function* recordSold(tx: Tx, productId: number, quantity: number): Query<void> {
  yield* run(
    tx
      .update(products)
      // CASE rather than SQLite's scalar max(a, b), which PostgreSQL does not have.
      .set({ soldCount: sql`CASE WHEN ${products.soldCount} + ${quantity} < 0 THEN 0 ELSE ${products.soldCount} + ${quantity} END` })
      .where(eq(products.id, productId)),
  );
}

/**
 * Whether the reservation of `quantity` units just made took the product's stock across its
 * low-stock threshold (above it before, at or below it now): the moment the village is told, once
 * per crossing rather than at every sale. Read in the reservation's unit, so two sales at once
 * cannot both see the crossing (the second finds the stock already at or below the threshold).
 */
export function* lowStockCrossedBy(tx: Tx, productId: number, quantity: number): Query<{ stock: number; threshold: number } | null> {
  const row = yield* one(tx.select({ stock: products.stock, threshold: products.lowStockThreshold }).from(products).where(eq(products.id, productId)));
  if (!row) return null;
  return row.stock <= row.threshold && row.stock + quantity > row.threshold ? row : null;
}
